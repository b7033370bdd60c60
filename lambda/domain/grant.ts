import { z } from 'zod';
import { type Action, type ActionRequest, definitionOf } from './catalog.ts';
import { isPrivileged, type PolicyConfig } from './policy-config.ts';

/**
 * Time-bound access (just-in-time grants): an action that gives access for a while (a group for 12 hours, an admin role
 * for an on-call shift) and the catalogued inverse that takes it back. Pure data and pure functions; no I/O.
 *
 * Lifecycle: `active` (the executor granted it; the clock started then) → `revoking` (the sweeper found it past
 * `expiresAt`, or an approver ended it early, and queued the inverse) → `revoked` (the inverse ran, or found it already
 * undone) or `ended-early` (the same, after an approver ended it).
 */
export const GRANT_STATES = ['active', 'revoking', 'revoked', 'ended-early'] as const;
export type GrantState = (typeof GRANT_STATES)[number];

export const GrantSchema = z.object({
  /** The action id of the grant: one grant per action, however often its message is delivered. */
  grantId: z.string().min(1).max(128),
  state: z.enum(GRANT_STATES),
  /** The Okta user who holds the access. */
  subjectUserId: z.string(),
  /** What was granted, and the action that takes it back. */
  action: z.object({ type: z.string(), params: z.record(z.string(), z.unknown()) }),
  inverse: z.object({ type: z.string(), params: z.record(z.string(), z.unknown()) }),
  /** When the executor granted it, how long for, and so when it ends. */
  grantedAt: z.string(),
  durationSeconds: z.number().int().positive(),
  expiresAt: z.string(),
  /** Why the duration is what it is (asked for, clamped to the policy's cap, or the mandatory cap). */
  durationReason: z.string(),
  /** The approval it came from and its approvers' Okta user ids (empty: no approval). */
  approvalId: z.string().optional(),
  approvers: z.array(z.string()),
  /** The originating event's correlation: the grant's audit records join it. */
  correlationId: z.string(),
  /** Okta's request id of the grant. */
  oktaRequestId: z.string().optional(),
  /** When the inverse was queued, and when the grant ended (the inverse's outcome). */
  revokeQueuedAt: z.string().optional(),
  endedAt: z.string().optional(),
  endDetail: z.string().optional(),
  /** An approver who ended it early: their Okta user id, login and reason. */
  endedEarly: z.object({ by: z.string(), login: z.string(), reason: z.string(), at: z.string() }).optional(),
  /** Optimistic concurrency: every change is conditional on the version read. */
  version: z.number().int().min(0),
});
export type Grant = z.infer<typeof GrantSchema>;

/** The action id of a grant's revocation: the same for every sweep and for ending early, so it runs once in effect. */
export const revokeActionId = (grantId: string): string => `${grantId}:revoke`;

/** The grant id a revocation's action id belongs to, or undefined for any other action id. */
export const grantIdOfRevoke = (actionId: string): string | undefined =>
  actionId.endsWith(':revoke') ? actionId.slice(0, -':revoke'.length) : undefined;

/** How long a grant lasts and why; undefined when the action is not time-bound. */
export interface GrantTerms {
  readonly durationSeconds: number;
  readonly reason: string;
  /** The duration asked for, when it was clamped. */
  readonly requestedSeconds?: number;
}

/** Whether an action type can be time-bound at all: only one whose inverse the catalog knows. */
export const canBeTimeBound = (type: string): boolean => definitionOf(type)?.inverse !== undefined;

/**
 * The terms of a grant under the policy. `requestedSeconds` comes from the action message (the approvers' granted
 * duration). The cap is the smaller of the action type's (`grants.maxDurationHours`) and, for a privileged group
 * (`groupName` matches `privilegedGroups`), `grants.privilegedGroupMaxHours`. A longer duration is clamped to the cap.
 * Admin roles and privileged groups are always time-bound: without a duration they get the cap. Anything else without a
 * duration is permanent (undefined), and an action type without an inverse can never be time-bound (undefined).
 */
export function grantTerms(
  action: Action | ActionRequest,
  requestedSeconds: number | undefined,
  policy: PolicyConfig,
  groupName?: string,
): GrantTerms | undefined {
  if (!canBeTimeBound(action.type)) return undefined;
  const caps: { hours: number; why: string }[] = [];
  const typeCap = policy.grants.maxDurationHours[action.type as keyof PolicyConfig['grants']['maxDurationHours']];
  if (typeCap !== undefined) caps.push({ hours: typeCap, why: `the policy's cap for ${action.type}` });
  const privileged = action.type === 'group.add_member' && groupName !== undefined && isPrivileged(groupName, policy);
  if (privileged) caps.push({ hours: policy.grants.privilegedGroupMaxHours, why: 'the cap for privileged groups' });
  // An admin role is never permanent: without a cap of its own it gets the privileged groups' one.
  if (action.type === 'role.assign' && typeCap === undefined) {
    caps.push({ hours: policy.grants.privilegedGroupMaxHours, why: 'the cap for privileged access' });
  }
  const cap = caps.reduce<{ hours: number; why: string } | undefined>(
    (a, b) => (a && a.hours <= b.hours ? a : b),
    undefined,
  );
  const mandatory = action.type === 'role.assign' || privileged;
  const capSeconds = cap ? Math.round(cap.hours * 3600) : undefined;
  if (requestedSeconds === undefined) {
    if (!mandatory || capSeconds === undefined) return undefined;
    return {
      durationSeconds: capSeconds,
      reason: `no duration asked for; ${cap?.why} (${cap?.hours} h) is mandatory`,
    };
  }
  if (capSeconds !== undefined && requestedSeconds > capSeconds) {
    return {
      durationSeconds: capSeconds,
      requestedSeconds,
      reason: `asked for ${requestedSeconds} s; clamped to ${cap?.why} (${cap?.hours} h)`,
    };
  }
  return { durationSeconds: requestedSeconds, reason: `asked for ${requestedSeconds} s` };
}
