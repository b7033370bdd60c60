import type { PolicyConfig } from '../domain/policy-config.ts';
import type { Decision } from '../domain/recommendation.ts';
import type { ApprovalQuota } from '../ports.ts';
import { dropApproval, RULES } from './decide.ts';

/**
 * The approval-fatigue guard's caps: however many actions a model proposes, one event asks humans at most
 * `limits.maxApprovalsPerEvent` times, and one user is the subject of at most `limits.maxPendingApprovalsPerUser`
 * approval requests within `limits.approvalWindowHours` (rolling, across every event and consumer, counted in the
 * approval quota). An approval beyond either cap is dropped, with the rule and the reason. Automatic decisions and drops
 * pass unchanged; an observed approval counts toward the event's cap (so observe mode shows what would happen) but takes
 * no slot of the user's quota (no human would be asked).
 */
export interface ApprovalCapsDeps {
  readonly quota: ApprovalQuota;
  readonly policy: PolicyConfig;
  readonly now: Date;
}

/**
 * The caps for one event about one user: call the returned function with each decision in order (after every other rule,
 * so an automatic decision the hourly cap sent to a human is counted too).
 */
export function approvalCaps(
  userId: string,
  deps: ApprovalCapsDeps,
): (decision: Decision, actionId: string) => Promise<Decision> {
  const {
    maxApprovalsPerEvent: perEvent,
    maxPendingApprovalsPerUser: perUser,
    approvalWindowHours: hours,
  } = deps.policy.limits;
  let asked = 0;
  let observedAsked = 0;
  return async (decision, actionId) => {
    if (decision.outcome !== 'approval') return decision;
    if ((decision.observed ? observedAsked : asked) >= perEvent) {
      return dropApproval(
        decision,
        RULES.capApprovalsPerEvent,
        `this event already asks for ${perEvent} approval${perEvent === 1 ? '' : 's'}, the most the policy allows (limits.maxApprovalsPerEvent): dropped`,
      );
    }
    if (!decision.observed) {
      const got = await deps.quota.reserveApprovalSlot(userId, actionId, perUser, hours * 3_600_000, deps.now);
      if (!got) {
        return dropApproval(
          decision,
          RULES.capApprovalsPerUser,
          `user ${userId} has been the subject of ${perUser} approval request${perUser === 1 ? '' : 's'} in the last ${hours} h, the most the policy allows (limits.maxPendingApprovalsPerUser): dropped`,
        );
      }
    }
    if (decision.observed) observedAsked += 1;
    else asked += 1;
    return decision;
  };
}
