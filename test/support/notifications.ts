import type { ApprovalRecord, ApprovalStep } from '../../lambda/domain/approval.ts';
import { approvalEvent, approvalEventSource, toCloudEvent } from '../../lambda/domain/approval-events.ts';
import type { Notification, NotificationAudience } from '../../lambda/ports.ts';

/**
 * A complete `Notification` for channel tests (Slack, Teams, webhook) without the notifier: a high-risk "add to group"
 * request with names resolved, as `pipeline/notify.ts` would build it. `overrides` replace any field; `step` picks the
 * lifecycle step (its CloudEvent is built by the real contract code, so it is always on-contract).
 */
export function sampleNotification(
  options: { step?: ApprovalStep; audience?: NotificationAudience; overrides?: Partial<Notification> } = {},
): Notification {
  const step = options.step ?? 'requested';
  const audience = options.audience ?? 'approvers';
  const record = sampleRecord(step);
  const event = approvalEvent(step, record);
  const base: Notification = {
    id: `${event.id}/${audience}`,
    audience,
    event,
    cloudEvent: toCloudEvent(event, approvalEventSource('local')),
    step,
    approvalId: record.approvalId,
    state: record.state,
    headline: 'Approval needed: add Jane Doe to the group "Admins"',
    status: 'Waiting for 1 approval',
    action: {
      type: 'group.add_member',
      text: 'add Jane Doe (jane.doe@example.com) to the group "Admins"',
      params: record.message.action.params,
    },
    subject: { id: '00u1subject000000000', login: 'jane.doe@example.com', displayName: 'Jane Doe' },
    manager: { id: '00u1manager000000000', login: 'max.boss@example.com', displayName: 'Max Boss' },
    risk: 'high',
    confidence: 0.82,
    rationale: 'Jane moved to the platform team, whose members are all in Admins.',
    evidence: ['department changed from Sales to Platform', 'every Platform member is in Admins'],
    rule: 'high-risk-needs-approval',
    reason: 'high-risk actions need a human',
    decidedBy: [],
    approvalsMissing: 1,
    expiresAt: record.requestExpiresAt,
    consoleUrl: `http://127.0.0.1:8787/console/approvals/${record.approvalId}`,
    facts: [
      { label: 'Action', value: 'add Jane Doe (jane.doe@example.com) to the group "Admins"' },
      { label: 'Subject', value: 'Jane Doe (jane.doe@example.com)' },
      { label: 'Risk', value: 'high' },
      { label: 'Confidence', value: '82%' },
      { label: 'Expires', value: record.requestExpiresAt },
    ],
  };
  return { ...base, ...options.overrides };
}

/** The approval record behind `sampleNotification`, in the state after `step`. */
export function sampleRecord(step: ApprovalStep): ApprovalRecord {
  const at = '2026-11-29T12:00:00.000Z';
  const later = '2026-11-29T12:05:00.000Z';
  const approve = {
    approverId: '00u1approver00000000',
    approverLogin: 'alice.admin@example.com',
    outcome: 'approve' as const,
    qualifyingGroups: ['hookpilot-approvers'],
    payloadHash: 'h',
    at: later,
  };
  const reject = { ...approve, outcome: 'reject' as const, reason: 'not needed' };
  const state = (
    {
      requested: 'pending',
      reminded: 'pending',
      escalated: 'pending',
      approved: 'approved',
      rejected: 'rejected',
      expired: 'expired',
      cancelled: 'cancelled',
      executed: 'executed',
      voided: 'voided',
      failed: 'failed',
      ended: 'executed',
    } as const
  )[step];
  const decided = ['approved', 'rejected', 'expired', 'cancelled', 'executed', 'voided', 'failed', 'ended'].includes(
    step,
  );
  const completed = ['executed', 'voided', 'failed', 'ended'].includes(step);
  return {
    approvalId: 'apr_000000000000000000000001',
    state,
    message: {
      schemaVersion: 1,
      actionId: 'act_00000001',
      action: { type: 'group.add_member', params: { userId: '00u1subject000000000', groupId: '00g1admins0000000000' } },
      origin: { kind: 'recommendation', correlationId: 'evt-0001' },
      decidedAt: at,
    },
    payloadHash: 'h',
    risk: 'high',
    confidence: 0.82,
    rationale: 'Jane moved to the platform team, whose members are all in Admins.',
    evidence: ['department changed from Sales to Platform'],
    rule: 'high-risk-needs-approval',
    reason: 'high-risk actions need a human',
    correlationId: 'evt-0001',
    subjectUserId: '00u1subject000000000',
    requestedAt: at,
    requestExpiresAt: '2026-11-30T12:00:00.000Z',
    required: { approvals: 1, groupSlots: [], reasonToApprove: false },
    decisions:
      step === 'rejected'
        ? [reject]
        : ['approved', 'executed', 'voided', 'failed', 'ended'].includes(step)
          ? [approve]
          : [],
    ...(step === 'reminded' ? { remindedAt: later } : {}),
    ...(step === 'escalated' ? { escalatedAt: later, escalationGroup: 'hookpilot-fallback' } : {}),
    ...(decided ? { decidedAt: later } : {}),
    ...(completed
      ? {
          completedAt: later,
          outcome: {
            oktaRequestId: 'req-123',
            detail: step === 'executed' || step === 'ended' ? undefined : 'the user left the company',
          },
        }
      : {}),
    ...(step === 'ended' ? { grantEnded: { grantId: 'act_0001', at: later, how: 'expired' as const } } : {}),
    version: ['requested'].includes(step) ? 0 : 1,
  } as ApprovalRecord;
}
