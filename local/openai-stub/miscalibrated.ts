import { createHash } from 'node:crypto';
import { definitionOf } from '../../lambda/domain/catalog.ts';
import {
  DEFAULT_INTENT_SCOPES,
  isPrivileged,
  type PolicyConfig,
  parsePolicy,
} from '../../lambda/domain/policy-config.ts';
import type { Proposal, RecommendationContext } from '../../lambda/domain/recommendation.ts';
import { type ModelAction, type ModelRecommendation, NULL_PARAMS } from '../../lambda/recommend/model-output.ts';
import { DATA_CLOSE, DATA_OPEN, extractData, POLICY_CLOSE, POLICY_OPEN } from '../../lambda/recommend/prompt.ts';
import { recommendByRules } from '../../lambda/recommend/rules-recommender.ts';

/**
 * The mis-calibrated models: answers whose stated confidence is, by construction, wrong by a known amount, so that a
 * calibration measurement (expected calibration error, a reliability table) can be checked against the truth.
 *
 * For each request the stub derives the *truth* — the actions that are right for this context — by running hookpilot's
 * rules recommender on the context and policy facts in the prompt (or, when a test registered labels for the event
 * with `POST /__stub/truth`, those labels). Each true action is a *slot*. A slot gets one stated confidence `c_k`, drawn
 * with probability `w_k` from the mode's table below, and is answered correctly (the true action) with probability
 * `p_k`, otherwise with a wrong action: a valid catalog action on the same user that is not in the truth (another group
 * or app from the context, or another action of the intent's scope). Draws come from a PRNG seeded by the stub's seed
 * and the prompt's data, so the same request always gets the same answer, whatever the order or concurrency.
 *
 * Because every stated confidence is the centre of one of ten equal-width bins (0.05, 0.15, … 0.95), the expected
 * calibration error of the answers over those bins is known in advance:
 *
 *     ECE = Σ_k w_k · |c_k − p_k|
 *
 * (see `expectedCalibrationError` and docs/openai-stub.md). Slots for which no wrong action exists (e.g. the context
 * holds no other group) are left out *before* any draw, so leaving them out biases nothing.
 */

export const MISCALIBRATED_MODES = ['overconfident', 'underconfident', 'random', 'calibrated'] as const;
export type MiscalibratedMode = (typeof MISCALIBRATED_MODES)[number];

export const isMiscalibratedMode = (value: unknown): value is MiscalibratedMode =>
  typeof value === 'string' && (MISCALIBRATED_MODES as readonly string[]).includes(value);

/** One row of a mode's table: stated confidence `c`, its probability `w`, the probability `p` that it is right. */
export interface ConfidenceLevel {
  readonly confidence: number;
  readonly weight: number;
  readonly accuracy: number;
}

const CENTRES = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95] as const;

/**
 * The modes' tables (weights sum to 1):
 * - `overconfident`: says 0.75 / 0.85 / 0.95, right 45 % / 55 % / 65 % of the time (every claim 0.30 too high);
 * - `underconfident`: says 0.25 / 0.35 / 0.45, right 65 % / 75 % / 85 % of the time (every claim 0.40 too low);
 * - `random`: says any bin centre with equal probability, right half the time whatever it says;
 * - `calibrated`: says 0.55 … 0.95, right exactly as often as it says (the control: ECE 0).
 */
export const MODE_LEVELS: Readonly<Record<MiscalibratedMode, readonly ConfidenceLevel[]>> = {
  overconfident: [0.75, 0.85, 0.95].map((c) => ({ confidence: c, weight: 1 / 3, accuracy: round2(c - 0.3) })),
  underconfident: [0.25, 0.35, 0.45].map((c) => ({ confidence: c, weight: 1 / 3, accuracy: round2(c + 0.4) })),
  random: CENTRES.map((c) => ({ confidence: c, weight: 1 / CENTRES.length, accuracy: 0.5 })),
  calibrated: [0.55, 0.65, 0.75, 0.85, 0.95].map((c) => ({ confidence: c, weight: 1 / 5, accuracy: c })),
};

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The expected calibration error of a mode's answers (over ten equal-width bins): Σ w_k · |c_k − p_k|. */
export function expectedCalibrationError(mode: MiscalibratedMode): number {
  return MODE_LEVELS[mode].reduce((sum, l) => sum + l.weight * Math.abs(l.confidence - l.accuracy), 0);
}

