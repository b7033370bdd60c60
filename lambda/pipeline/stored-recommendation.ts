import { z } from 'zod';
import { ActionSchema, RISK_LEVELS } from '../domain/catalog.ts';
import { INTENTS } from '../domain/intent.ts';
import { type AuditLog, USER_STATUSES } from '../ports.ts';

/**
 * What the `recommendation` audit record keeps (in its detail, next to the model, usage and context figures), so that a
 * retry of the same event reuses it instead of asking again, and a second joiner event can see it was handled.
 */
export const StoredRecommendationSchema = z.object({
  intent: z.enum(INTENTS),
  recommender: z.string(),
  assessment: z.string(),
  proposals: z
    .array(
      z.object({
        action: ActionSchema,
        risk: z.enum(RISK_LEVELS),
        confidence: z.number(),
        rationale: z.string(),
        evidence: z.array(z.string()).readonly(),
      }),
    )
    .readonly(),
  /** The user's status when recommended: the executor voids an action if it has changed. */
  userStatus: z.enum(USER_STATUSES),
  /** How many proposals validation rejected. */
  rejected: z.number().int().min(0),
  /** The mover attributes when recommended (untrimmed ones only): the executor voids an action if they have changed. */
  preconditionProfile: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  /** The model's recommendations: which model and prompt version (what a calibration must have been fitted for). */
  model: z.string().optional(),
  promptVersion: z.string().optional(),
});

export type StoredRecommendation = z.infer<typeof StoredRecommendationSchema>;

export const RECOMMENDATION_RECORD_KEY = 'recommendation';

/**
 * The recommendation recorded for an event, if any. A record that does not fit the schema is an error (the queue
 * retries, then dead-letters the event), never a reason to recommend a second time.
 */
export async function storedRecommendation(uuid: string, audit: AuditLog): Promise<StoredRecommendation | undefined> {
  const existing = (await audit.byCorrelation(uuid)).find((r) => r.recordKey === RECOMMENDATION_RECORD_KEY);
  if (!existing) return undefined;
  const parsed = StoredRecommendationSchema.safeParse(existing.detail);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `the recommendation recorded for event ${uuid} is not in the expected shape (${issue?.path.join('.') || 'detail'}: ${issue?.message ?? 'invalid'})`,
    );
  }
  return parsed.data;
}
