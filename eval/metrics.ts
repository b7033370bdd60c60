/**
 * The evaluation's figures, as pure functions (no I/O): matching proposals to labels, precision and recall, must-not
 * violations, what would have run automatically that was wrong, calibration (expected calibration error and a
 * reliability table) and the automation rate. `hookpilot eval` uses them, and so does calibration fitting and
 * `--from-audit` (export what they need from here, never copy it). Definitions: docs/evaluation.md.
 */

export type Label = 'must' | 'acceptable' | 'must-not';
export type DecisionOutcome = 'auto' | 'approval' | 'drop';

/** One labelled expectation of a case, its references already resolved (`params` values are ids or names). */
export interface ExpectationLike {
  readonly label: Label;
  readonly type: string;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
}

/** An action as proposed: its type, its params, and the names of the objects its id params refer to. */
export interface ActionLike {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** For id params (`groupId`, `appId`, `userId`): the names the object is also known by (group name, app label…). */
  readonly names?: Readonly<Record<string, readonly string[]>>;
}

/**
 * What a proposal counts as: `tp` (matches a must), `acceptable` (matches an acceptable only: not counted), `violation`
 * (matches a must-not: also a false positive), `fp` (matches nothing).
 */
export type Verdict = 'tp' | 'acceptable' | 'violation' | 'fp';

/** Whether an action satisfies an expectation: same type, and every expected param equal to the value or one of its names. */
export function matches(action: ActionLike, expectation: ExpectationLike): boolean {
  if (action.type !== expectation.type) return false;
  for (const [key, expected] of Object.entries(expectation.params ?? {})) {
    const actual = action.params[key];
    if (actual === expected) continue;
    if (typeof expected !== 'string') return false;
    // A user is named by id or login (logins are case-insensitive in Okta); a group or an app by id or name.
    const same = (a: string) => (key === 'userId' ? a.toLowerCase() === expected.toLowerCase() : a === expected);
    const known = [...(typeof actual === 'string' ? [actual] : []), ...(action.names?.[key] ?? [])];
    if (!known.some(same)) return false;
  }
  return true;
}

export interface CaseScore {
  /** For each action, in order: its verdict and the index of the expectation that decided it (-1: none). */
  readonly verdicts: readonly { readonly verdict: Verdict; readonly expectation: number }[];
  /** Indexes of the `must` expectations no action matched. */
  readonly missed: readonly number[];
}

/**
 * Scores one case: each action against the labels (must-not wins over must, must over acceptable), and the musts
 * nothing matched. Several actions matching one must are each a true positive (a recommender that proposes one action
 * twice is not penalised for it: the pipeline merges duplicates).
 */
export function scoreCase(actions: readonly ActionLike[], expectations: readonly ExpectationLike[]): CaseScore {
  const satisfied = new Set<number>();
  const verdicts = actions.map((action) => {
    const find = (label: Label) => expectations.findIndex((e) => e.label === label && matches(action, e));
    const mustNot = find('must-not');
    if (mustNot >= 0) return { verdict: 'violation' as const, expectation: mustNot };
    const must = expectations.findIndex((e, i) => e.label === 'must' && !satisfied.has(i) && matches(action, e));
    const anyMust = must >= 0 ? must : find('must');
    if (anyMust >= 0) {
      satisfied.add(anyMust);
      return { verdict: 'tp' as const, expectation: anyMust };
    }
    const acceptable = find('acceptable');
    if (acceptable >= 0) return { verdict: 'acceptable' as const, expectation: acceptable };
    return { verdict: 'fp' as const, expectation: -1 };
  });
  const missed = expectations.flatMap((e, i) => (e.label === 'must' && !satisfied.has(i) ? [i] : []));
  return { verdicts, missed };
}

// ─── Counts, precision and recall ───────────────────────────────────────────────────────────────────────────────────

/** A scored proposal as the metrics see it. */
export interface ScoredPoint {
  readonly type: string;
  readonly intent: string;
  readonly confidence: number;
  readonly verdict: Verdict;
  readonly outcome: DecisionOutcome;
}

/** A must nothing matched, by the type it expected. */
export interface MissedPoint {
  readonly type: string;
  readonly intent: string;
}

