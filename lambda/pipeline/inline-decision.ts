import { randomUUID } from 'node:crypto';
import type { InlineResponse } from '../okta/inline-commands.ts';
import type { InlineRequest } from '../okta/inline-request.ts';
import { INLINE_HOOK_TYPES, type InlineHookType } from '../okta/inline-types.ts';
import type { AuditRecord, Clock } from '../ports.ts';
import type { Budget } from './inline-budget.ts';

/**
 * What an inline use case decides: the answer for Okta, and what the audit trail keeps about it. `outcome` is the
 * decision in a word (`ALLOW`, `DENY`, `patched`, `LINK_USER`, `SUCCESSFUL`, `fallback`…), `rule` the configured rule
 * that decided, `reason` why, `fallback` the optional step that gave up and what was answered instead. `detail` holds
 * ids and counts only — never an OTP, a password, a secret or a raw profile.
 */
export interface InlineDecision {
  readonly response: InlineResponse;
  readonly outcome: string;
  readonly rule?: string;
  readonly reason?: string;
  readonly fallback?: string;
  readonly subjectUserId?: string;
  readonly detail?: Readonly<Record<string, string | number | boolean | null | readonly string[]>>;
}

export interface InlineUseCaseContext {
  /** What is left of the time budget; run every optional slow step through `budget.step`. */
  readonly budget: Budget;
  readonly clock: Clock;
}

export type InlineUseCase<T> = (request: InlineRequest<T>, context: InlineUseCaseContext) => Promise<InlineDecision>;

/** The audit record of one inline decision (`kind: inline.decision`), keyed so that a retried request adds a record. */
export function inlineAuditRecord(input: {
  readonly type: InlineHookType;
  readonly request?: InlineRequest<unknown>;
  readonly decision: InlineDecision;
  readonly actor: string;
  readonly at: Date;
  readonly durationMs: number;
}): AuditRecord {
  const { type, request, decision } = input;
  const at = input.at.toISOString();
  const id = request?.oktaRequestId ?? request?.eventId ?? randomUUID();
  return {
    correlationId: `inline:${type}:${id}`,
    recordKey: `decision:${at}:${randomUUID().slice(0, 8)}`,
    kind: 'inline.decision',
    at,
    actor: input.actor,
    summary: `${type} → ${decision.outcome}${decision.rule ? ` (${decision.rule})` : ''}${decision.fallback ? ` [fallback: ${decision.fallback}]` : ''}`,
    ...(decision.subjectUserId ? { subjectUserId: decision.subjectUserId } : {}),
    eventType: INLINE_HOOK_TYPES[type].eventType,
    detail: {
      type,
      outcome: decision.outcome,
      ...(decision.rule ? { rule: decision.rule } : {}),
      ...(decision.reason ? { reason: decision.reason } : {}),
      ...(decision.fallback ? { fallback: decision.fallback } : {}),
      durationMs: Math.round(input.durationMs),
      ...(request?.requestType ? { requestType: request.requestType } : {}),
      ...(request?.eventId ? { eventId: request.eventId } : {}),
      ...(request?.oktaRequestId ? { oktaRequestId: request.oktaRequestId } : {}),
      commands: (decision.response.commands ?? []).map((c) => c.type),
      error: decision.response.error !== undefined,
      ...decision.detail,
    },
  };
}
