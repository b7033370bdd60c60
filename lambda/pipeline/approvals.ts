import { type ApprovalRecord, approvalIdFor, payloadHash } from '../domain/approval.ts';
import { approvalEvent } from '../domain/approval-events.ts';
import type { PolicyConfig } from '../domain/policy-config.ts';
import { approvalRequirement, approvalTimes, riskLevelOf } from '../policy/approval-rules.ts';
import type { ApprovalGateway, ApprovalStore, Clock, PendingApproval } from '../ports.ts';
import { type PublishApprovalEventsDeps, publishSoon } from './publish-approval-events.ts';

/**
 * THE APPROVAL SEAM's implementation (the `ApprovalGateway` port): a decision that needs a human becomes an approval
 * request — a record in the approvals table (with its `requested` event in the outbox, atomically), then an
 * `approval.requested` audit record and a CloudEvent on the approval queue.
 */
export interface ApprovalRequestsDeps {
  readonly store: ApprovalStore;
  readonly clock: Clock;
  readonly policy: PolicyConfig;
  readonly publish: PublishApprovalEventsDeps;
}

/**
 * Creates one approval request per action id. A redelivered event finds its request (the create is conditional on the
 * id) and changes nothing. The `requested` event is stored with the request and relayed right after — its
 * `approval.requested` audit record, then the approval queue — best effort: if that fails, the sweeper relays it from
 * the outbox.
 */
export class ApprovalRequests implements ApprovalGateway {
  constructor(private readonly deps: ApprovalRequestsDeps) {}

  async submit(pending: PendingApproval): Promise<void> {
    const record = buildRequest(pending, this.deps.policy, this.deps.clock());
    const requested = approvalEvent('requested', record);
    const { created } = await this.deps.store.create(record, [requested]);
    if (created) await publishSoon(this.deps.publish, [requested]);
  }
}

/** The request for a pending approval, as it is first stored (version 0, state `pending`). */
export function buildRequest(pending: PendingApproval, policy: PolicyConfig, now: Date): ApprovalRecord {
  const { message } = pending;
  const risk = riskLevelOf(pending.risk); // an unknown risk is treated as the highest
  const approvalId = approvalIdFor(message.actionId);
  const userId = message.action.params.userId;
  const base = {
    approvalId,
    message,
    ...(pending.durationSeconds ? { durationSeconds: pending.durationSeconds } : {}),
  };
  return {
    ...base,
    state: 'pending',
    payloadHash: payloadHash(base),
    risk,
    confidence: pending.confidence,
    ...(pending.calibratedConfidence !== undefined ? { calibratedConfidence: pending.calibratedConfidence } : {}),
    ...(pending.calibrationNote ? { calibrationNote: pending.calibrationNote.slice(0, 1000) } : {}),
    rationale: pending.rationale,
    evidence: [...pending.evidence],
    rule: pending.rule,
    reason: pending.reason,
    correlationId: message.origin.correlationId,
    ...(pending.eventType ? { eventType: pending.eventType } : {}),
    ...(message.origin.recommendationId ? { recommendationId: message.origin.recommendationId } : {}),
    ...(typeof userId === 'string' ? { subjectUserId: userId } : {}),
    requestedAt: now.toISOString(),
    ...approvalTimes(policy, risk, now),
    required: approvalRequirement(policy, risk, message.action.type),
    decisions: [],
    version: 0,
  };
}
