import { randomUUID } from 'node:crypto';
import type { ApprovalRecord } from '../../lambda/domain/approval.ts';
import { DEFAULT_POLICY, type PolicyConfig } from '../../lambda/domain/policy-config.ts';
import { buildRequest } from '../../lambda/pipeline/approvals.ts';
import type { PendingApproval } from '../../lambda/ports.ts';

/** A pending approval as the policy hands it over (an action for a user, with its recommendation). */
export function pendingApproval(
  overrides: { type?: string; params?: Record<string, unknown>; risk?: string; correlationId?: string } = {},
): PendingApproval {
  const correlationId = overrides.correlationId ?? randomUUID();
  return {
    message: {
      schemaVersion: 1,
      actionId: `${correlationId}:0`,
      action: {
        type: overrides.type ?? 'group.add_member',
        params: overrides.params ?? { userId: `00u${randomUUID().slice(0, 8)}`, groupId: '00gsales' },
      },
      origin: { kind: 'recommendation', correlationId, recommendationId: `${correlationId}:recommendation` },
      decidedAt: new Date().toISOString(),
      reason: 'peers in Sales hold it',
      preconditions: { status: ['ACTIVE'] },
    },
    risk: overrides.risk ?? 'low',
    confidence: 0.9,
    rationale: '9 of 10 peers in Sales hold it',
    evidence: ['peers: 9/10 hold dept-sales'],
    rule: 'mode-assisted',
    reason: 'assisted mode: a human approves every action',
    eventType: 'user.lifecycle.create',
  };
}

/** A request as first stored, for a pending approval (default: a fresh one), made at `now`. */
export function newRequest(
  now: Date,
  options: { pending?: PendingApproval; policy?: PolicyConfig } = {},
): ApprovalRecord {
  return buildRequest(options.pending ?? pendingApproval(), options.policy ?? DEFAULT_POLICY, now);
}
