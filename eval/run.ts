import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Calibration } from '../lambda/domain/calibration.ts';
import { MODES, type Mode, POLICY_ENV, type PolicyConfig, parsePolicy } from '../lambda/domain/policy-config.ts';
import { ConfigError } from '../lambda/errors.ts';
import type { Recommender } from '../lambda/ports.ts';
import { FallbackRecommender } from '../lambda/recommend/fallback.ts';
import { isModelConfigured, LLM_ENV, llmRecommenderOptions, llmSettings } from '../lambda/recommend/llm-config.ts';
import { LlmRecommender } from '../lambda/recommend/llm-recommender.ts';
import { RulesRecommender } from '../lambda/recommend/rules-recommender.ts';
import { ROOT } from '../lib/root.ts';
import { type CaseResult, runCases } from './harness.ts';
import { buildReport, type EvalReport } from './report.ts';
import { type LoadedScenario, loadScenarios, SCENARIOS_DIR } from './scenario.ts';

/**
 * `hookpilot eval` without the command line: choose the cases, the policy and the recommender, run them through the
 * harness and build the report. The CLI (`cli/eval.ts`) loads this module only when `eval` runs (it brings the Okta
 * SDK and the model client).
 */

export interface EvalRunOptions {
  readonly scenarios?: string;
  readonly intent?: readonly string[];
  readonly tag?: readonly string[];
  readonly case?: readonly string[];
  readonly policy?: string;
  readonly mode?: Mode;
  readonly threshold?: number;
  readonly recommender: 'rules' | 'llm';
  readonly baseUrl?: string;
  readonly model?: string;
  readonly concurrency: number;
  readonly pricePer1k?: number;
  /** A calibration for the policy to apply (`hookpilot calibrate`); none by default, so runs stay comparable. */
  readonly calibration?: Calibration;
  readonly onCase?: (result: CaseResult, done: number, total: number) => void;
  /** Called once the cases are chosen, before any runs. */
  readonly onStart?: (info: { cases: number; recommender: string; mode: Mode; policy: string }) => void;
}

/** A problem with what the user asked for (told in one line by the CLI). */
export class EvalUsageError extends Error {
  override readonly name = 'EvalUsageError';
}

export const DEFAULT_MODE: Mode = 'autonomous';

/** The policy file: `--policy`, else HOOKPILOT_POLICY_FILE, else the repository's policy/hookpilot.policy.json. */
export function readPolicy(file?: string): { policy: PolicyConfig; source: string } {
  const path = resolve(
    file ?? process.env[POLICY_ENV.file]?.trim() ?? resolve(ROOT, 'policy', 'hookpilot.policy.json'),
  );
  const shown = relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new EvalUsageError(`cannot read the policy file ${shown}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EvalUsageError(`the policy file ${shown} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return { policy: parsePolicy(json, shown), source: shown };
  } catch (error) {
    throw new EvalUsageError((error as Error).message.split('\n').slice(0, 3).join(' '));
  }
}

/**
 * The confidence at which precision-at-threshold is measured: the lowest automatic threshold the policy sets (for a
 * risk level or an action type), i.e. the least confidence at which anything can run without a human.
 */
export function autoThreshold(policy: PolicyConfig): number {
  const values = [
    policy.autoApprove.low?.minConfidence,
    policy.autoApprove.medium?.minConfidence,
    ...Object.values(policy.actions).map((a) => a?.minConfidence),
  ].filter((v): v is number => typeof v === 'number');
  return values.length > 0 ? Math.min(...values) : 1;
}

/** The recommender to evaluate: the rules, or the model the stack's own settings name (with the rules as fallback). */
export function chooseRecommender(options: Pick<EvalRunOptions, 'recommender' | 'baseUrl' | 'model'>): {
  recommender: Recommender;
  name: string;
  model: string | null;
} {
  if (options.recommender === 'rules') return { recommender: new RulesRecommender(), name: 'rules', model: null };
  if (options.baseUrl) process.env[LLM_ENV.baseUrl] = options.baseUrl;
  if (options.model) process.env[LLM_ENV.model] = options.model;
  if (!isModelConfigured()) {
    throw new EvalUsageError(
      `no model is configured: set ${LLM_ENV.baseUrl}, ${LLM_ENV.model} and ${LLM_ENV.apiKey} (as for the stack), or pass --base-url and --model`,
    );
  }
  const settings = llmSettings();
  const llm = new LlmRecommender(llmRecommenderOptions(settings));
  return { recommender: new FallbackRecommender(llm, new RulesRecommender()), name: 'llm', model: settings.model };
}

/** The cases the filters select (each filter a list: any value matches). */
export function selectCases(
  all: readonly LoadedScenario[],
  filters: Pick<EvalRunOptions, 'intent' | 'tag' | 'case'>,
): LoadedScenario[] {
  const selected = all.filter(
    ({ scenario: s }) =>
      (!filters.intent?.length || filters.intent.includes(s.intent)) &&
      (!filters.tag?.length || s.tags.some((t) => filters.tag?.includes(t))) &&
      (!filters.case?.length || filters.case.includes(s.id)),
  );
  const unknown = (filters.case ?? []).filter((id) => !all.some((c) => c.scenario.id === id));
  if (unknown.length > 0) throw new EvalUsageError(`no case with id ${unknown.join(', ')}`);
  return selected;
}

export async function runEval(options: EvalRunOptions): Promise<EvalReport> {
  if (options.mode && !MODES.includes(options.mode))
    throw new EvalUsageError(`--mode must be one of ${MODES.join(', ')}`);
  const all = loadScenarios(options.scenarios ?? SCENARIOS_DIR);
  const cases = selectCases(all, options);
  if (cases.length === 0) throw new EvalUsageError('no case matches the filters');
  const { policy, source } = readPolicy(options.policy);
  const mode = options.mode ?? DEFAULT_MODE;
  const chosen = chooseRecommender(options);
  options.onStart?.({ cases: cases.length, recommender: chosen.name, mode, policy: source });
  const started = performance.now();
  const results = await runCases(cases, {
    policy,
    mode,
    recommender: chosen.recommender,
    concurrency: options.concurrency,
    ...(options.calibration ? { calibration: options.calibration } : {}),
    ...(options.onCase ? { onCase: options.onCase } : {}),
  });
  return buildReport(results, {
    recommender: chosen.name,
    model: chosen.model,
    mode,
    policy: source,
    threshold: options.threshold ?? autoThreshold(policy),
    filters: {
      ...(options.intent?.length ? { intent: options.intent.join(',') } : {}),
      ...(options.tag?.length ? { tag: options.tag.join(',') } : {}),
      ...(options.case?.length ? { case: options.case.join(',') } : {}),
    },
    concurrency: options.concurrency,
    durationMs: Math.round(performance.now() - started),
    pricePer1kTokens: options.pricePer1k ?? null,
  });
}

export { ConfigError };
