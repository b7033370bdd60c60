import { approvalEventType } from '../domain/approval.ts';
import { type ApprovalCloudEvent, toCloudEvent } from '../domain/approval-events.ts';
import { logger } from '../log.ts';
import type { ApprovalEvent, ApprovalOutbox, AuditLog, AuditRecord, MessageQueue } from '../ports.ts';

export interface PublishApprovalEventsDeps {
  readonly outbox: ApprovalOutbox;
  /** Every lifecycle step gets its audit record from here (`approval.<step>`), before it is published. */
  readonly audit: AuditLog;
  readonly approvalQueue: MessageQueue<ApprovalCloudEvent>;
  /**
   * When notifications are on: the notifier's own queue, which gets the same messages. SQS hands each message to one
   * consumer, so the built-in notifier reads a copy and never takes events from teams' consumers of the approval queue.
   */
  readonly notificationsQueue?: MessageQueue<ApprovalCloudEvent>;
  /** The CloudEvent `source` (`approvalEventSource(instance)`). */
  readonly source: string;
}

/** How many outbox events one catch-up pass reads at a time, and at most how many passes it makes. */
const PAGE = 50;
const MAX_PAGES = 20;

/**
 * Relays outbox events: writes each one's audit record (idempotent, keyed by request and step), publishes it on the
 * approval queue, then marks it published. Called with the events a write just stored (right after the write, in the
 * same invocation), or without, to catch up on whatever the outbox still holds (the sweeper, every few minutes). Audit
 * and send first, mark last: a crash in between repeats them later — the audit write is a no-op then, and the message
 * carries the same CloudEvent `id`, which consumers deduplicate on. Exactly once in effect; and a state change is never
 * lost, because it was stored with its events before any of this was tried.
 */
export async function publishApprovalEvents(
  deps: PublishApprovalEventsDeps,
  events?: readonly ApprovalEvent[],
): Promise<{ published: number }> {
  if (events) {
    await send(deps, events);
    return { published: events.length };
  }
  let published = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const batch = await deps.outbox.unpublished(PAGE);
    if (batch.length === 0) break;
    await send(deps, batch);
    published += batch.length;
    if (batch.length < PAGE) break;
  }
  return { published };
}

/**
 * The same, right after a write: a failure is logged and left to the sweeper's catch-up (the events are safe in the
 * outbox), never thrown at a caller whose state change has already succeeded.
 */
export async function publishSoon(deps: PublishApprovalEventsDeps, events: readonly ApprovalEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await publishApprovalEvents(deps, events);
  } catch (error) {
    logger.warn('approval events stay in the outbox; the sweeper publishes them', {
      eventIds: events.map((e) => e.id),
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

async function send(deps: PublishApprovalEventsDeps, events: readonly ApprovalEvent[]): Promise<void> {
  if (events.length === 0) return;
  await deps.audit.append(events.map(auditRecordOf));
  const messages = events.map((event) => ({
    id: event.id,
    body: toCloudEvent(event, deps.source),
    // For filtering without parsing the body (SNS/EventBridge Pipes filters, routing in a consumer).
    attributes: {
      'content-type': 'application/cloudevents+json; charset=UTF-8',
      'ce-type': approvalEventType(event.step),
      'ce-subject': event.approvalId,
      'ce-schemaversion': '1',
    },
  }));
  await deps.approvalQueue.send(messages);
  // Both queues before marking: if the copy fails, the events stay in the outbox and both are sent again (consumers
  // dedupe on the CloudEvent id), so neither side ever misses one.
  await deps.notificationsQueue?.send(messages);
  await deps.outbox.markPublished(events.map((e) => e.id));
}

const STEP_SUMMARY: Record<ApprovalEvent['step'], string> = {
  requested: 'waiting for a human',
  reminded: 'reminder sent, still waiting',
  escalated: 'escalated to the fallback approver group',
  approved: 'approved',
  rejected: 'rejected',
  expired: 'expired without a decision',
  cancelled: 'cancelled',
  executed: 'executed after approval',
  voided: 'voided by the executor after approval',
  failed: 'failed after approval',
  ended: 'the time-bound access it granted has ended',
};

/** The audit record of a lifecycle step, joined to the originating event's correlation. */
function auditRecordOf(event: ApprovalEvent): AuditRecord {
  const data = event.data as {
    correlationId?: string;
    actionId?: string;
    subjectUserId?: string;
    action?: { type?: string };
    reason?: string;
  };
  const why = event.step === 'requested' || event.step === 'voided' || event.step === 'failed' ? data.reason : '';
  return {
    correlationId: data.correlationId ?? event.approvalId,
    recordKey: `approval:${data.actionId ?? event.approvalId}:${event.step}`,
    kind: `approval.${event.step}`,
    at: event.time,
    actor: 'approvals',
    summary: `${STEP_SUMMARY[event.step]}: ${data.action?.type ?? 'action'} (approval ${event.approvalId})${why ? ` — ${why}` : ''}`,
    ...(data.subjectUserId ? { subjectUserId: data.subjectUserId } : {}),
    detail: { eventId: event.id, ...event.data },
  };
}
