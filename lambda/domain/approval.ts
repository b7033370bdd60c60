import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ActionMessageSchema } from './action-message.ts';

/**
 * Approval requests: the shared model of the approvals work (the store, the approval queue contract, the decisions API,
 * the sweeper and the executor's feedback all speak it). Pure data and pure functions; no I/O.
 *
 * Lifecycle: `pending → approved | rejected | expired | cancelled`, then from `approved` the executor's outcome
 * `executed | voided | failed`. Every step is published on the approval queue as a CloudEvent of type
 * `dev.hookpilot.approval.<step>` (the steps also include `reminded` and `escalated`, which do not change the state).
 */
export const APPROVAL_STATES = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'cancelled',
  'executed',
  'voided',
  'failed',
] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

/** The allowed state changes; anything else is refused (a decision on a decided request → 409 naming its state). */
export const APPROVAL_TRANSITIONS: Readonly<Record<ApprovalState, readonly ApprovalState[]>> = {
  pending: ['approved', 'rejected', 'expired', 'cancelled'],
  approved: ['executed', 'voided', 'failed'],
  rejected: [],
  expired: [],
  cancelled: [],
  executed: [],
  voided: [],
  failed: [],
};

export const canTransition = (from: ApprovalState, to: ApprovalState): boolean =>
  APPROVAL_TRANSITIONS[from].includes(to);

/** States in which nothing more can happen to a request. */
export const isFinal = (state: ApprovalState): boolean => APPROVAL_TRANSITIONS[state].length === 0;

/** Every lifecycle step published on the approval queue (`dev.hookpilot.approval.<step>`). */
export const APPROVAL_STEPS = [
  'requested',
  'reminded',
  'escalated',
  'approved',
  'rejected',
  'expired',
  'cancelled',
  'executed',
  'voided',
  'failed',
  'ended',
] as const;
export type ApprovalStep = (typeof APPROVAL_STEPS)[number];

export const approvalEventType = (step: ApprovalStep): string => `dev.hookpilot.approval.${step}`;

