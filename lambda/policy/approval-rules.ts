import type { ApprovalDecision, ApprovalRequirement } from '../domain/approval.ts';
import { RISK_LEVELS, type RiskLevel } from '../domain/catalog.ts';
import type { PolicyConfig } from '../domain/policy-config.ts';

/**
 * Who may decide an approval request, from the policy's `approvals` section. Pure: the same policy, request and
 * approver always give the same answer.
 *
 * - An approver is someone whose access token's `groups` claim holds one of the request's approver groups:
 *   `approvals.approvers.byAction[type]` when the policy names the action type, else `byRisk[risk]`.
 * - Critical actions need `critical.approvals` distinct approvers (at least two); `critical.groupSlots` can require them
 *   from different groups ("one from security AND one from IT"). Each approval fills a distinct slot it qualifies for.
 */

/** A risk level as stored on a request; anything unknown counts as critical (the strictest). */
export const riskLevelOf = (risk: string): RiskLevel =>
  (RISK_LEVELS as readonly string[]).includes(risk) ? (risk as RiskLevel) : 'critical';

/** The groups whose members may decide on an action of this type and risk. */
export function approverGroups(policy: PolicyConfig, risk: string, actionType: string): readonly string[] {
  const { approvers } = policy.approvals;
  const byAction = Object.hasOwn(approvers.byAction, actionType)
    ? approvers.byAction[actionType as keyof typeof approvers.byAction]
    : undefined;
  return byAction ?? approvers.byRisk[riskLevelOf(risk)];
}

/**
 * The groups whose members may decide this request now: the policy's approver groups for its risk and action type, and
 * any fallback group the sweeper added when it escalated the request.
 */
export function eligibleGroups(
  policy: PolicyConfig,
  record: {
    readonly risk: string;
    readonly message: { readonly action: { readonly type: string } };
    readonly required: ApprovalRequirement;
  },
): readonly string[] {
  const groups = approverGroups(policy, record.risk, record.message.action.type);
  const escalated = record.required.escalationGroups ?? [];
  return escalated.length === 0 ? groups : [...new Set([...groups, ...escalated])];
}

/**
 * What the policy requires before a request for this action is approved (stored on the request when it is made). The
 * action type does not change the requirement today (who may approve it does: `approverGroups`); it is part of the
 * signature so that per-type requirements stay an additive change.
 */
export function approvalRequirement(policy: PolicyConfig, risk: string, _actionType: string): ApprovalRequirement {
  const { critical, reasonToApprove } = policy.approvals;
  if (riskLevelOf(risk) !== 'critical') return { approvals: 1, groupSlots: [], reasonToApprove };
  const groupSlots = critical.groupSlots.map((slot) => [...slot]);
  return { approvals: Math.max(critical.approvals, groupSlots.length), groupSlots, reasonToApprove };
}

/**
 * The slots a request's approvals fill: its group slots, then (up to the number of approvals needed) slots any of the
 * request's approver groups can fill.
 */
export function slotsOf(required: ApprovalRequirement, eligible: readonly string[]): string[][] {
  const slots = required.groupSlots.map((slot) => [...slot]);
  while (slots.length < required.approvals) slots.push([...eligible]);
  return slots;
}

/** Every group that gives the right to decide on this request: its approver groups and its slots' groups. */
export function decidingGroups(required: ApprovalRequirement, eligible: readonly string[]): Set<string> {
  return new Set([...eligible, ...required.groupSlots.flat()]);
}

export interface Approver {
  readonly id: string;
  readonly groups: readonly string[];
}

/**
 * The largest assignment of approvers to distinct slots (each approver at most one slot, each slot at most one
 * approver, an approver only to a slot whose groups they hold). Returns, per slot, the approver filling it (or
 * undefined). Augmenting paths: slots and approvers are a handful, so this is instant.
 */
export function assignSlots(
  approvers: readonly Approver[],
  slots: readonly (readonly string[])[],
): (string | undefined)[] {
  const fits = (a: Approver, slot: readonly string[]) => slot.some((g) => a.groups.includes(g));
  const slotOwner: (number | undefined)[] = slots.map(() => undefined);
  const tryAssign = (ai: number, seen: Set<number>): boolean => {
    const approver = approvers[ai];
    if (!approver) return false;
    for (const [si, slot] of slots.entries()) {
      if (seen.has(si) || !fits(approver, slot)) continue;
      seen.add(si);
      const owner = slotOwner[si];
      if (owner === undefined || tryAssign(owner, seen)) {
        slotOwner[si] = ai;
        return true;
      }
    }
    return false;
  };
  for (const ai of approvers.keys()) tryAssign(ai, new Set());
  return slotOwner.map((ai) => (ai === undefined ? undefined : approvers[ai]?.id));
}

export interface Progress {
  /** The approvers filling each slot. */
  readonly filled: readonly { readonly slot: readonly string[]; readonly approverId: string }[];
  /** The slots still open: each needs one more approver holding one of its groups. */
  readonly open: readonly (readonly string[])[];
  readonly met: boolean;
}

/** How far the approvals recorded so far go towards the requirement. */
export function progressOf(
  required: ApprovalRequirement,
  eligible: readonly string[],
  decisions: readonly Pick<ApprovalDecision, 'outcome' | 'approverId' | 'qualifyingGroups'>[],
): Progress {
  const slots = slotsOf(required, eligible);
  const approvers = decisions
    .filter((d) => d.outcome === 'approve')
    .map((d) => ({ id: d.approverId, groups: d.qualifyingGroups }));
  const owners = assignSlots(approvers, slots);
  const filled: { slot: readonly string[]; approverId: string }[] = [];
  const open: (readonly string[])[] = [];
  for (const [i, slot] of slots.entries()) {
    const owner = owners[i];
    if (owner === undefined) open.push(slot);
    else filled.push({ slot, approverId: owner });
  }
  return { filled, open, met: open.length === 0 };
}

/** "one more approver from security-approvers, and one from it-approvers" */
export function describeOpenSlots(open: readonly (readonly string[])[]): string {
  if (open.length === 0) return 'nothing more';
  const parts = open.map((slot, i) => `${i === 0 ? 'one more approver' : 'one'} from ${slot.join(' or ')}`);
  return parts.join(', and ');
}

/** When a request made at `requestedAt` expires, is reminded about and escalates (policy `approvals`). */
export function approvalTimes(
  policy: PolicyConfig,
  risk: RiskLevel,
  requestedAt: Date,
): { requestExpiresAt: string; remindAt?: string; escalateAt?: string; escalationGroup?: string } {
  const { expiryHours, reminderAfterFraction, escalateAfterFraction, escalationGroup } = policy.approvals;
  const lifetimeMs = expiryHours[risk] * 3_600_000;
  const at = (fraction: number) => new Date(requestedAt.getTime() + Math.round(lifetimeMs * fraction)).toISOString();
  return {
    requestExpiresAt: at(1),
    ...(reminderAfterFraction !== null ? { remindAt: at(reminderAfterFraction) } : {}),
    ...(escalationGroup !== null && escalateAfterFraction !== null
      ? { escalateAt: at(escalateAfterFraction), escalationGroup }
      : {}),
  };
}