/**
 * A proposal validation rejected (never decided, never scored for precision) that matched a `must-not` label: the
 * recommender proposed what must not happen and validation caught it, by the type it proposed.
 */
export interface CaughtPoint {
  readonly type: string;
  readonly intent: string;
}

/** For each action, the index of the first `must-not` expectation it matches (-1: none). */
export function mustNotMatches(actions: readonly ActionLike[], expectations: readonly ExpectationLike[]): number[] {
  return actions.map((action) => expectations.findIndex((e) => e.label === 'must-not' && matches(action, e)));
}

/**
 * Counts over proposals the policy did not drop (decided `auto` or `approval`: what would reach the executor or a
 * human). Dropped proposals only count in `decisions.drop` and `droppedViolations`.
 */
export interface Counts {
  /** Proposals that matched a must. */
  readonly truePositives: number;
  /** Proposals that matched nothing, or a must-not (violations are false positives too). */
  readonly falsePositives: number;
  /** Musts nothing matched. */
  readonly falseNegatives: number;
  /** Proposals that matched a must-not. */
  readonly violations: number;
  /** Proposals that matched an acceptable only (not counted in precision). */
  readonly acceptable: number;
  /** TP / (TP + FP); null when nothing countable was proposed. */
  readonly precision: number | null;
  /** TP / (TP + FN); null when nothing was required. */
  readonly recall: number | null;
  /** Wrong proposals (FP or violation) the policy decided `auto`: what would have run without a human and was wrong. */
  readonly wrongAuto: number;
  /** Of those, violations. */
  readonly violationsAuto: number;
  /** Proposals that matched a must and the policy decided `auto`: what would have run without a human and was right. */
  readonly rightAuto: number;
  /**
   * Precision of automatic actions: rightAuto / (rightAuto + wrongAuto), from the policy's actual outcome (risk,
   * per-action thresholds, calibration and mode all applied). Null when nothing would run alone.
   */
  readonly autoPrecision: number | null;
  /** Proposals matching a must-not that the policy dropped (not counted above: the guard worked). */
  readonly droppedViolations: number;
  /**
   * Proposals matching a must-not that validation rejected before the policy saw them (not counted as violations:
   * validation worked, but the recommender did propose them).
   */
  readonly mustNotCaughtByValidation: number;
  readonly decisions: { readonly auto: number; readonly approval: number; readonly drop: number };
  /** auto / (auto + approval): of the actions that would be taken, the share that needs no human. Null when none. */
  readonly automationRate: number | null;
}

const ratio = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : numerator / denominator;

/** Precision, recall, violations, wrong automatic decisions and the automation rate of a set of proposals. */
export function counts(
  points: readonly ScoredPoint[],
  missed: readonly MissedPoint[],
  caught: readonly CaughtPoint[] = [],
): Counts {
  let tp = 0;
  let fp = 0;
  let violations = 0;
  let acceptable = 0;
  let wrongAuto = 0;
  let violationsAuto = 0;
  let rightAuto = 0;
  const decisions = { auto: 0, approval: 0, drop: 0 };
  let droppedViolations = 0;
  for (const p of points) {
    decisions[p.outcome] += 1;
    if (p.outcome === 'drop') {
      // The policy dropped it: nobody sees it, nothing runs. Not counted; a must-not dropped is the guard working.
      if (p.verdict === 'violation') droppedViolations += 1;
      continue;
    }
    if (p.verdict === 'tp') {
      tp += 1;
      if (p.outcome === 'auto') rightAuto += 1;
    } else if (p.verdict === 'acceptable') acceptable += 1;
    else {
      fp += 1;
      if (p.verdict === 'violation') violations += 1;
      if (p.outcome === 'auto') {
        wrongAuto += 1;
        if (p.verdict === 'violation') violationsAuto += 1;
      }
    }
  }
  return {
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: missed.length,
    violations,
    acceptable,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + missed.length),
    wrongAuto,
    violationsAuto,
    rightAuto,
    autoPrecision: ratio(rightAuto, rightAuto + wrongAuto),
    droppedViolations,
    mustNotCaughtByValidation: caught.length,
    decisions,
    automationRate: ratio(decisions.auto, decisions.auto + decisions.approval),
  };
}

