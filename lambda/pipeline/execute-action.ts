import type { ActionMessage } from '../domain/action-message.ts';
import { type Action, ActionSchema, type Assessment, definitionOf, riskOf } from '../domain/catalog.ts';
import type {
  ActionResult,
  ApprovalFeedback,
  AuditLog,
  Clock,
  ExecutionLedger,
  MessageQueue,
  Okta,
  OktaUser,
  RequestRegistry,
} from '../ports.ts';
import { OktaCallError } from '../ports.ts';
import { approvalOutcomeOf } from './approval-outcomes.ts';
import { MAX_DEFERRALS, secondsUntilRetry } from './deferral.ts';
import type { GrantKeeper } from './grants.ts';

export interface ExecuteActionDeps {
  readonly okta: Okta;
  readonly ledger: ExecutionLedger & RequestRegistry;
  readonly audit: AuditLog;
  /** Where a rate-limited action is put back, delayed until Okta's reset. */
  readonly actionsQueue: MessageQueue<ActionMessage>;
  readonly clock: Clock;
  /** How long this worker may hold the action (the function's remaining time). */
  readonly leaseMs: number;
  /** After this many rate-limit deferrals the action fails (audited) instead of waiting forever. */
  readonly maxDeferrals?: number;
  /**
   * Approval requests: an action from an approval runs only while its request is `approved` and is exactly the approved
   * action; its outcome is recorded on the request. (The handler always wires it; without it nothing is cross-checked.)
   */
  readonly approvals?: ApprovalFeedback;
  /**
   * Time-bound grants: a time-bound action (a duration on the message, or the policy's mandatory cap for admin roles
   * and privileged groups) is recorded as a grant once it ran; a revocation ends its grant. (The handler wires it.)
   */
  readonly grants?: GrantKeeper;
}

export type ExecutionOutcome = 'executed' | 'already_done' | 'voided' | 'failed' | 'deferred' | 'duplicate';

/** Thrown when the action should come back later through the queue's own retry (transient failure, or busy). */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
}

const DEFAULT_MAX_DEFERRALS = MAX_DEFERRALS;

/** Ends an action: its final status, what the caller returns, and its outcome record. */
type Settle = (
  status: 'SUCCEEDED' | 'VOIDED' | 'FAILED',
  outcome: ExecutionOutcome,
  kind: string,
  summary: string,
  detail: Record<string, unknown>,
) => Promise<ExecutionOutcome>;

/**
 * Executes one queued action exactly once: claim it by id (a redelivery finds it finished), re-read the user, check that
 * the action is still valid and still wanted (status, the decision's preconditions, "already done"), act, and audit the
 * outcome with Okta's request id and the inverse. Rate limits put the action back on the queue until Okta's reset;
 * permanent errors are audited failures; transient errors throw, so the queue retries and finally dead-letters it.
 */
