import type { z } from 'zod/mini';
import { ENV, intEnv, requiredEnv } from '../config.ts';
import { DependencyError, HookpilotError } from '../errors.ts';
import { logger } from '../log.ts';
import { type InlineAuthenticator, inlineAuthenticatorFromEnv } from '../okta/inline-auth.ts';
import { fitsOkta, type InlineResponse } from '../okta/inline-commands.ts';
import { INLINE_ENV, inlineBudgetEnv } from '../okta/inline-config-env.ts';
import { type InlineRequest, parseInlineRequest } from '../okta/inline-request.ts';
import { type InlineHookType, OKTA_INLINE_DEADLINE_MS } from '../okta/inline-types.ts';
import { Budget } from '../pipeline/inline-budget.ts';
import { type InlineDecision, type InlineUseCase, inlineAuditRecord } from '../pipeline/inline-decision.ts';
import { fallbackFor } from '../pipeline/inline-fallbacks.ts';
import type { AuditLog, AuditRecord, Clock, HttpResult } from '../ports.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoDocumentClient } from '../store/aws-clients.ts';
import { httpHandler } from './http.ts';

export interface InlineHookOptions<T> {
  readonly type: InlineHookType;
  /** The schema of the whole request body (zod/mini: inline bundles stay lean). */
  readonly schema: z.ZodMiniType<T>;
  readonly useCase: InlineUseCase<T>;
  /**
   * The documented safe answer when the use case fails or runs out of time (docs/inline-hooks.md, failure table):
   * given why, it returns the decision to answer and audit. Default: the type's own (`fallbackFor(type)`).
   */
  readonly fallback?: (reason: string) => InlineDecision;
  /** Dependencies; each defaults to the real one configured from the environment. */
  readonly deps?: Partial<InlineHookDeps>;
}

export interface InlineHookDeps {
  readonly authenticate: InlineAuthenticator;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** The time budget in ms (default `HOOKPILOT_INLINE_<TYPE>_BUDGET_MS`, else `HOOKPILOT_INLINE_BUDGET_MS`, else 2000). */
  readonly budgetMs: number;
  readonly maxBodyBytes: number;
}

/** Kept for the audit write after the decision, however late: Okta waits 3 s, the default budget is 2 s. */
const AUDIT_WAIT_MIN_MS = 100;
const AUDIT_WAIT_MAX_MS = 400;

/**
 * One inline hook, end to end: authenticate (header secret or OAuth bearer; 401), parse (4xx naming the field), run the
 * use case inside the time budget, fall back to the type's documented safe answer when it throws or overruns, check the
 * answer fits Okta's 256 KB, audit the decision, answer 200.
 *
 * Auditing never makes the answer late. In Lambda, work left pending after the handler returns is frozen with the
 * execution environment (it resumes only if the environment is reused, and is lost if it is not), so "fire and forget"
 * would silently lose records. The write therefore starts as soon as the decision exists and the answer waits for it
 * for a bounded time (what is left of the budget, between 100 and 400 ms — inside Okta's 3 s, since the budget is at
 * most 2.5 s); if DynamoDB is slower, the answer goes anyway and the late write is logged (never the record's content).
 */
export function inlineHookHandler<T>(given: InlineHookOptions<T>) {
  const options = { ...given, fallback: given.fallback ?? fallbackFor(given.type) };
  const deps = resolveDeps(options.type, options.deps);
  return httpHandler(async (request): Promise<HttpResult> => {
    const budget = new Budget(deps.budgetMs);
    const caller = await deps.authenticate(request.headers);
    const parsed = parseInlineRequest(request, {
      type: options.type,
      schema: options.schema,
      maxBodyBytes: deps.maxBodyBytes,
    });
    const decision = await decide(options, parsed, budget, deps.clock);
    const answered = fitsOkta(decision.response)
      ? decision
      : withFallbackReason(options.fallback('response_too_large'), 'response_too_large');
    const record = inlineAuditRecord({
      type: options.type,
      request: parsed,
      decision: answered,
      actor: caller.scheme === 'oauth' ? `okta-oauth:${caller.clientId}` : 'okta',
      at: deps.clock(),
      durationMs: budget.elapsedMs(),
    });
    await auditWithin(
      deps.audit,
      record,
      Math.min(AUDIT_WAIT_MAX_MS, Math.max(AUDIT_WAIT_MIN_MS, budget.remainingMs())),
    );
    logger.info('inline hook answered', {
      type: options.type,
      outcome: answered.outcome,
      rule: answered.rule,
      fallback: answered.fallback,
      durationMs: Math.round(budget.elapsedMs()),
    });
    return { status: 200, body: answered.response satisfies InlineResponse };
  });
}

/** The use case under the budget: its decision, or the fallback when it throws or does not finish in time. */
async function decide<T>(
  options: InlineHookOptions<T> & Required<Pick<InlineHookOptions<T>, 'fallback'>>,
  request: InlineRequest<T>,
  budget: Budget,
  clock: Clock,
): Promise<InlineDecision> {
  const result = await budget.step(() => options.useCase(request, { budget, clock }), { timeoutMs: budget.totalMs });
  if (result.ok) return result.value;
  // A client's mistake the use case found (a 4xx) is still the client's answer; anything else falls back.
  if (result.reason === 'error' && result.error instanceof HookpilotError && result.error.status < 500) {
    throw result.error;
  }
  const reason =
    result.reason === 'error'
      ? `error:${result.error instanceof DependencyError ? 'dependency' : result.error instanceof Error ? result.error.name : 'unknown'}`
      : 'deadline';
  if (result.reason === 'error') {
    logger.warn('inline use case failed; answering the fallback', {
      type: options.type,
      error: result.error instanceof Error ? { name: result.error.name } : undefined,
    });
  }
  return withFallbackReason(options.fallback(reason), reason);
}

const withFallbackReason = (decision: InlineDecision, reason: string): InlineDecision => ({
  ...decision,
  fallback: decision.fallback ?? reason,
});

async function auditWithin(audit: AuditLog, record: AuditRecord, waitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const write = audit.append([record]).then(
    () => 'written' as const,
    (error: unknown) => {
      logger.error('inline audit record could not be written', {
        correlationId: record.correlationId,
        error: error instanceof Error ? { name: error.name } : undefined,
      });
      return 'failed' as const;
    },
  );
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), waitMs);
  });
  const outcome = await Promise.race([write, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    logger.warn('inline audit write still pending when answering', { correlationId: record.correlationId, waitMs });
  }
}

function resolveDeps(type: InlineHookType, given: Partial<InlineHookDeps> = {}): InlineHookDeps {
  const budgetLimits = { min: 100, max: OKTA_INLINE_DEADLINE_MS - 500 };
  const defaultBudget = intEnv(INLINE_ENV.budgetMs, 2000, budgetLimits);
  return {
    authenticate: given.authenticate ?? inlineAuthenticatorFromEnv(),
    audit:
      given.audit ??
      new DynamoAuditLog(dynamoDocumentClient(), requiredEnv(ENV.auditTable, 'the name of the audit DynamoDB table')),
    clock: given.clock ?? (() => new Date()),
    budgetMs: given.budgetMs ?? intEnv(inlineBudgetEnv(type), defaultBudget, budgetLimits),
    maxBodyBytes:
      given.maxBodyBytes ?? intEnv(INLINE_ENV.maxBodyBytes, 256 * 1024, { min: 1024, max: 6 * 1024 * 1024 }),
  };
}
