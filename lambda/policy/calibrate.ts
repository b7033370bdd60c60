import {
  type Calibration,
  type CalibrationMapping,
  describeIdentity,
  type RecommenderIdentity,
} from '../domain/calibration.ts';

/**
 * Calibrated confidence: a proposal's stated confidence mapped through the calibration fitted for its recommender, so
 * that the policy's thresholds compare *observed precision*, not what a model says of itself. Pure.
 *
 * - The calibration applies only when its `fittedFor` model and prompt version both equal the recommendation's. A model
 *   or prompt change without a re-fit: the stated confidence is used, and the note says why.
 * - Per action type: its own mapping, else the pooled one, else none (the stated confidence is used, and the note says
 *   the type had too few samples when the calibration was fitted).
 */

/** What calibration did to one proposal's confidence (recorded with the decision and on the approval request). */
export interface CalibrationOutcome {
  /** What the recommender said. */
  readonly stated: number;
  /** What the policy compared with its thresholds: the calibrated confidence, or the stated one when not applied. */
  readonly effective: number;
  readonly applied: boolean;
  /** Which mapping: the action type's own or the pooled one (when applied). */
  readonly mapping?: 'action-type' | 'pooled';
  /** In words, e.g. `calibration: not applied — fitted for gpt-x/prompt v3, recommendation from gpt-y/prompt v4`. */
  readonly note: string;
}

/**
 * The precision a mapping gives a stated confidence: linear between points, the last point's above them. Below the first
 * fitted point there is no evidence, so calibration may only lower the confidence there, never raise it: the stated
 * value or the first point's precision, whichever is lower (a proposal stated at 0.05 must stay below the drop floor).
 */
export function mapConfidence(mapping: CalibrationMapping, confidence: number): number {
  const { points } = mapping;
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last || !Number.isFinite(confidence)) return confidence;
  if (confidence < first.confidence) return Math.min(confidence, first.precision);
  if (confidence === first.confidence) return first.precision;
  if (confidence >= last.confidence) return last.precision;
  for (let i = 1; i < points.length; i += 1) {
    const right = points[i];
    const left = points[i - 1];
    if (!right || !left || confidence > right.confidence) continue;
    const t = (confidence - left.confidence) / (right.confidence - left.confidence);
    return round(left.precision + t * (right.precision - left.precision));
  }
  return last.precision;
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

/** Whether a calibration was fitted for this recommender identity. */
export const fitsIdentity = (calibration: Calibration, identity: Partial<RecommenderIdentity> | undefined): boolean =>
  identity?.model === calibration.fittedFor.model && identity?.promptVersion === calibration.fittedFor.promptVersion;

/**
 * The confidence the policy should compare with its thresholds, for a proposal of `actionType` stating `stated`, from a
 * recommendation by `identity`.
 */
export function calibrateConfidence(
  actionType: string,
  stated: number,
  calibration: Calibration | undefined,
  identity: Partial<RecommenderIdentity> | undefined,
): CalibrationOutcome {
  const unchanged = (note: string): CalibrationOutcome => ({ stated, effective: stated, applied: false, note });
  if (!calibration) return unchanged('calibration: none configured; the stated confidence is used');
  if (!fitsIdentity(calibration, identity)) {
    return unchanged(
      `calibration: not applied — fitted for ${describeIdentity(calibration.fittedFor)}, recommendation from ${describeIdentity(identity ?? {})}; the stated confidence is used until it is re-fitted`,
    );
  }
  const own = Object.hasOwn(calibration.byActionType, actionType)
    ? calibration.byActionType[actionType as keyof Calibration['byActionType']]
    : undefined;
  const mapping = own ?? calibration.pooled ?? undefined;
  if (!mapping) {
    return unchanged(
      `calibration: not applied — ${actionType} had fewer than ${calibration.minSamples} samples when fitted and there is no pooled mapping; the stated confidence is used`,
    );
  }
  const effective = mapConfidence(mapping, stated);
  const which = own ? `${actionType}'s own mapping` : 'the pooled mapping';
  return {
    stated,
    effective,
    applied: true,
    mapping: own ? 'action-type' : 'pooled',
    note: `calibration: stated ${stated} → ${effective} (${which}, fitted for ${describeIdentity(calibration.fittedFor)} on ${mapping.samples} samples)`,
  };
}