/** `counts` per value of a key (intent, action type), sorted by key. */
export function countsBy(
  points: readonly ScoredPoint[],
  missed: readonly MissedPoint[],
  key: 'intent' | 'type',
  caught: readonly CaughtPoint[] = [],
): Record<string, Counts> {
  const keys = [
    ...new Set([...points.map((p) => p[key]), ...missed.map((m) => m[key]), ...caught.map((c) => c[key])]),
  ].sort();
  return Object.fromEntries(
    keys.map((k) => [
      k,
      counts(
        points.filter((p) => p[key] === k),
        missed.filter((m) => m[key] === k),
        caught.filter((c) => c[key] === k),
      ),
    ]),
  );
}

// ─── Calibration ────────────────────────────────────────────────────────────────────────────────────────────────────

/** A stated confidence and whether the action was right. */
export interface CalibrationPoint {
  readonly confidence: number;
  readonly correct: boolean;
}

export interface ReliabilityBucket {
  /** Inclusive lower bound. */
  readonly from: number;
  /** Exclusive upper bound (inclusive for the last bucket, so a confidence of 1 has a bucket). */
  readonly to: number;
  readonly count: number;
  /** Mean stated confidence of the bucket's points; null when empty. */
  readonly meanConfidence: number | null;
  /** Share of the bucket's points that were right (observed precision); null when empty. */
  readonly observedPrecision: number | null;
}

/** The bucket of a confidence among `buckets` equal-width buckets over [0, 1] (values outside are clamped). */
export function bucketOf(confidence: number, buckets = 10): number {
  const c = Number.isFinite(confidence) ? Math.min(1, Math.max(0, confidence)) : 0;
  return Math.min(buckets - 1, Math.floor(c * buckets + 1e-9));
}

/** The reliability table: for each of `buckets` equal-width confidence buckets, count, mean confidence, precision. */
export function reliability(points: readonly CalibrationPoint[], buckets = 10): ReliabilityBucket[] {
  const sums = Array.from({ length: buckets }, () => ({ count: 0, confidence: 0, correct: 0 }));
  for (const p of points) {
    const s = sums[bucketOf(p.confidence, buckets)];
    if (!s) continue;
    s.count += 1;
    s.confidence += Math.min(1, Math.max(0, p.confidence));
    s.correct += p.correct ? 1 : 0;
  }
  return sums.map((s, i) => ({
    from: round(i / buckets),
    to: round((i + 1) / buckets),
    count: s.count,
    meanConfidence: s.count === 0 ? null : s.confidence / s.count,
    observedPrecision: s.count === 0 ? null : s.correct / s.count,
  }));
}

/**
 * Expected calibration error: Σ over non-empty buckets of (bucket count / total) × |observed precision − mean
 * confidence|, with `buckets` equal-width buckets (default 10). 0 is perfect; null when there are no points.
 */
export function expectedCalibrationError(points: readonly CalibrationPoint[], buckets = 10): number | null {
  if (points.length === 0) return null;
  let sum = 0;
  for (const b of reliability(points, buckets)) {
    if (b.count === 0 || b.meanConfidence === null || b.observedPrecision === null) continue;
    sum += (b.count / points.length) * Math.abs(b.observedPrecision - b.meanConfidence);
  }
  return sum;
}

/** Precision of the points whose confidence is at least `threshold` (null when none is). */
export function precisionAtThreshold(
  points: readonly CalibrationPoint[],
  threshold: number,
): { threshold: number; count: number; precision: number | null } {
  const above = points.filter((p) => p.confidence >= threshold);
  return { threshold, count: above.length, precision: ratio(above.filter((p) => p.correct).length, above.length) };
}

/**
 * The calibration points of scored proposals: those that count for precision (true and false positives of proposals
 * the policy did not drop; acceptable ones are neither right nor wrong, so they are left out), `correct` when a must
 * matched.
 */
export function calibrationPoints(points: readonly ScoredPoint[]): CalibrationPoint[] {
  return points
    .filter((p) => p.outcome !== 'drop' && p.verdict !== 'acceptable')
    .map((p) => ({ confidence: p.confidence, correct: p.verdict === 'tp' }));
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;
