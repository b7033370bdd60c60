import { subjectUserId } from '../okta/event-hook.ts';
import type { AuditLog, Clock } from '../ports.ts';
import { type EventRoute, type RouteDecision, routeEvent } from './event-routes.ts';
import type { EventMessage } from './messages.ts';

export interface ProcessEventDeps {
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly routes?: readonly EventRoute[];
}

/**
 * The events consumer's use case for one queued event: route it and audit the decision. (Recommendation follows for
 * accepted events.) The caller guarantees it runs to completion once per event uuid; the audit write is idempotent too.
 */
export async function processEvent(message: EventMessage, deps: ProcessEventDeps): Promise<RouteDecision> {
  const { event } = message;
  const decision = routeEvent(event, deps.routes);
  await deps.audit.append([
    {
      correlationId: event.uuid,
      recordKey: 'routed',
      kind: decision.accepted ? 'event.accepted' : 'event.skipped',
      at: deps.clock().toISOString(),
      actor: 'events-consumer',
      summary: decision.accepted ? `accepted for recommendation (${decision.intent})` : `skipped: ${decision.reason}`,
      subjectUserId: decision.accepted ? decision.subjectUserId : subjectUserId(event),
      eventType: event.eventType,
      detail: decision.accepted
        ? { intent: decision.intent, rule: decision.rule, published: event.published }
        : { reason: decision.reason, published: event.published },
    },
  ]);
  return decision;
}
