import type { ActionMessage } from '../domain/action-message.ts';
import { isFinal, nextRecord } from '../domain/approval.ts';
import { approvalEvent } from '../domain/approval-events.ts';
import { type Action, type ActionRequest, describeAction, riskOf } from '../domain/catalog.ts';
import { type Grant, type GrantTerms, grantIdOfRevoke, grantTerms, revokeActionId } from '../domain/grant.ts';
import type { PolicyConfig } from '../domain/policy-config.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { logger } from '../log.ts';
import { approverGroups } from '../policy/approval-rules.ts';
import type {
  ActionResult,
  ApprovalStore,
  AuditLog,
  Clock,
  GrantStore,
  MessageQueue,
  OktaDirectory,
} from '../ports.ts';
import { type PublishApprovalEventsDeps, publishSoon } from './publish-approval-events.ts';

/**
 * Time-bound access (just-in-time grants), as use cases over ports: the executor's side (how long a grant lasts under
 * the policy, recording it after the action ran, ending it when its inverse ran), the sweeper's step (revoke what has
 * expired) and an approver ending a grant early. The inverse always runs through the actions queue and the executor,
 * like any action, under the deterministic id `<grantId>:revoke`: however many sweeps (or an early end racing the
 * expiry) queue it, the executor's ledger runs it once.
 */
export interface GrantDeps {
  readonly store: GrantStore;
  readonly policy: PolicyConfig;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** The approval the grant came from hears of its end (`dev.hookpilot.approval.ended`). */
  readonly approvals?: { readonly store: ApprovalStore; readonly publish: PublishApprovalEventsDeps };
}

const MAX_ATTEMPTS = 3;

/** The executor's side of grants. */
export class GrantKeeper {
  constructor(private readonly deps: GrantDeps) {}

  /**
   * The terms of the grant an action would make (undefined: not time-bound). Reads the group's name for the policy's
   * privileged groups. A revocation (`origin.kind = expiry`) is never itself time-bound.
   */
  async termsFor(action: Action, message: ActionMessage, okta: OktaDirectory): Promise<GrantTerms | undefined> {
    if (message.origin.kind === 'expiry') return undefined;
    const groupName =
      action.type === 'group.add_member' ? (await okta.getGroup(action.params.groupId))?.name : undefined;
    return grantTerms(action, requestedSeconds(message), this.deps.policy, groupName);
  }

  /**
   * What follows a finished action (idempotent; a redelivery repeats it): a time-bound action that executed becomes a
   * grant with `expiresAt = grantedAt + duration` (grantedAt = when the executor finished it, from the ledger, so every
   * repetition computes the same); a revocation that finished ends its grant.
   */
  async afterFinish(message: ActionMessage, result: ActionResult): Promise<void> {
    const revoked = grantIdOfRevoke(message.actionId);
    if (message.origin.kind === 'expiry' && revoked) return this.revocationFinished(revoked, result);
    const terms = result.detail.grant as GrantTerms | undefined;
    const inverse = result.detail.inverse as ActionRequest | null | undefined;
    if (result.kind !== 'action.executed' || !terms || !inverse) return;
    const grantedAt = result.at;
    const grant: Grant = {
      grantId: message.actionId,
      state: 'active',
      subjectUserId: String(message.action.params.userId),
      action: message.action,
      inverse: { type: inverse.type, params: { ...inverse.params } },
      grantedAt,
      durationSeconds: terms.durationSeconds,
      expiresAt: new Date(Date.parse(grantedAt) + terms.durationSeconds * 1000).toISOString(),
      durationReason: terms.reason,
      ...(message.origin.approvalId ? { approvalId: message.origin.approvalId } : {}),
      approvers: message.origin.approvedBy ? message.origin.approvedBy.split(',').filter(Boolean) : [],
      correlationId: message.origin.correlationId,
      ...(typeof result.detail.requestId === 'string' ? { oktaRequestId: result.detail.requestId } : {}),
      version: 0,
    };
    await this.deps.store.create(grant); // false: recorded by an earlier delivery
    await this.audit(grant, 'granted', grantedAt, `granted until ${grant.expiresAt}: ${describe(grant)}`, {
      durationSeconds: grant.durationSeconds,
      durationReason: grant.durationReason,
      ...(terms.requestedSeconds ? { requestedSeconds: terms.requestedSeconds } : {}),
      expiresAt: grant.expiresAt,
    });
  }