export async function executeAction(message: ActionMessage, deps: ExecuteActionDeps): Promise<ExecutionOutcome> {
  const now = deps.clock();
  const parsed = ActionSchema.safeParse(message.action);
  const userId = typeof message.action.params.userId === 'string' ? message.action.params.userId : undefined;
  const claim = await deps.ledger.claim(message.actionId, now, deps.leaseMs, {
    action: message.action,
    origin: message.origin,
    decidedAt: message.decidedAt,
    ...(message.expiresAt ? { expiresAt: message.expiresAt } : {}),
  });
  const record = recorder(message, deps, userId);
  if (claim.outcome === 'finished') {
    // An earlier delivery finished it; what it did after the ledger write (below) may not have happened.
    if (claim.result) await afterFinish(message, claim.result, deps, record);
    return 'duplicate';
  }
  if (claim.outcome === 'busy') throw new RetryLaterError(`action ${message.actionId} is being executed elsewhere`);

  /** The ledger first: once it says finished, a redelivery repeats what follows it (idempotent), never the action. */
  const settle: Settle = async (status, outcome, kind, summary, detail) => {
    const result: ActionResult = { kind, summary, at: deps.clock().toISOString(), detail };
    await deps.ledger.finish(message.actionId, status, result);
    await afterFinish(message, result, deps, record);
    return outcome;
  };

  if (!parsed.success) {
    const reason = `not a valid catalog action: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
    return settle('FAILED', 'failed', 'action.rejected', `rejected ${message.action.type}: ${reason}`, { reason });
  }
  const action = parsed.data;
  const definition = definitionOf(action.type);
  if (!definition) throw new Error(`catalog and schema disagree on ${action.type}`);
  const title = definition.describe(action.params);
  const base = { risk: riskOf(action), attempt: claim.attempt };

  const finish: Settle = (status, outcome, kind, summary, detail) =>
    settle(status, outcome, kind, summary, { ...base, ...detail });

  try {
    if (message.origin.kind === 'approval' && deps.approvals) {
      const { approvalId } = message.origin;
      const blocked = approvalId
        ? await deps.approvals.blockedReason(approvalId, message)
        : 'it claims an approval but names none';
      if (blocked) {
        // The request is left as it is: this message is not (or no longer) what was approved.
        return await finish('VOIDED', 'voided', 'action.voided', `voided: ${title}: ${blocked}`, {
          reason: blocked,
          approvalBlocked: true,
        });
      }
    }
    const user = await deps.okta.getUser(action.params.userId);
    if (!user)
      return await finish('VOIDED', 'voided', 'action.voided', `voided: ${title}: the user no longer exists`, {
        reason: 'user not found',
      });

    const assessment = await assess(action, user, message, deps.okta);
    if (assessment.kind === 'done') {
      return await finish(
        'SUCCEEDED',
        'already_done',
        'action.already_done',
        `already done: ${title} (${assessment.reason})`,
        {
          reason: assessment.reason,
          userStatus: user.status,
        },
      );
    }
    if (assessment.kind === 'void') {
      return await finish('VOIDED', 'voided', 'action.voided', `voided: ${title}: ${assessment.reason}`, {
        reason: assessment.reason,
        userStatus: user.status,
      });
    }

    // How long the access lasts (capped by the policy), decided before acting so the outcome record says it.
    const grant = deps.grants ? await deps.grants.termsFor(action, message, deps.okta) : undefined;
    const result = await definition.perform(action.params, deps.okta, assessment.before);
    const inverse = definition.inverse?.(action.params, assessment.before);
    return await finish('SUCCEEDED', 'executed', 'action.executed', `executed: ${title}`, {
      requestId: result.requestId ?? null,
      userStatusBefore: user.status,
      inverse: inverse ?? null,
      ...(grant && inverse ? { grant } : {}),
    });
  } catch (error) {
    if (!(error instanceof OktaCallError)) {
      await deps.ledger.release(message.actionId, 'RETRYING', deps.clock());
      throw error;
    }
    const okta = {
      errorCode: error.details.errorCode ?? null,
      requestId: error.details.requestId ?? null,
      errorId: error.details.errorId ?? null,
    };
    switch (error.kind) {
      case 'already_done':
        return finish(
          'SUCCEEDED',
          'already_done',
          'action.already_done',
          `already done: ${title} (Okta: ${error.details.errorCode})`,
          okta,
        );
      case 'invalid_state':
        return finish(
          'VOIDED',
          'voided',
          'action.voided',
          `voided: ${title}: Okta refused it in the user's current status`,
          {
            ...okta,
            reason: 'the user status changed; Okta refused the operation',
          },
        );
      case 'not_found':
        return finish('VOIDED', 'voided', 'action.voided', `voided: ${title}: ${error.message}`, {
          ...okta,
          reason: 'not found',
        });
      case 'rate_limited':
        return defer(message, deps, error, title, record, finish);
      case 'transient':
      case 'misconfigured':
        await deps.ledger.release(message.actionId, 'RETRYING', deps.clock());
        await record(
          'action.attempt_failed',
          `attempt:${claim.attempt}`,
          `attempt ${claim.attempt} failed, will retry: ${title}: ${error.message}`,
          {
            ...base,
            ...okta,
            error: error.message,
          },
        );
        throw new RetryLaterError(error.message);
      default:
        return finish('FAILED', 'failed', 'action.failed', `failed: ${title}: ${error.message}`, {
          ...okta,
          error: error.message,
          kind: error.kind,
        });
    }
  }
}

