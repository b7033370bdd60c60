import { z } from 'zod';
import { USER_STATUSES } from '../ports.ts';
import type { Action } from './catalog.ts';
import type { Intent } from './intent.ts';

/**
 * The actions queue's message contract (version 1): one catalogued action to execute, with its id (the idempotency
 * key), where it came from, what must still hold when it runs, and an optional expiry for time-bound grants. The action
 * itself is checked against the catalog when it runs, so a bad one is audited as rejected rather than lost.
 */
export const ORIGIN_KINDS = ['event', 'recommendation', 'approval', 'expiry', 'rollback', 'manual'] as const;

export const ActionMessageSchema = z.object({
  schemaVersion: z.literal(1),
  actionId: z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, 'expected an action id (8–128 letters, digits, _ . : -)'),
  action: z.object({ type: z.string().max(64), params: z.record(z.string(), z.unknown()) }),
  origin: z.object({
    kind: z.enum(ORIGIN_KINDS),
    /** The originating event's uuid (or approval id…): the audit records of the execution join that correlation. */
    correlationId: z.string().min(1).max(256),
    recommendationId: z.string().max(256).optional(),
    approvalId: z.string().max(256).optional(),
    approvedBy: z.string().max(256).optional(),
  }),
  /** When the decision to act was made. */
  decidedAt: z.string(),
  /** Why (one line for humans, e.g. the recommendation's rationale). */
  reason: z.string().max(2000).optional(),
  /** What must still be true when the action runs; otherwise it is voided, never forced. */
  preconditions: z
    .object({
      status: z.array(z.enum(USER_STATUSES)).min(1).optional(),
      profile: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    })
    .optional(),
  /**
   * A time-bound grant: how long the access lasts (seconds). The clock starts when the executor grants it: it records
   * the grant with `expiresAt = grantedAt + durationSeconds` (clamped to the policy's cap; see `domain/grant.ts`).
   */
  durationSeconds: z
    .number()
    .int()
    .positive()
    .max(366 * 24 * 3600)
    .optional(),
  /**
   * Deprecated (v1 keeps it: changes are additive): a fixed end of a time-bound grant. Used only when a message has no
   * `durationSeconds` (the duration is then the time from `decidedAt` to it).
   */
  expiresAt: z.string().optional(),
  /** How many times the action was put back because Okta rate limited it. */
  deferrals: z.number().int().min(0).optional(),
});

export type ActionMessage = z.infer<typeof ActionMessageSchema>;

/** How long one burst of security signals about a user counts as one: its responses share their action ids. */
export const SECURITY_WINDOW_MINUTES = 10;

/**
 * Action ids are the executor's idempotency keys. A recommendation's actions are numbered within their event; a
 * security response is named by what it does to whom and when (user, action, 10-minute window of the event), so the
 * same response to one burst of signals is one action.
 */
export function actionIdFor(
  event: { readonly uuid: string; readonly published: string },
  intent: Intent,
  userId: string,
  action: Action,
  index: number,
): string {
  if (intent !== 'security') return `${event.uuid}:${index}`;
  const window = Math.floor(Date.parse(event.published) / (SECURITY_WINDOW_MINUTES * 60_000));
  const params = action.params as Record<string, unknown>;
  const detail = ['groupId', 'appId', 'roleType']
    .map((k) => params[k])
    .filter(Boolean)
    .join('.');
  return `security:${userId}:${action.type}${detail ? `.${detail}` : ''}:${window}`;
}
