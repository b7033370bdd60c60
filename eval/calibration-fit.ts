import {
  type Calibration,
  type CalibrationMapping,
  CalibrationSchema,
  type RecommenderIdentity,
} from '../lambda/domain/calibration.ts';
import { ACTION_TYPES } from '../lambda/domain/catalog.ts';
import { reliability } from './metrics.ts';

/**
 * Fitting a calibration (`hookpilot calibrate`): from outcomes — a stated confidence, the action type, and whether the
 * action was right (an eval run's labels, or a human's approve/reject) — a monotone mapping per action type from stated
 * confidence to observed precision, stored as data (lambda/domain/calibration.ts) that the policy applies. Pure.
 */

/** One outcome: the action type, what the recommender said, and whether it was right. */
export interface Outcome {
  readonly type: string;
  readonly confidence: number;
  readonly correct: boolean;
}

export type FitMethod = 'isotonic' | 'binned';

/** The fewest outcomes an action type needs for a mapping of its own (below: the pooled mapping). */
export const DEFAULT_MIN_SAMPLES = 30;
/** Binned: the fewest outcomes a bin needs to stand alone (fewer: merged into its neighbour). */
export const MIN_PER_BIN = 10;

export interface Block {
  /** Sum of confidences, of right outcomes, and how many. */
  confidence: number;
  correct: number;
  count: number;
}

const mean = (b: Block) => b.correct / b.count;

/** Pool-adjacent-violators over blocks in confidence order: merge any block less precise than the one before it. */
export function poolAdjacentViolators(blocks: readonly Block[]): Block[] {
  const stack: Block[] = [];
  for (const block of blocks) {
    stack.push({ ...block });
    while (stack.length >= 2) {
      const right = stack[stack.length - 1] as Block;
      const left = stack[stack.length - 2] as Block;
      if (mean(left) <= mean(right)) break;
      stack.splice(stack.length - 2, 2, {
        confidence: left.confidence + right.confidence,
        correct: left.correct + right.correct,
        count: left.count + right.count,
      });
    }
  }
  return stack;
}

/**
 * Isotonic regression: outcomes grouped by stated confidence (ties are one block), sorted, then pool-adjacent-violators.
 * The result is the least-squares non-decreasing fit of right (1) / wrong (0) on confidence; each block becomes one
 * point (its mean confidence → its precision).
 */
export function isotonic(outcomes: readonly Pick<Outcome, 'confidence' | 'correct'>[]): CalibrationMapping['points'] {
  const byConfidence = new Map<number, Block>();
  for (const o of outcomes) {
    if (!Number.isFinite(o.confidence)) continue;
    const c = Math.min(1, Math.max(0, o.confidence));
    const block = byConfidence.get(c) ?? { confidence: 0, correct: 0, count: 0 };
    block.confidence += c;
    block.correct += o.correct ? 1 : 0;
    block.count += 1;
    byConfidence.set(c, block);
  }
  const blocks = [...byConfidence.entries()].sort((a, b) => a[0] - b[0]).map(([, block]) => block);
  return toPoints(poolAdjacentViolators(blocks));
}

/**
 * Binned: ten equal-width bins of stated confidence (eval/metrics.ts `reliability`), a bin with fewer than
 * `MIN_PER_BIN` outcomes merged into the next non-empty one, then pool-adjacent-violators over the bins so the mapping
 * never decreases.
 */
export function binned(outcomes: readonly Pick<Outcome, 'confidence' | 'correct'>[]): CalibrationMapping['points'] {
  const bins: Block[] = [];
  let pending: Block | undefined;
  for (const b of reliability(outcomes, 10)) {
    if (b.count === 0 || b.meanConfidence === null || b.observedPrecision === null) continue;
    const block = {
      confidence: b.meanConfidence * b.count,
      correct: Math.round(b.observedPrecision * b.count),
      count: b.count,
    };
    pending = pending
      ? {
          confidence: pending.confidence + block.confidence,
          correct: pending.correct + block.correct,
          count: pending.count + block.count,
        }
      : block;
    if (pending.count >= MIN_PER_BIN) {
      bins.push(pending);
      pending = undefined;
    }
  }
  if (pending) {
    const top = bins[bins.length - 1];
    if (top) {
      top.confidence += pending.confidence;
      top.correct += pending.correct;
      top.count += pending.count;
    } else bins.push(pending);
  }
  return toPoints(poolAdjacentViolators(bins));
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** Blocks as points; two blocks whose mean confidences round alike are merged (the schema wants each confidence once). */
function toPoints(blocks: readonly Block[]): CalibrationMapping['points'] {
  const points: { confidence: number; precision: number; count: number; correct: number }[] = [];
  for (const b of blocks) {
    const confidence = round(b.confidence / b.count);
    const prev = points[points.length - 1];
    if (prev && prev.confidence >= confidence) {
      prev.count += b.count;
      prev.correct += b.correct;
      prev.precision = round(prev.correct / prev.count);
    } else {
      points.push({ confidence, precision: round(b.correct / b.count), count: b.count, correct: b.correct });
    }
  }
  // Rounding can make a precision dip by 0.0001 at a merge: keep the sequence non-decreasing.
  for (let i = 1; i < points.length; i += 1) {
    const p = points[i];
    const q = points[i - 1];
    if (p && q && p.precision < q.precision) p.precision = q.precision;
  }
  return points.map(({ confidence, precision, count }) => ({ confidence, precision, count }));
}

export interface FitOptions {
  readonly fittedFor: RecommenderIdentity;
  readonly method?: FitMethod;
  readonly minSamples?: number;
  /** Fit a pooled mapping for the action types with too few outcomes (default true). */
  readonly pooled?: boolean;
  readonly source: { readonly kind: Calibration['source']['kind']; readonly description: string };
  readonly now?: Date;
}

/** Per action type with at least `minSamples` outcomes a mapping of its own; every outcome together, the pooled one. */
export function fitCalibration(outcomes: readonly Outcome[], options: FitOptions): Calibration {
  const method = options.method ?? 'isotonic';
  const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;
  const fitPoints = method === 'isotonic' ? isotonic : binned;
  const mapping = (list: readonly Outcome[]): CalibrationMapping => ({ samples: list.length, points: fitPoints(list) });
  const known = outcomes.filter((o) => (ACTION_TYPES as readonly string[]).includes(o.type));
  const byActionType: Record<string, CalibrationMapping> = {};
  for (const type of [...new Set(known.map((o) => o.type))].sort()) {
    const list = known.filter((o) => o.type === type);
    if (list.length >= minSamples) byActionType[type] = mapping(list);
  }
  const usePooled = (options.pooled ?? true) && known.length >= minSamples;
  return CalibrationSchema.parse({
    version: 1,
    fittedFor: options.fittedFor,
    fittedAt: (options.now ?? new Date()).toISOString(),
    source: { ...options.source, samples: known.length },
    method,
    minSamples,
    byActionType,
    pooled: usePooled ? mapping(known) : null,
  });
}

/** The action types that got no mapping of their own (fewer than `minSamples` outcomes), with their counts. */
export function sparseTypes(
  outcomes: readonly Outcome[],
  calibration: Calibration,
): { type: string; samples: number }[] {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.type, (counts.get(o.type) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([type]) => !Object.hasOwn(calibration.byActionType, type))
    .map(([type, samples]) => ({ type, samples }))
    .sort((a, b) => a.type.localeCompare(b.type));
}