/** Is the action still valid and still wanted for this user, now? */
async function assess(action: Action, user: OktaUser, message: ActionMessage, okta: Okta): Promise<Assessment> {
  const definition = definitionOf(action.type);
  if (!definition) return { kind: 'void', reason: `${action.type} is not in the catalog` };
  if (definition.doneIn?.includes(user.status)) return { kind: 'done', reason: `the user is already ${user.status}` };
  if (!definition.validFrom.includes(user.status)) {
    return {
      kind: 'void',
      reason: `the user is ${user.status}; ${action.type} is valid only from ${definition.validFrom.join(', ')}`,
    };
  }
  const expected = message.preconditions;
  if (expected?.status && !expected.status.includes(user.status)) {
    return {
      kind: 'void',
      reason: `the user is now ${user.status} (the decision was made when it was ${expected.status.join(' or ')})`,
    };
  }
  for (const [attribute, value] of Object.entries(expected?.profile ?? {})) {
    const current = user.profile[attribute] ?? null;
    if (current !== value) {
      return {
        kind: 'void',
        reason: `${attribute} changed since the decision (was ${show(value)}, now ${show(current)})`,
      };
    }
  }
  return definition.assess ? definition.assess(action.params, user, okta) : { kind: 'ready' };
}

async function defer(
  message: ActionMessage,
  deps: ExecuteActionDeps,
  error: OktaCallError,
  title: string,
  record: ReturnType<typeof recorder>,
  finish: Settle,
): Promise<ExecutionOutcome> {
  const deferrals = (message.deferrals ?? 0) + 1;
  const now = deps.clock();
  if (deferrals > (deps.maxDeferrals ?? DEFAULT_MAX_DEFERRALS)) {
    return finish(
      'FAILED',
      'failed',
      'action.failed',
      `failed: ${title}: Okta rate limited it ${deferrals - 1} times`,
      {
        reason: 'rate limited too many times',
        deferrals,
      },
    );
  }
  const delaySeconds = secondsUntilRetry(error.details.retryAt, now);
  const retryAt = now.getTime() + delaySeconds * 1000;
  await deps.ledger.release(message.actionId, 'DEFERRED', now);
  // Put a copy back, delayed past Okta's reset; this delivery then succeeds, so the queue's retry budget is untouched.
  await deps.actionsQueue.send([{ id: message.actionId, body: { ...message, deferrals }, delaySeconds }]);
  await record(
    'action.deferred',
    `deferred:${deferrals}`,
    `rate limited by Okta; retrying in ${delaySeconds} s: ${title}`,
    {
      deferrals,
      delaySeconds,
      retryAt: new Date(retryAt).toISOString(),
      requestId: error.details.requestId ?? null,
    },
  );
  return 'deferred';
}

/**
 * What follows the ledger's final write: remembering Okta's request id (Okta sends the change back through the hook as
 * an event; the consumer recognises it as ours) and the outcome audit record. Both are idempotent, so a redelivery of a
 * finished action repeats them in case they were lost.
 */
async function afterFinish(
  message: ActionMessage,
  result: ActionResult,
  deps: ExecuteActionDeps,
  record: ReturnType<typeof recorder>,
): Promise<void> {
  const requestId = result.detail.requestId;
  if (result.kind === 'action.executed' && typeof requestId === 'string') {
    await deps.ledger.rememberRequest(requestId, message.actionId, new Date(result.at));
  }
  await record(result.kind, 'outcome', result.summary, result.detail, result.at);
  const outcome = approvalOutcomeOf(result);
  const blockedByApproval = result.detail.approvalBlocked === true;
  if (
    message.origin.kind === 'approval' &&
    message.origin.approvalId &&
    deps.approvals &&
    outcome &&
    !blockedByApproval
  ) {
    await deps.approvals.completed(message.origin.approvalId, outcome);
  }
  if (deps.grants) await deps.grants.afterFinish(message, result);
}

function recorder(message: ActionMessage, deps: ExecuteActionDeps, userId: string | undefined) {
  return (kind: string, key: string, summary: string, detail: Record<string, unknown>, at?: string) =>
    deps.audit.append([
      {
        correlationId: message.origin.correlationId,
        recordKey: `action:${message.actionId}:${key}`,
        kind,
        at: at ?? deps.clock().toISOString(),
        actor: 'executor',
        summary,
        subjectUserId: userId,
        detail: { actionId: message.actionId, action: message.action, origin: message.origin, ...detail },
      },
    ]);
}

function show(value: unknown): string {
  const text = value === null || value === undefined ? 'empty' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
