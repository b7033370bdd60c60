import { canonicalJson, isFinal, nextRecord } from '../domain/approval.ts';
import { approvalEvent } from '../domain/approval-events.ts';
import { logger } from '../log.ts';
import type { ActionResult, ApprovalFeedback, ApprovalOutcome, ApprovalStore } from '../ports.ts';

import { type PublishApprovalEventsDeps, publishSoon } from './publish-approval-events.ts';

export interface ApprovalOutcomesDeps {
  readonly store: ApprovalStore;
  readonly publish: PublishApprovalEventsDeps;
}

const MAX_ATTEMPTS = 3;

/**
 * The executor's side of approvals: before acting, the request must be `approved` and the message must carry exactly
 * the approved action; after acting, the request records the outcome (`executed`, `voided`, `failed`, with Okta's
 * request id or the reason) and the approval queue says so. The write is conditional on the version read; a redelivery
 * finds the outcome recorded and changes nothing.
 */
export class ApprovalOutcomes implements ApprovalFeedback {
  constructor(private readonly deps: ApprovalOutcomesDeps) {}

  async blockedReason(approvalId: string, message: { actionId: string; action: unknown }) {
    const record = await this.deps.store.get(approvalId);
    if (!record) return `there is no approval request ${approvalId}`;
    if (record.message.actionId !== message.actionId) return `approval ${approvalId} is for another action`;
    if (canonicalJson(record.message.action) !== canonicalJson(message.action)) {
      return `the action differs from the one approved in ${approvalId}`;
    }
    return record.state === 'approved' ? undefined : `approval request ${approvalId} is ${record.state}, not approved`;
  }

  async completed(approvalId: string, outcome: ApprovalOutcome) {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const record = await this.deps.store.get(approvalId);
      if (!record || isFinal(record.state)) return; // unknown, or the outcome (or an earlier end) is recorded already
      if (record.state !== 'approved') {
        logger.warn('an outcome for an approval request that is not approved: left as it is', {
          approvalId,
          state: record.state,
          outcome: outcome.state,
        });
        return;
      }
      const next = nextRecord(record, {
        state: outcome.state,
        completedAt: outcome.at,
        outcome: {
          ...(outcome.oktaRequestId ? { oktaRequestId: outcome.oktaRequestId } : {}),
          ...(outcome.detail ? { detail: outcome.detail.slice(0, 2000) } : {}),
        },
      });
      const events = [approvalEvent(outcome.state, next)];
      if (await this.deps.store.update(next, record.version, events)) {
        await publishSoon(this.deps.publish, events);
        return;
      }
    }
    throw new Error(`approval ${approvalId}: the outcome could not be recorded (the request kept changing)`);
  }
}

/** The approval outcome of a finished action, from its ledger result; undefined for results that are not final. */
export function approvalOutcomeOf(result: ActionResult): ApprovalOutcome | undefined {
  const detail = result.detail as { requestId?: unknown; reason?: unknown; error?: unknown };
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  switch (result.kind) {
    case 'action.executed':
      return {
        state: 'executed',
        at: result.at,
        ...(text(detail.requestId) ? { oktaRequestId: text(detail.requestId) } : {}),
      };
    case 'action.already_done':
      return { state: 'executed', at: result.at, detail: result.summary };
    case 'action.voided':
      return { state: 'voided', at: result.at, detail: text(detail.reason) ?? result.summary };
    case 'action.failed':
    case 'action.rejected':
      return { state: 'failed', at: result.at, detail: text(detail.reason) ?? text(detail.error) ?? result.summary };
    default:
      return undefined;
  }
}
