import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { optionalEnv } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { ACTION_TYPES } from './catalog.ts';

/**
 * A calibration: per action type, what a recommender's stated confidence has turned out to mean — the share of its
 * proposals at that confidence that were right (an eval run's labels, or human approvers' decisions). The policy maps a
 * proposal's confidence through it before comparing with its thresholds (`lambda/policy/calibrate.ts`), but only for
 * recommendations from the model and prompt version it was fitted for: a model or prompt change without a re-fit falls
 * back to the stated confidence, and the decision says so. Data, validated by this schema; `hookpilot calibrate` writes
 * it (docs/evaluation.md, docs/policy.md).
 */

const Probability = z.number().min(0).max(1);

/**
 * A monotone mapping, as points (stated confidence → observed precision) sorted by confidence, with non-decreasing
 * precision. Between two points the precision is interpolated linearly; below the first and above the last it is the
 * end point's (as isotonic regression is usually applied).
 */
export const CalibrationMappingSchema = z
  .strictObject({
    /** How many right/wrong outcomes the mapping was fitted on. */
    samples: z.number().int().min(1),
    points: z
      .array(
        z.strictObject({
          confidence: Probability,
          precision: Probability,
          /** Outcomes behind this point (a block of isotonic regression, or a bin). */
          count: z.number().int().min(1),
        }),
      )
      .min(1)
      .max(1000),
  })
  .refine(
    (m) => m.points.every((p, i) => i === 0 || (m.points[i - 1]?.confidence ?? 0) < p.confidence),
    'points must be sorted by confidence, each confidence once',
  )
  .refine(
    (m) => m.points.every((p, i) => i === 0 || (m.points[i - 1]?.precision ?? 0) <= p.precision),
    'precision must not decrease as confidence grows',
  );
export type CalibrationMapping = z.infer<typeof CalibrationMappingSchema>;

/** Who a calibration was fitted for: the recommendation's `model` and `promptVersion` must both match. */
export const RecommenderIdentitySchema = z.strictObject({
  /** The model name a recommendation records (`rules` for the rules recommender). */
  model: z.string().min(1).max(200),
  /** The prompt version a recommendation records (the rules recommender's `RULES_VERSION` for it). */
  promptVersion: z.string().min(1).max(100),
});
export type RecommenderIdentity = z.infer<typeof RecommenderIdentitySchema>;

export const CalibrationSchema = z.strictObject({
  version: z.literal(1),
  fittedFor: RecommenderIdentitySchema,
  /** When and from what it was fitted. */
  fittedAt: z.iso.datetime(),
  source: z.strictObject({
    kind: z.enum(['eval', 'audit', 'samples']),
    /** e.g. the eval run's file and scenario set, or the audit table and window. */
    description: z.string().max(500),
    samples: z.number().int().min(0),
  }),
  method: z.enum(['isotonic', 'binned']),
  /** The fewest outcomes an action type needed for a mapping of its own. */
  minSamples: z.number().int().min(1),
  /** Per action type; a type not listed uses `pooled`. */
  byActionType: z.partialRecord(z.enum(ACTION_TYPES), CalibrationMappingSchema).default({}),
  /** Every outcome together: for the action types with too few of their own; null: those stay uncalibrated. */
  pooled: CalibrationMappingSchema.nullable().default(null),
});
export type Calibration = z.output<typeof CalibrationSchema>;
export type CalibrationInput = z.input<typeof CalibrationSchema>;

/** Parses a calibration document, or throws a ConfigError that names the source and each wrong field. */
export function parseCalibration(input: unknown, source: string): Calibration {
  const parsed = CalibrationSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 10)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`the calibration in ${source} is not valid: ${issues}`);
  }
  return parsed.data;
}

export const CALIBRATION_ENV = {
  /** A path to the calibration file (local use and tests). */
  file: 'HOOKPILOT_CALIBRATION_FILE',
  /** The calibration itself, as JSON. */
  json: 'HOOKPILOT_CALIBRATION',
} as const;

/** The calibration the stack built into this bundle (esbuild `define`), if any. */
declare const __HOOKPILOT_CALIBRATION__: string | undefined;
const BUNDLED_CALIBRATION = typeof __HOOKPILOT_CALIBRATION__ === 'string' ? __HOOKPILOT_CALIBRATION__ : undefined;
/** The identifier the stack defines to build a calibration into a bundle. */
export const BUNDLED_CALIBRATION_DEFINE = '__HOOKPILOT_CALIBRATION__';

/**
 * The calibration in effect: the file named by HOOKPILOT_CALIBRATION_FILE, else the JSON in HOOKPILOT_CALIBRATION,
 * else the one built into the bundle by the stack (`-c calibrationFile=…`), else none (every confidence is used as
 * stated).
 */
export function loadCalibration(): Calibration | undefined {
  const file = optionalEnv(CALIBRATION_ENV.file);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(`${CALIBRATION_ENV.file} names ${file}, which cannot be read`);
    }
    return parseCalibration(parseJson(text, file), file);
  }
  const json = optionalEnv(CALIBRATION_ENV.json);
  if (json) return parseCalibration(parseJson(json, CALIBRATION_ENV.json), CALIBRATION_ENV.json);
  return BUNDLED_CALIBRATION
    ? parseCalibration(parseJson(BUNDLED_CALIBRATION, 'the bundled calibration'), 'the bundled calibration')
    : undefined;
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the calibration in ${source} is not JSON (${(error as Error).message})`);
  }
}

/** `gpt-4.1-mini/prompt 2026-11-22.1`: an identity in words. */
export const describeIdentity = (identity: Partial<RecommenderIdentity>): string =>
  `${identity.model ?? 'an unnamed model'}/prompt ${identity.promptVersion ?? 'of no version'}`;
