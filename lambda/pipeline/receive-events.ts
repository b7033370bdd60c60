import type { EventMessage } from '../domain/event-message.ts';
import type { EventHookDelivery, LogEvent } from '../okta/event-hook.ts';
import { subjectUserId } from '../okta/event-hook.ts';
import type { AuditLog, AuditRecord, Clock, MessageQueue } from '../ports.ts';
import { auditKeyString } from '../ports.ts';

export interface ReceiveEventsDeps {
  readonly audit: AuditLog;
  readonly queue: MessageQueue<EventMessage>;
  readonly clock: Clock;
}

export interface ReceiveEventsOutcome {
  /** Events in the delivery (after removing repeats of the same uuid inside it). */
  readonly events: number;
  /** Events queued by this call. */
  readonly queued: number;
  /** Events already received and queued by an earlier delivery (Okta retries and duplicates). */
  readonly alreadyReceived: number;
}

const RECEIVED = 'received';

/**
 * Receives one authenticated, validated event hook delivery: every event not seen before is queued, then recorded as
 * received. The "received" audit record doubles as the receipt: it is written only after the event is safely queued,
 * so when this throws (the caller answers 5xx and Okta retries) nothing is lost, and when Okta repeats a delivery
 * whose receipts exist nothing is queued twice. A failure between the queue and the receipt can queue an event twice;
 * the consumer deduplicates on the event uuid, so the effect downstream is still once.
 */
export async function receiveEvents(
  delivery: EventHookDelivery,
  deps: ReceiveEventsDeps,
): Promise<ReceiveEventsOutcome> {
  const events = uniqueByUuid(delivery.data.events);
  const seen = await deps.audit.existing(events.map((e) => ({ correlationId: e.uuid, recordKey: RECEIVED })));
  const fresh = events.filter((e) => !seen.has(auditKeyString({ correlationId: e.uuid, recordKey: RECEIVED })));
  if (fresh.length === 0) return { events: events.length, queued: 0, alreadyReceived: events.length };

  const receivedAt = deps.clock().toISOString();
  await deps.queue.send(
    fresh.map((event) => ({
      id: event.uuid,
      body: {
        schemaVersion: 1,
        event,
        delivery: { eventId: delivery.eventId, source: delivery.source, receivedAt },
      },
      attributes: { eventType: event.eventType },
    })),
  );
  await deps.audit.append(fresh.map((event) => receivedRecord(event, delivery, receivedAt)));
  return { events: events.length, queued: fresh.length, alreadyReceived: events.length - fresh.length };
}

function uniqueByUuid(events: readonly LogEvent[]): LogEvent[] {
  return [...new Map(events.map((e) => [e.uuid, e])).values()];
}

function receivedRecord(event: LogEvent, delivery: EventHookDelivery, at: string): AuditRecord {
  return {
    correlationId: event.uuid,
    recordKey: RECEIVED,
    kind: 'event.received',
    at,
    actor: 'event-hook',
    summary: `received ${event.eventType} (published ${event.published}) and queued it`,
    subjectUserId: subjectUserId(event),
    eventType: event.eventType,
    detail: {
      published: event.published,
      deliveryEventId: delivery.eventId ?? null,
      source: delivery.source ?? null,
      outcome: event.outcome?.result ?? null,
      actor: event.actor ? { id: event.actor.id, type: event.actor.type } : null,
      targets: (event.target ?? []).map((t) => ({ id: t.id, type: t.type })),
    },
  };
}