  /** The inverse finished: the grant is over (`revoked`, or `ended-early`), unless the inverse failed. */
  private async revocationFinished(grantId: string, result: ActionResult): Promise<void> {
    if (result.kind === 'action.failed' || result.kind === 'action.rejected') {
      // Left `revoking`: the access may still be there. The sweeper looks again (same action id: the ledger answers
      // with this failure), so this line repeats until a human removes the access and ends the grant.
      logger.error('a grant could not be revoked: remove the access by hand', { grantId, outcome: result.summary });
      return;
    }
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const grant = await this.deps.store.get(grantId);
      if (!grant) return;
      if (grant.state === 'revoked' || grant.state === 'ended-early') return this.tellApproval(grant);
      const next: Grant = {
        ...grant,
        state: grant.endedEarly ? 'ended-early' : 'revoked',
        endedAt: result.at,
        endDetail: result.summary.slice(0, 500),
        version: grant.version + 1,
      };
      if (await this.deps.store.update(next, grant.version)) {
        await this.audit(next, next.state, result.at, `${next.state}: ${describe(next)} (${result.summary})`, {
          outcome: result.kind,
        });
        return this.tellApproval(next);
      }
    }
    throw new Error(`grant ${grantId}: its end could not be recorded (the grant kept changing)`);
  }

  /** Publishes `dev.hookpilot.approval.ended` on the approval the grant came from (once: the record remembers it). */
  private async tellApproval(grant: Grant): Promise<void> {
    const approvals = this.deps.approvals;
    if (!approvals || !grant.approvalId || !grant.endedAt) return;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const record = await approvals.store.get(grant.approvalId);
      if (!record || record.grantEnded || !isFinal(record.state)) return;
      const next = nextRecord(record, {
        grantEnded: {
          grantId: grant.grantId,
          at: grant.endedAt,
          how: grant.state === 'ended-early' ? 'ended-early' : 'expired',
          ...(grant.endedEarly ? { endedBy: grant.endedEarly.by, reason: grant.endedEarly.reason.slice(0, 500) } : {}),
        },
      });
      const events = [approvalEvent('ended', next)];
      if (await approvals.store.update(next, record.version, events)) {
        await publishSoon(approvals.publish, events);
        return;
      }
    }
  }

  private audit(grant: Grant, step: string, at: string, summary: string, detail: Record<string, unknown>) {
    return this.deps.audit.append([
      {
        correlationId: grant.correlationId,
        recordKey: `grant:${grant.grantId}:${step}`,
        kind: `grant.${step}`,
        at,
        actor: 'executor',
        summary,
        subjectUserId: grant.subjectUserId,
        detail: { grantId: grant.grantId, action: grant.action, inverse: grant.inverse, ...detail },
      },
    ]);
  }
}

/** The duration a message asks for: `durationSeconds`, else (deprecated) the time from `decidedAt` to `expiresAt`. */
function requestedSeconds(message: ActionMessage): number | undefined {
  if (message.durationSeconds !== undefined) return message.durationSeconds;
  if (message.expiresAt === undefined) return undefined;
  const seconds = Math.round((Date.parse(message.expiresAt) - Date.parse(message.decidedAt)) / 1000);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 1;
}

const describe = (grant: Pick<Grant, 'action'>): string => describeAction(grant.action as Action);

// ─── The sweeper's step ────────────────────────────────────────────────────────────────────────────────────────────

export interface SweepGrantsDeps {
  readonly store: GrantStore;
  readonly actionsQueue: MessageQueue<ActionMessage>;
  /** Grants handled per run (the rest wait for the next run). @default 100 */
  readonly batch?: number;
}

/**
 * Revokes what has expired: for each due grant, the inverse goes to the actions queue (`origin.kind = expiry`, action
 * id `<grantId>:revoke`) and then the grant is marked `revoking` (conditional on its version). If the mark fails, the
 * next run queues the same action id again — the ledger runs it once. A grant still `revoking` later (its message lost
 * to the DLQ, say) is queued again under the same id: a finished revocation answers from the ledger and ends the grant.
 */