/** The share of answered actions that are right, in expectation: Σ w_k · p_k. */
export function expectedAccuracy(mode: MiscalibratedMode): number {
  return MODE_LEVELS[mode].reduce((sum, l) => sum + l.weight * l.accuracy, 0);
}

/** An action as the truth or a test names it: its type and parameters (the subject user's id included or not). */
export interface TruthAction {
  readonly type: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** What the stub answered for one slot: recorded in the request log, so a test can check what a harness measured. */
export interface CalibrationDraw {
  readonly type: string;
  readonly target: string | null;
  readonly confidence: number;
  readonly correct: boolean;
}

export interface MiscalibratedAnswer {
  readonly recommendation: ModelRecommendation;
  readonly draws: readonly CalibrationDraw[];
  /** Where the truth came from. */
  readonly truth: 'rules' | 'labels';
}

/** The identity of an action for right/wrong: its type and its group, app or role (the user is always the subject). */
export function actionKey(action: { type: string; params?: Readonly<Record<string, unknown>> }): string {
  const p = action.params ?? {};
  const target = p.groupId ?? p.appId ?? p.roleType ?? '';
  return `${action.type}|${typeof target === 'string' ? target : ''}`;
}

/** A small, fast PRNG (mulberry32) over a 32-bit seed: the same seed gives the same numbers on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seedOf = (seed: number, text: string): number =>
  createHash('sha256').update(`${seed}:${text}`).digest().readUInt32BE(0);

/** The context and policy facts of a hookpilot prompt, or undefined when the text is not one. */
export function parsePrompt(
  text: string,
): { context: RecommendationContext; facts: Record<string, unknown> } | undefined {
  const data = extractData(text);
  if (!data) return undefined;
  const lines = text.split('\n');
  const open = lines.indexOf(POLICY_OPEN);
  const factsLine = open >= 0 && lines[open + 2] === POLICY_CLOSE ? lines[open + 1] : undefined;
  try {
    const context = JSON.parse(data) as RecommendationContext;
    const facts = factsLine ? (JSON.parse(factsLine) as Record<string, unknown>) : {};
    if (typeof context !== 'object' || context === null || typeof context.user?.id !== 'string') return undefined;
    return { context, facts };
  } catch {
    return undefined;
  }
}

/** The policy the prompt's facts describe (the defaults for everything else). */
export function policyOfFacts(facts: Record<string, unknown>): PolicyConfig {
  return parsePolicy(
    {
      version: 1,
      ...(Array.isArray(facts.birthright) ? { birthright: facts.birthright } : {}),
      ...(Array.isArray(facts.privilegedGroups) ? { privilegedGroups: facts.privilegedGroups } : {}),
      ...(Array.isArray(facts.toxicCombinations) ? { toxicCombinations: facts.toxicCombinations } : {}),
      ...(facts.thresholds && typeof facts.thresholds === 'object' ? { rules: facts.thresholds } : {}),
    },
    'the prompt’s policy facts',
  );
}

/** The rules recommender's answer for the prompt's context, under the prompt's policy facts. */
export function rulesTruth(context: RecommendationContext, policy: PolicyConfig): Proposal[] {
  return [...recommendByRules(context, policy).proposals];
}

const paramNames = (type: string): string[] => {
  const schema = definitionOf(type)?.params as unknown as { shape?: Record<string, unknown> } | undefined;
  return schema?.shape ? Object.keys(schema.shape) : ['userId'];
};

/**
 * Every wrong action that could stand in for a true one, in a stable order. Privileged groups are left out (the
 * policy's protected groups, which the prompt does not show, are usually among them): a wrong action must pass
 * validation, or it would be lost from the measurement after its draw.
 */
function wrongCandidates(truth: TruthAction, context: RecommendationContext, policy: PolicyConfig): TruthAction[] {
  const userId = context.user.id;
  const held = new Set(context.groups.map((g) => g.id));
  const names = paramNames(truth.type);
  if (names.includes('groupId')) {
    const all = new Map<string, { type: string; name: string }>();
    for (const g of [...context.groups, ...context.peers.groups, ...context.candidateGroups]) all.set(g.id, g);
    const adding = truth.type === 'group.add_member';
    return [...all.entries()]
      .filter(([id, g]) => g.type === 'OKTA_GROUP' && !isPrivileged(g.name, policy) && held.has(id) !== adding)
      .map(([groupId]) => ({ type: truth.type, params: { userId, groupId } }));
  }
  if (names.includes('appId')) {
    const own = new Set(context.apps.map((a) => a.id));
    const all = new Set([...context.apps.map((a) => a.id), ...context.peers.apps.map((a) => a.id)]);
    const assigning = truth.type === 'app.assign';
    return [...all]
      .filter((id) => (assigning ? !own.has(id) : own.has(id)))
      .map((appId) => ({ type: truth.type, params: { userId, appId } }));
  }
  // Another action of the intent's scope on the user alone, valid in the user's status.
  return (DEFAULT_INTENT_SCOPES[context.intent] ?? [])
    .filter((type) => type !== truth.type)
    .filter((type) => paramNames(type).every((n) => n === 'userId' || n === 'oauthTokens'))
    .filter((type) => definitionOf(type)?.validFrom.includes(context.user.status) ?? false)
    .map((type) => ({ type, params: { userId } }));
}

function toModelAction(action: TruthAction, userId: string, confidence: number, correct: boolean): ModelAction {
  const params = { ...NULL_PARAMS, ...(action.params ?? {}), userId } as ModelAction['params'];
  return {
    type: action.type,
    params,
    confidence,
    rationale: `Mis-calibrated OpenAI stub: stated confidence ${confidence}, ${correct ? 'a right' : 'a wrong'} action.`,
    evidence: [],
  };
}

/**
 * The answer of a mis-calibrated mode for a request whose messages read `text`, or undefined when the text is not a
 * hookpilot prompt. `labels` (keyed by the event's uuid) replace the rules recommender as the truth.
 */
export function miscalibratedRecommendation(
  text: string,
  mode: MiscalibratedMode,
  options: { seed?: number; labels?: ReadonlyMap<string, readonly TruthAction[]> } = {},
): MiscalibratedAnswer | undefined {
  const parsed = parsePrompt(text);
  if (!parsed) return undefined;
  const { context, facts } = parsed;
  const userId = context.user.id;
  const labelled = options.labels?.get(context.event?.uuid);
  const policy = policyOfFacts(facts);
  const truth: TruthAction[] = labelled ? [...labelled] : rulesTruth(context, policy);
  const truthKeys = new Set(truth.map(actionKey));

  // Each slot reserves a distinct wrong action before any draw; a slot without one is left out.
  const used = new Set<string>();
  const slots: { truth: TruthAction; wrong: TruthAction }[] = [];
  const random = prng(seedOf(options.seed ?? 0, `${mode}\n${DATA_OPEN}\n${extractData(text) ?? ''}\n${DATA_CLOSE}`));
  for (const t of truth) {
    const candidates = wrongCandidates(t, context, policy).filter((c) => {
      const key = actionKey(c);
      return !truthKeys.has(key) && !used.has(key);
    });
    if (candidates.length === 0) continue;
    const wrong = candidates[Math.floor(random() * candidates.length)] ?? candidates[0];
    if (!wrong) continue;
    used.add(actionKey(wrong));
    slots.push({ truth: t, wrong });
  }

  const levels = MODE_LEVELS[mode];
  const actions: ModelAction[] = [];
  const draws: CalibrationDraw[] = [];
  for (const slot of slots) {
    const level = pick(levels, random());
    const correct = random() < level.accuracy;
    const chosen = correct ? slot.truth : slot.wrong;
    actions.push(toModelAction(chosen, userId, level.confidence, correct));
    const p = chosen.params ?? {};
    const target = p.groupId ?? p.appId ?? p.roleType ?? null;
    draws.push({
      type: chosen.type,
      target: typeof target === 'string' ? target : null,
      confidence: level.confidence,
      correct,
    });
  }
  return {
    recommendation: {
      assessment: `Mis-calibrated OpenAI stub (${mode}): ${slots.length} action(s) answered against a truth of ${truth.length}.`,
      actions,
    },
    draws,
    truth: labelled ? 'labels' : 'rules',
  };
}

function pick(levels: readonly ConfidenceLevel[], u: number): ConfidenceLevel {
  let acc = 0;
  for (const level of levels) {
    acc += level.weight;
    if (u < acc) return level;
  }
  return levels[levels.length - 1] as ConfidenceLevel;
}
