import { randomUUID } from 'node:crypto';
import type { EventMessage } from '../domain/event-message.ts';
import type { EventHookDelivery, LogEvent } from '../okta/event-hook.ts';
import { subjectUserId } from '../okta/event-hook.ts';
import type { AuditLog, AuditRecord, Clock, MessageQueue, WorkClaims } from '../ports.ts';
import { auditKeyString } from '../ports.ts';

export interface ReceiveEventsDeps {
  readonly audit: AuditLog;
  readonly queue: MessageQueue<EventMessage>;
  /** Claims on event uuids, so that concurrent copies of a delivery queue each event once. */
  readonly claims: WorkClaims;
  readonly clock: Clock;
  /** Waits between looks at another delivery's progress (tests may shorten it). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ReceiveEventsOutcome {
  /** Events in the delivery (after removing repeats of the same uuid inside it). */
  readonly events: number;
  /** Events queued by this call. */
  readonly queued: number;
  /** Events already received and queued by an earlier or concurrent delivery (Okta retries and duplicates). */
  readonly alreadyReceived: number;
  /** Events queued although another delivery still held them after `WAIT_FOR_OTHERS_MS` (it may have failed). */
  readonly queuedDespiteClaim: number;
}

const RECEIVED = 'received';
const MAX_RECORDED_TARGETS = 20;
/** A claim outlives any receiver run (the function's timeout is 10 s), so a live claim means a live holder. */
export const CLAIM_LEASE_MS = 15_000;
/** How long a delivery waits for a concurrent copy to finish the events it holds, before queueing them itself. */
export const WAIT_FOR_OTHERS_MS = 1_000;
const POLL_MS = 50;

/**
 * Receives one authenticated, validated event hook delivery: every event not seen before is claimed, queued, then
 * recorded as received, and only then is the delivery answered. The "received" audit record is the receipt: it is
 * written only after the event is safely queued.
 * - Okta repeats a delivery whose receipts exist: nothing is queued again.
 * - Concurrent copies of a delivery: each event is claimed by one of them; the others wait (up to
 *   `WAIT_FOR_OTHERS_MS`) for its receipt and queue nothing. If it has not appeared by then (the holder is stuck or
 *   failed), they queue the event themselves: never lost, and the consumer's dedupe keeps the effect once.
 * - Any failure throws (the caller answers 5xx, Okta retries) after giving back this call's claims: every event of the
 *   delivery is queued and receipted, or the answer is an error and the retry completes it. A failure between the
 *   queue and the receipt can queue an event twice; the consumer deduplicates on the event uuid.
 */
export async function receiveEvents(
  delivery: EventHookDelivery,
  deps: ReceiveEventsDeps,
): Promise<ReceiveEventsOutcome> {
  const events = uniqueByUuid(delivery.data.events);
  let pending = await unreceived(events, deps.audit);
  const outcome = {
    events: events.length,
    queued: 0,
    alreadyReceived: events.length - pending.length,
    queuedDespiteClaim: 0,
  };
  const holder = randomUUID();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = deps.clock().getTime();
  for (;;) {
    if (pending.length === 0) return outcome;
    const now = deps.clock();
    const giveUp = now.getTime() - started >= WAIT_FOR_OTHERS_MS;
    const held = await deps.claims.claim(
      pending.map((e) => e.uuid),
      holder,
      new Date(now.getTime() + CLAIM_LEASE_MS),
    );
    const mine = giveUp ? pending : pending.filter((e) => held.has(e.uuid));
    if (mine.length > 0) {
      await queueAndReceipt(mine, delivery, deps, now.toISOString()).catch(async (error: unknown) => {
        await deps.claims.release([...held], holder).catch(() => undefined);
        throw error;
      });
      outcome.queued += mine.length;
      if (giveUp) outcome.queuedDespiteClaim += mine.filter((e) => !held.has(e.uuid)).length;
    }
    const others = pending.filter((e) => !mine.includes(e));
    if (others.length === 0) return outcome;
    await sleep(POLL_MS);
    pending = await unreceived(others, deps.audit);
    outcome.alreadyReceived += others.length - pending.length;
  }
}

async function unreceived(events: readonly LogEvent[], audit: AuditLog): Promise<LogEvent[]> {
  const key = (e: LogEvent) => ({ correlationId: e.uuid, recordKey: RECEIVED });
  const seen = await audit.existing(events.map(key));
  return events.filter((e) => !seen.has(auditKeyString(key(e))));
}

async function queueAndReceipt(
  events: readonly LogEvent[],
  delivery: EventHookDelivery,
  deps: ReceiveEventsDeps,
  receivedAt: string,
): Promise<void> {
  await deps.queue.send(
    events.map((event) => ({
      id: event.uuid,
      body: {
        schemaVersion: 1,
        event,
        delivery: { eventId: delivery.eventId, source: delivery.source, receivedAt },
      },
      attributes: { eventType: event.eventType },
    })),
  );
  await deps.audit.append(events.map((event) => receivedRecord(event, delivery, receivedAt)));
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
      // A receipt stays small whatever the event holds: the first targets, and how many there were.
      targets: (event.target ?? []).slice(0, MAX_RECORDED_TARGETS).map((t) => ({ id: t.id, type: t.type })),
      targetCount: event.target?.length ?? 0,
    },
  };
}
