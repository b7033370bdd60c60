import { z } from 'zod';
import type { ActionMessage } from '../domain/action-message.ts';
import {
  type ApprovalDecision,
  type ApprovalRecord,
  type ApprovalState,
  type ApprovalStep,
  payloadHash,
} from '../domain/approval.ts';
import { approvalEvent } from '../domain/approval-events.ts';
import type { PolicyConfig } from '../domain/policy-config.ts';
import {
  BadRequestError,
  ConflictError,
  DependencyError,
  ForbiddenError,
  HookpilotError,
  NotFoundError,
} from '../errors.ts';
import {
  decidingGroups,
  describeOpenSlots,
  eligibleGroups,
  type Progress,
  progressOf,
} from '../policy/approval-rules.ts';
import type { ApprovalStore, AuditLog, AuditRecord, Clock, MessageQueue } from '../ports.ts';
import { type PublishApprovalEventsDeps, publishSoon } from './publish-approval-events.ts';

/**
 * Deciding an approval request: one approver's approve or reject, bound to the exact action they were shown (its
 * payload hash), with separation of duties, approve-for-less and reasons. When the policy's requirement is met the
 * request becomes `approved` and the exact stored action goes to the actions queue (`origin.kind = approval`).
 *
 * Exactly-once effect, crash by crash:
 * 1. The decision and the state change are one conditional write (`expectedVersion`), with the `approved`/`rejected`
 *    event in the same write (the outbox the approval queue is published from). A concurrent decision makes the write
 *    fail; the request is re-read and the decision judged again (so of two approvers racing on a one-approver request,
 *    exactly one approves and the other gets 409).
 * 2. Then the action goes to the actions queue, its id as the dedupe key: the executor's ledger runs an action id once
 *    however often it is queued.
 * 3. Then the audit records (idempotent keys).
 * A failure after step 1 answers 503, and the decision is kept. Anything that touches the request again completes 2 and
 * 3 (`completeDecision`): the approver submitting the same decision again (answered 409 "you already decided" once it
 * is done), and the sweeper for approved requests that have not reported an outcome. Re-queueing never doubles the
 * execution (the ledger), re-auditing never doubles a record (its key).
 */

/** What an approver posts to `POST /approvals/{id}/decision`. */
export const DecisionBodySchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  payloadHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 (64 lower-case hex characters) of the payload you were shown'),
  reason: z.string().trim().min(1, 'a reason cannot be empty').max(2000).optional(),
  durationSeconds: z
    .number()
    .int()
    .positive()
    .max(366 * 24 * 3600)
    .optional(),
});
export type DecisionBody = z.infer<typeof DecisionBodySchema>;

/** Who is deciding: from the verified access token (`uid`, `sub`, `groups`). */
export interface ApproverPrincipal {
  /** The Okta user id (`uid`). */
  readonly userId: string;
  /** The login (`sub`). */
  readonly login: string;
  readonly groups: readonly string[];
}

export interface DecideApprovalDeps {
  readonly store: ApprovalStore;
  readonly actionsQueue: MessageQueue<ActionMessage>;
  readonly audit: AuditLog;
  readonly policy: PolicyConfig;
  readonly clock: Clock;
  /** Re-reads after a version conflict before giving up with 503 (default 5). */
  readonly maxAttempts?: number;
  /**
   * Publishes the `approved`/`rejected` event right after the write (it is in the outbox either way, and the sweeper
   * publishes what is left). The publisher also writes the step's audit record (`approval.approved` / `.rejected`).
   */
  readonly publish?: PublishApprovalEventsDeps;
}

export interface DecideResult {
  readonly approvalId: string;
  readonly state: ApprovalState;
  readonly decision: 'approve' | 'reject';
  /** True when this decision completed the requirement and the action was queued. */
  readonly queued: boolean;
  /** What is still required (for a partly approved request). */
  readonly stillRequired?: string;
  readonly grantedDurationSeconds?: number;
  readonly record: ApprovalRecord;
}

