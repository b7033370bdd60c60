import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaseResult, runCases } from '../../eval/harness.ts';
import { buildReport } from '../../eval/report.ts';
import type { LoadedScenario } from '../../eval/scenario.ts';
import { loadScenarios } from '../../eval/scenario.ts';
import { type PolicyConfig, parsePolicy } from '../../lambda/domain/policy-config.ts';
import type { Recommender } from '../../lambda/ports.ts';
import { createOpenAiClient, DEFAULT_MODEL, llmRecommenderOptions } from '../../lambda/recommend/llm-config.ts';
import { LlmRecommender } from '../../lambda/recommend/llm-recommender.ts';
import { RulesRecommender } from '../../lambda/recommend/rules-recommender.ts';
import { ROOT } from '../../lib/root.ts';
import {
  expectedCalibrationError,
  type MiscalibratedMode,
  MODE_LEVELS,
  type OpenAiStub,
  startOpenAiStub,
} from '../../local/openai-stub/index.ts';
import { eceTolerance } from '../support/calibration.ts';

/**
 * The calibration error `hookpilot eval` REPORTS — the real harness (`runCases`: Okta simulator, context builder, the
 * LLM recommender over HTTP to the stub, validation, the policy) and the report builder — matches the miscalibration
 * the stub's modes inject, within the tolerance of the sample size (`eceTolerance`, test/support/calibration.ts).
 *
 * The stub's truth for a request is what hookpilot's rules recommender proposes on the same context, so the labels are
 * built the same way: the bundled scenarios run once through the harness with the rules, and each case's `must`s
 * become exactly what the rules proposed (nothing else is labelled: every other proposal is wrong). The policy is the
 * repository's, with no confidence floor (`dropBelowConfidence: 0`) and in `assisted` mode, so the policy drops
 * nothing and every answer the stub drew is scored (the report's calibration counts undropped proposals only).
 */

let stub: OpenAiStub;
const REPO_POLICY = JSON.parse(readFileSync(join(ROOT, 'policy', 'hookpilot.policy.json'), 'utf8'));
const POLICY: PolicyConfig = parsePolicy({ ...REPO_POLICY, dropBelowConfidence: 0 }, 'test policy');
const RUN = {
  model: DEFAULT_MODEL,
  mode: 'assisted',
  policy: 'test policy',
  threshold: 0.8,
  filters: {},
  concurrency: 2,
  durationMs: 0,
  pricePer1kTokens: null,
};

/** The bundled cases relabelled: `must` = what the rules proposed; cases where the rules propose nothing are left out. */
let relabelled: LoadedScenario[] = [];

beforeAll(async () => {
  stub = await startOpenAiStub();
  const cases = loadScenarios();
  const rules = await runCases(cases, {
    policy: POLICY,
    mode: 'assisted',
    recommender: new RulesRecommender(),
    concurrency: 2,
  });
  relabelled = cases.flatMap((loaded, i) => {
    const result = rules[i] as CaseResult;
    if (result.status !== 'decided' || result.proposals.length === 0) return [];
    const expect = result.proposals.map((p) => ({
      label: 'must' as const,
      type: p.type as LoadedScenario['scenario']['expect'][number]['type'],
      params: Object.fromEntries(
        Object.entries(p.params).filter((e): e is [string, string | number | boolean] =>
          ['string', 'number', 'boolean'].includes(typeof e[1]),
        ),
      ),
    }));
    return [{ ...loaded, scenario: { ...loaded.scenario, expect } }];
  });
}, 60_000);
afterAll(async () => {
  await stub?.stop();
});

function llm(): Recommender {
  const settings = {
    apiKey: { kind: 'env' as const, describe: 'test', get: async () => 'sk-test' },
    baseURL: stub.baseURL,
    model: DEFAULT_MODEL,
    timeoutMs: 10_000,
    maxRetries: 0,
    maxRetryWaitMs: 0,
  };
  return new LlmRecommender(llmRecommenderOptions(settings, createOpenAiClient(settings)));
}

describe.each(['overconfident', 'calibrated', 'underconfident'] as const)(
  'eval against the stub in mode %s',
  (mode: MiscalibratedMode) => {
    it('reports the calibration error the mode was designed with, within the tolerance of the sample size', async () => {
      expect(relabelled.length).toBeGreaterThan(100);
      stub.reset();
      stub.setMode(mode, { seed: 11 });
      const results = await runCases(relabelled, {
        policy: POLICY,
        mode: 'assisted',
        recommender: llm(),
        concurrency: 2,
      });
      const report = buildReport(results, { ...RUN, recommender: 'llm' });

      // Every case ran, nothing was rejected or dropped: every answer the stub drew is in the report.
      expect(report.cases.errors).toBe(0);
      expect(results.reduce((n, r) => n + r.rejectedCount, 0)).toBe(0);
      expect(report.overall.decisions.drop).toBe(0);
      const draws = stub.requests().flatMap((r) => r.calibration?.draws ?? []);
      const n = report.overall.calibrated;
      expect(n).toBe(draws.length);
      // The harness scored right exactly the answers the stub drew right (the labels are the stub's truth).
      expect(report.overall.truePositives).toBe(draws.filter((d) => d.correct).length);

      const designed = expectedCalibrationError(mode);
      const tolerance = eceTolerance(MODE_LEVELS[mode], n);
      const reported = report.overall.ece ?? Number.NaN;
      console.info(
        `eval ${mode}: ${report.cases.total} cases, ${n} scored proposals, reported ECE ${reported.toFixed(3)} (designed ${designed.toFixed(3)} ± ${tolerance.toFixed(3)})`,
      );
      expect(Math.abs(reported - designed)).toBeLessThanOrEqual(tolerance);
    }, 60_000);
  },
);