export async function sweepGrants(deps: SweepGrantsDeps, now: Date): Promise<Record<string, number>> {
  const due = await deps.store.due(now, deps.batch ?? 100);
  let queued = 0;
  for (const grant of due) {
    await deps.actionsQueue.send([revocationMessage(grant, now)]);
    queued++;
    const next: Grant = {
      ...grant,
      state: 'revoking',
      revokeQueuedAt: now.toISOString(),
      version: grant.version + 1,
    };
    await deps.store.update(next, grant.version); // false: someone else moved it; the ledger keeps the effect single
  }
  return { due: due.length, queued };
}

/** The inverse of a grant as an actions queue message (the same id every time). */
export function revocationMessage(grant: Grant, now: Date) {
  const actionId = revokeActionId(grant.grantId);
  const body: ActionMessage = {
    schemaVersion: 1,
    actionId,
    action: grant.inverse,
    origin: {
      kind: 'expiry',
      correlationId: grant.correlationId,
      ...(grant.approvalId ? { approvalId: grant.approvalId } : {}),
    },
    decidedAt: now.toISOString(),
    reason: grant.endedEarly
      ? `grant ${grant.grantId} ended early by ${grant.endedEarly.login}: ${grant.endedEarly.reason}`
      : `grant ${grant.grantId} expired at ${grant.expiresAt}`,
  };
  return { id: actionId, body, attributes: { actionType: grant.inverse.type } };
}

// ─── Ending a grant early ──────────────────────────────────────────────────────────────────────────────────────────

export interface EndGrantDeps {
  readonly store: GrantStore;
  readonly actionsQueue: MessageQueue<ActionMessage>;
  readonly audit: AuditLog;
  readonly policy: PolicyConfig;
  readonly clock: Clock;
}

export interface GrantEnder {
  readonly userId: string;
  readonly login: string;
  readonly groups: readonly string[];
}

/**
 * An approver ends a grant before its expiry: they must hold an approver group for the grant's action (its risk, or the
 * policy's groups for that action type) and must not be its subject. The grant is marked (`endedEarly`, `revoking`)
 * and its inverse queued at once under the same id the sweeper would use. Ending a grant that is already being revoked
 * or is over: 409 naming its state.
 */
export async function endGrant(
  deps: EndGrantDeps,
  input: { grantId: string; ender: GrantEnder; reason: string },
): Promise<Grant> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const grant = await deps.store.get(input.grantId);
    if (!grant) throw new NotFoundError(`no grant ${JSON.stringify(input.grantId.slice(0, 140))}`);
    if (grant.subjectUserId === input.ender.userId) {
      throw new ForbiddenError('nobody decides on access that concerns themselves', 'self_decision');
    }
    const groups = approverGroups(deps.policy, riskOfGrant(grant), grant.action.type);
    if (!input.ender.groups.some((g) => groups.includes(g))) {
      throw new ForbiddenError(
        `ending this grant needs an approver from ${groups.join(' or ')}`,
        'not_an_approver_for_this',
      );
    }
    if (grant.state !== 'active') {
      throw new ConflictError(`the grant is ${grant.state}`, 'grant_not_active', { state: grant.state });
    }
    const now = deps.clock();
    const next: Grant = {
      ...grant,
      state: 'revoking',
      revokeQueuedAt: now.toISOString(),
      endedEarly: { by: input.ender.userId, login: input.ender.login, reason: input.reason, at: now.toISOString() },
      version: grant.version + 1,
    };
    if (!(await deps.store.update(next, grant.version))) continue;
    await deps.audit.append([
      {
        correlationId: grant.correlationId,
        recordKey: `grant:${grant.grantId}:end-requested`,
        kind: 'grant.end_requested',
        at: now.toISOString(),
        actor: `approver:${input.ender.userId}`,
        summary: `${input.ender.login} (${input.ender.userId}) ended grant ${grant.grantId} early: ${input.reason}`,
        subjectUserId: grant.subjectUserId,
        detail: { grantId: grant.grantId, reason: input.reason, endedBy: input.ender.userId },
      },
    ]);
    // If this send fails, the grant is `revoking` with its retry time: the sweeper queues the same action id.
    await deps.actionsQueue.send([revocationMessage(next, now)]);
    return next;
  }
  throw new ConflictError('the grant kept changing; try again', 'grant_changed');
}

function riskOfGrant(grant: Grant): string {
  try {
    return riskOf(grant.action as Action);
  } catch {
    return 'critical';
  }
}