const ACTOR = 'approvals-api';

/** Parses a decision body, or a 400 naming the field. */
export function parseDecisionBody(body: string | undefined): DecisionBody {
  if (body === undefined || body.trim() === '') throw new BadRequestError('the request has no body', 'empty_body');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new BadRequestError('the body is not JSON', 'invalid_json');
  }
  const parsed = DecisionBodySchema.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.slice(0, 10).map((i) => ({
      path: i.path.join('.') || '(root)',
      message: i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
    }));
    throw new BadRequestError(
      `the decision is not valid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      'invalid_decision',
      details,
    );
  }
  return parsed.data;
}

/** Why the caller may or may not decide a request (GET shows it; POST enforces it). */
export interface Standing {
  readonly mayDecide: boolean;
  /** Set when they may not: the error a decision would get. */
  readonly refusal?: HookpilotError;
  /** The caller's groups that give them the right to decide this request. */
  readonly qualifyingGroups: readonly string[];
  readonly progress: Progress;
}

/**
 * The checks that do not depend on the body, in the order a decision meets them: rights (403), the subject (403),
 * the state (409), expiry (409), an earlier decision by the same approver (409), and for an approval whether it would
 * fill a slot that is still open (403).
 */
export function standingOf(
  record: ApprovalRecord,
  principal: ApproverPrincipal,
  policy: PolicyConfig,
  now: Date,
): Standing {
  const eligible = eligibleGroups(policy, record);
  const deciding = decidingGroups(record.required, eligible);
  const qualifyingGroups = principal.groups.filter((g) => deciding.has(g));
  const progress = progressOf(record.required, eligible, record.decisions);
  const refuse = (refusal: HookpilotError): Standing => ({ mayDecide: false, refusal, qualifyingGroups, progress });

  if (qualifyingGroups.length === 0) {
    return refuse(
      new ForbiddenError(
        `you are not an approver of this request: ${record.risk}-risk ${record.message.action.type} is decided by members of ${[...deciding].join(', ')}`,
        'not_an_approver',
        { approverGroups: [...deciding] },
      ),
    );
  }
  if (isSubject(record, principal)) {
    return refuse(
      new ForbiddenError(
        'you are the subject of this request: nobody decides on an action that concerns themselves',
        'self_decision',
      ),
    );
  }
  if (record.state !== 'pending') return refuse(notPending(record));
  if (now.getTime() >= Date.parse(record.requestExpiresAt)) {
    return refuse(
      new ConflictError(
        `the request expired at ${record.requestExpiresAt}: it can no longer be decided, and it will not run`,
        'expired',
        { state: 'expired', expiredAt: record.requestExpiresAt },
      ),
    );
  }
  const earlier = record.decisions.find((d) => d.approverId === principal.userId);
  if (earlier) {
    return refuse(
      new ConflictError(
        `you already decided this request (${earlier.outcome} at ${earlier.at}); a decision is single-use. Still required: ${describeOpenSlots(progress.open)}`,
        'already_decided',
        { state: record.state, yourDecision: earlier.outcome, at: earlier.at, stillRequired: progress.open },
      ),
    );
  }
  const after = progressOf(record.required, eligible, [
    ...record.decisions,
    { outcome: 'approve', approverId: principal.userId, qualifyingGroups },
  ]);
  if (after.filled.length === progress.filled.length) {
    // They may still reject (any approver of the request can), but their approval would count for nothing.
    return {
      mayDecide: true,
      refusal: new ForbiddenError(
        `your approval would not count: the slot your groups (${qualifyingGroups.join(', ')}) can fill is taken by ${progress.filled
          .filter((f) => f.slot.some((g) => qualifyingGroups.includes(g)))
          .map((f) => f.approverId)
          .join(', ')}. Still required: ${describeOpenSlots(progress.open)}`,
        'slot_filled',
        { stillRequired: progress.open },
      ),
      qualifyingGroups,
      progress,
    };
  }
  return { mayDecide: true, qualifyingGroups, progress };
}

/** Records one approver's decision, then (if the request is now decided) queues the action and audits it. */
export async function decideApproval(
  input: { readonly principal: ApproverPrincipal; readonly approvalId: string; readonly body: DecisionBody },
  deps: DecideApprovalDeps,
): Promise<DecideResult> {
  const { principal, approvalId, body } = input;
  const attempts = deps.maxAttempts ?? 5;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const record = await read(deps.store, approvalId);
    const now = deps.clock();
    const standing = standingOf(record, principal, deps.policy, now);
    if (standing.refusal && !(standing.mayDecide && body.decision === 'reject')) {
      // The request may have been decided by this very approver with its effects interrupted: complete them first.
      if (isDecided(record) && record.decisions.some((d) => d.approverId === principal.userId)) {
        await completeDecision(record, deps).catch((error: unknown) => {
          throw unavailable('completing your earlier decision failed; try again', error);
        });
        // Its event too, if the request is still where that decision left it (same event id: consumers dedupe).
        if (deps.publish && (record.state === 'approved' || record.state === 'rejected')) {
          await publishSoon(deps.publish, [approvalEvent(record.state, record)]);
        }
      }
      throw standing.refusal;
    }
    const decision = judge(record, principal, body, standing, now);
    const next = apply(record, decision, deps.policy, now);
    const events = next.state === record.state ? [] : [approvalEvent(next.state as ApprovalStep, next)];
    let written: boolean;
    try {
      written = await deps.store.update(next, record.version, events);
    } catch (error) {
      throw unavailable('recording the decision failed; nothing was recorded — try again', error);
    }
    if (!written) continue; // someone else changed it first: read it again and judge again
    await completeDecision(next, deps).catch((error: unknown) => {
      throw unavailable(
        next.state === 'approved'
          ? 'your approval is recorded, but queueing the action failed; submit the same decision again to queue it (it runs once)'
          : 'your decision is recorded, but writing the audit trail failed; submit the same decision again to complete it',
        error,
      );
    });
    // The approval queue hears of it now if it can; otherwise the events wait in the outbox for the sweeper's catch-up.
    if (deps.publish) await publishSoon(deps.publish, events);
    const progress = progressOf(next.required, eligibleGroups(deps.policy, next), next.decisions);
    return {
      approvalId,
      state: next.state,
      decision: body.decision,
      queued: next.state === 'approved',
      ...(next.state === 'pending' ? { stillRequired: describeOpenSlots(progress.open) } : {}),
      ...(next.grantedDurationSeconds ? { grantedDurationSeconds: next.grantedDurationSeconds } : {}),
      record: next,
    };
  }
  throw new DependencyError(`approval ${approvalId} keeps changing under this decision; try again`);
}

/** The body-dependent checks: the payload hash, reasons, and approve-for-less. Returns the decision to record. */
function judge(
  record: ApprovalRecord,
  principal: ApproverPrincipal,
  body: DecisionBody,
  standing: Standing,
  now: Date,
): ApprovalDecision {
  const current = payloadHash(record);
  if (body.payloadHash !== current || body.payloadHash !== record.payloadHash) {
    throw new ConflictError(
      'the action changed since you saw it (the payload hash does not match): fetch the request again, check it, and decide on what it shows now',
      'payload_changed',
      { payloadHash: current },
    );
  }
  if (body.decision === 'reject' && !body.reason) {
    throw new BadRequestError('a rejection needs a reason', 'reason_required', [
      { path: 'reason', message: 'required to reject' },
    ]);
  }
  if (body.decision === 'approve' && record.required.reasonToApprove && !body.reason) {
    throw new BadRequestError('the policy requires a reason to approve', 'reason_required', [
      { path: 'reason', message: 'required to approve (the policy sets approvals.reasonToApprove)' },
    ]);
  }
  if (body.durationSeconds !== undefined) {
    if (body.decision === 'reject') {
      throw new BadRequestError('a rejection has no duration', 'invalid_decision', [
        { path: 'durationSeconds', message: 'only an approval can shorten a time-bound grant' },
      ]);
    }
    if (record.durationSeconds === undefined) {
      throw new BadRequestError('this action is not time-bound', 'invalid_decision', [
        { path: 'durationSeconds', message: 'the action has no duration to shorten' },
      ]);
    }
    if (body.durationSeconds > record.durationSeconds) {
      throw new BadRequestError(
        `an approver may shorten a grant, never lengthen it: at most ${record.durationSeconds} seconds`,
        'invalid_decision',
        [{ path: 'durationSeconds', message: `must be at most the requested ${record.durationSeconds}` }],
      );
    }
  }
  if (body.decision === 'approve' && standing.refusal) throw standing.refusal;
  return {
    outcome: body.decision,
    approverId: principal.userId,
    approverLogin: principal.login,
    qualifyingGroups: [...standing.qualifyingGroups],
    ...(body.reason ? { reason: body.reason } : {}),
    payloadHash: body.payloadHash,
    ...(body.durationSeconds !== undefined ? { durationSeconds: body.durationSeconds } : {}),
    at: now.toISOString(),
  };
}

/** The request with the decision recorded: rejected by any rejection, approved once every slot is filled. */
function apply(record: ApprovalRecord, decision: ApprovalDecision, policy: PolicyConfig, now: Date): ApprovalRecord {
  const decisions = [...record.decisions, decision];
  const base = { ...record, decisions, version: record.version + 1 };
  if (decision.outcome === 'reject') return { ...base, state: 'rejected', decidedAt: now.toISOString() };
  const progress = progressOf(record.required, eligibleGroups(policy, record), decisions);
  if (!progress.met) return base;
  const durations = decisions
    .filter((d) => d.outcome === 'approve' && d.durationSeconds !== undefined)
    .map((d) => d.durationSeconds as number);
  const granted = record.durationSeconds === undefined ? undefined : Math.min(record.durationSeconds, ...durations);
  return {
    ...base,
    state: 'approved',
    decidedAt: now.toISOString(),
    ...(granted !== undefined ? { grantedDurationSeconds: granted } : {}),
  };
}

/**
 * The effects of a recorded decision, all idempotent: for an approved request that has no outcome yet, the action on
 * the actions queue (its action id is the executor's dedupe key); the audit records of every decision and of the state
 * change. Safe to call any number of times (the decide retry, the sweeper).
 */
export async function completeDecision(
  record: ApprovalRecord,
  deps: Pick<DecideApprovalDeps, 'actionsQueue' | 'audit'>,
): Promise<void> {
  if (record.state === 'approved') {
    const message = approvedMessage(record);
    await deps.actionsQueue.send([
      { id: message.actionId, body: message, attributes: { actionType: message.action.type } },
    ]);
  }
  await deps.audit.append(auditRecords(record));
}

/** The exact stored action, as the executor gets it once approved. */
export function approvedMessage(record: ApprovalRecord): ActionMessage {
  const approvers = record.decisions.filter((d) => d.outcome === 'approve').map((d) => d.approverId);
  const decidedAt = record.decidedAt ?? record.requestedAt;
  const granted = record.grantedDurationSeconds ?? record.durationSeconds;
  return {
    ...record.message,
    origin: {
      ...record.message.origin,
      kind: 'approval',
      approvalId: record.approvalId,
      approvedBy: approvers.join(','),
    },
    decidedAt,
    // The clock starts when the executor grants it (it records the grant with expiresAt = grantedAt + duration).
    ...(granted !== undefined ? { durationSeconds: granted } : {}),
  };
}

/**
 * One audit record per decision (with the approver's Okta user id), joined to the originating event's correlation. The
 * state change's record (`approval.approved` / `approval.rejected`) comes with its approval-queue event (the publisher).
 */
export function auditRecords(record: ApprovalRecord): AuditRecord[] {
  const actionId = record.message.actionId;
  const type = record.message.action.type;
  const base = {
    correlationId: record.correlationId,
    actor: ACTOR,
    ...(record.subjectUserId ? { subjectUserId: record.subjectUserId } : {}),
    ...(record.eventType ? { eventType: record.eventType } : {}),
  };
  return record.decisions.map((d) => ({
    ...base,
    recordKey: `approval:${actionId}:decision:${d.approverId}`,
    kind: d.outcome === 'approve' ? 'approval.approve' : 'approval.reject',
    at: d.at,
    summary: `${d.approverLogin} (${d.approverId}) ${d.outcome === 'approve' ? 'approved' : 'rejected'} ${type}${d.durationSeconds ? ` for ${d.durationSeconds} s` : ''}`,
    detail: {
      approvalId: record.approvalId,
      actionId,
      outcome: d.outcome,
      approverId: d.approverId,
      approverLogin: d.approverLogin,
      qualifyingGroups: d.qualifyingGroups,
      payloadHash: d.payloadHash,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.durationSeconds ? { durationSeconds: d.durationSeconds } : {}),
    },
  }));
}

async function read(store: ApprovalStore, approvalId: string): Promise<ApprovalRecord> {
  let record: ApprovalRecord | undefined;
  try {
    record = await store.get(approvalId);
  } catch (error) {
    throw unavailable('reading the approval request failed; try again', error);
  }
  if (!record) throw new NotFoundError(`no approval request ${approvalId}`);
  return record;
}

/** Whether the request left `pending` through a decision (not expiry or cancellation). */
const isDecided = (record: ApprovalRecord): boolean =>
  record.state !== 'pending' && record.state !== 'expired' && record.state !== 'cancelled';

/** The Okta user id, and the login when the action names one, compared with the approver's. */
function isSubject(record: ApprovalRecord, principal: ApproverPrincipal): boolean {
  const params = record.message.action.params;
  const subjectId = record.subjectUserId ?? (typeof params.userId === 'string' ? params.userId : undefined);
  if (subjectId !== undefined && subjectId === principal.userId) return true;
  const login = typeof params.login === 'string' ? params.login : undefined;
  return login !== undefined && login.toLowerCase() === principal.login.toLowerCase();
}

function notPending(record: ApprovalRecord): ConflictError {
  const approvers = record.decisions.filter((d) => d.outcome === 'approve').map((d) => d.approverLogin);
  const rejecter = record.decisions.find((d) => d.outcome === 'reject');
  const at = record.decidedAt ? ` at ${record.decidedAt}` : '';
  const how =
    record.state === 'expired'
      ? ` at ${record.requestExpiresAt}`
      : record.state === 'rejected' && rejecter
        ? ` by ${rejecter.approverLogin}${at}`
        : record.state === 'approved'
          ? ` by ${approvers.join(' and ')}${at}`
          : approvers.length > 0
            ? ` (approved by ${approvers.join(' and ')}${at})`
            : at;
  return new ConflictError(`the request is ${record.state}${how}: it can no longer be decided`, 'not_pending', {
    state: record.state,
    ...(record.decidedAt ? { decidedAt: record.decidedAt } : {}),
    ...(record.state === 'expired' ? { expiredAt: record.requestExpiresAt } : {}),
    decidedBy: record.decisions.map((d) => ({ outcome: d.outcome, approverId: d.approverId, at: d.at })),
  });
}

/** A dependency's failure as a 503 with a message for the approver; a client error passes through. */
function unavailable(message: string, error: unknown): HookpilotError {
  return error instanceof HookpilotError && error.status < 500 ? error : new DependencyError(message, error);
}