/** One approver's decision, kept in the request's history (never removed). */
export const ApprovalDecisionSchema = z.object({
  outcome: z.enum(['approve', 'reject']),
  /** The approver's Okta user id (the access token's `uid` claim). */
  approverId: z.string().min(1),
  /** The approver's login (the token's `sub`). */
  approverLogin: z.string().min(1),
  /** The approver's groups from the token that qualified them (the policy's approver groups they matched). */
  qualifyingGroups: z.array(z.string()),
  reason: z.string().max(2000).optional(),
  /** The payload hash the approver was shown and submitted. */
  payloadHash: z.string(),
  /** Approve-for-less: a shorter duration than requested (seconds), never longer. */
  durationSeconds: z.number().int().positive().optional(),
  at: z.string(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/** What the policy requires before a request is approved. */
export const ApprovalRequirementSchema = z.object({
  /** Distinct approvers needed (1, or 2 for critical actions). */
  approvals: z.number().int().min(1).max(5),
  /**
   * Group slots: each approval must fill a distinct slot, a slot is filled by an approver holding any of its groups.
   * `[['security-approvers'], ['it-approvers']]` = one from security AND one from IT. Empty: any approver group that
   * the policy allows for this risk/action.
   */
  groupSlots: z.array(z.array(z.string().min(1)).min(1)),
  /** Whether an approval needs a reason (a rejection always does). */
  reasonToApprove: z.boolean(),
  /**
   * Groups added by escalation (the sweeper, once, at `escalateAt`): members of these groups may decide as well as the
   * approvers the policy allows for this risk/action, and each group slot accepts them too (the sweeper also appends
   * them to every slot). Absent: not escalated.
   */
  escalationGroups: z.array(z.string().min(1)).optional(),
});
export type ApprovalRequirement = z.infer<typeof ApprovalRequirementSchema>;

export const ApprovalRecordSchema = z.object({
  /** Stable per action id: a redelivered event creates no second request. */
  approvalId: z.string().min(1).max(128),
  state: z.enum(APPROVAL_STATES),
  /** Exactly what the executor gets once approved (its `origin.kind` becomes `approval` then). */
  message: ActionMessageSchema,
  /** SHA-256 of the canonical payload (see `payloadHash`): the approver submits it back. */
  payloadHash: z.string(),
  risk: z.string(),
  /** The recommender's stated confidence. */
  confidence: z.number().min(0).max(1),
  /** The confidence the policy compared with its thresholds, when a calibration applied (docs/policy.md). */
  calibratedConfidence: z.number().min(0).max(1).optional(),
  /** What calibration did, in words (applied, or why not), when one is configured. */
  calibrationNote: z.string().max(1000).optional(),
  rationale: z.string(),
  evidence: z.array(z.string()),
  /** The policy rule that asked for a human, and why. */
  rule: z.string(),
  reason: z.string(),
  /** The originating Okta event (its uuid is the audit correlation) and recommendation. */
  correlationId: z.string(),
  eventType: z.string().optional(),
  recommendationId: z.string().optional(),
  /** The Okta user the action concerns (nobody decides on their own request). */
  subjectUserId: z.string().optional(),
  requestedAt: z.string(),
  requestExpiresAt: z.string(),
  /** Time-bound actions: the requested duration, and what the approvers granted (≤ requested). */
  durationSeconds: z.number().int().positive().optional(),
  grantedDurationSeconds: z.number().int().positive().optional(),
  required: ApprovalRequirementSchema,
  decisions: z.array(ApprovalDecisionSchema),
  /** When the sweeper sends the one reminder, and escalates once (set at creation from the policy; absent: never). */
  remindAt: z.string().optional(),
  escalateAt: z.string().optional(),
  /** The fallback approver group escalation adds (from the policy's `approvals.escalationGroup`). */
  escalationGroup: z.string().optional(),
  remindedAt: z.string().optional(),
  escalatedAt: z.string().optional(),
  /** When the request left `pending`, and when the executor's outcome arrived. */
  decidedAt: z.string().optional(),
  completedAt: z.string().optional(),
  /** The executor's outcome: Okta's request id, or why it was voided/failed. */
  outcome: z.object({ oktaRequestId: z.string().optional(), detail: z.string().optional() }).optional(),
  /**
   * Time-bound actions: the grant the executed action made ended (its inverse ran) — at expiry, or ended early by an
   * approver. Published as `dev.hookpilot.approval.ended`; the request's state stays `executed`.
   */
  grantEnded: z
    .object({
      grantId: z.string(),
      at: z.string(),
      how: z.enum(['expired', 'ended-early']),
      endedBy: z.string().optional(),
      reason: z.string().optional(),
    })
    .optional(),
  /** Optimistic concurrency: every write is conditional on the version it read. */
  version: z.number().int().min(0),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecordSchema>;

/** The approval id for an action id (deterministic, so a redelivered event finds its existing request). */
export const approvalIdFor = (actionId: string): string =>
  `apr_${createHash('sha256').update(actionId).digest('hex').slice(0, 24)}`;

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown, depth = 0): unknown {
  if (depth > 64) throw new RangeError('value nested too deeply to canonicalise');
  if (Array.isArray(value)) return value.map((v) => sortKeys(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * What an approver is shown and binds their decision to: the action, its id, what must still hold, and the duration
 * asked for. SHA-256 (hex) of its canonical JSON. The API returns both the payload and the hash; the approver submits
 * the hash back and a mismatch is refused.
 */
export const approvalPayload = (record: Pick<ApprovalRecord, 'approvalId' | 'message' | 'durationSeconds'>) => ({
  approvalId: record.approvalId,
  actionId: record.message.actionId,
  action: record.message.action,
  preconditions: record.message.preconditions ?? null,
  durationSeconds: record.durationSeconds ?? null,
});

export const payloadHash = (record: Pick<ApprovalRecord, 'approvalId' | 'message' | 'durationSeconds'>): string =>
  createHash('sha256')
    .update(canonicalJson(approvalPayload(record)))
    .digest('hex');

/**
 * Whether a request is past its expiry at `now`. A decision must re-check this (the sweeper may not have run yet): an
 * approval at or after `requestExpiresAt` is refused like an expired one, and the store refuses to write it anyway.
 */
export const isPastExpiry = (record: Pick<ApprovalRecord, 'requestExpiresAt'>, now: Date): boolean =>
  now.getTime() >= Date.parse(record.requestExpiresAt);

/**
 * The earliest time the sweeper has something to do for a pending request (reminder, escalation or expiry), or
 * undefined once it has left `pending`. The store indexes it (sparse), so the sweeper finds due requests by one query.
 */
export function nextDueAt(record: ApprovalRecord): string | undefined {
  if (record.state !== 'pending') return undefined;
  const times = [record.requestExpiresAt];
  if (record.remindAt && !record.remindedAt) times.push(record.remindAt);
  if (record.escalateAt && !record.escalatedAt && record.escalationGroup) times.push(record.escalateAt);
  return times.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

/**
 * The next version of a record: the patch applied, `version` + 1, and — for a state change — the transition checked
 * (throws on one the state machine does not allow; callers check `canTransition` first when it is the user's doing).
 */
export function nextRecord(record: ApprovalRecord, patch: Partial<Omit<ApprovalRecord, 'version'>>): ApprovalRecord {
  if (patch.state && patch.state !== record.state && !canTransition(record.state, patch.state)) {
    throw new Error(`approval ${record.approvalId}: ${record.state} → ${patch.state} is not allowed`);
  }
  return { ...record, ...patch, version: record.version + 1 };
}
