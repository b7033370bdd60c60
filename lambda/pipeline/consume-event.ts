import type { EventMessage } from '../domain/event-message.ts';
import { type Clock, type MessageQueue, OktaCallError } from '../ports.ts';
import { MAX_DEFERRALS, secondsUntilRetry } from './deferral.ts';

export interface ConsumeEventDeps {
  /** Where a rate-limited event is put back, delayed until Okta's reset. */
  readonly eventsQueue: MessageQueue<EventMessage>;
  readonly clock: Clock;
  /** After this many rate-limit deferrals the event is no longer put back: the error reaches SQS (retry, then DLQ). */
  readonly maxDeferrals?: number;
}

export type ConsumeOutcome<T> =
  | { readonly status: 'processed'; readonly outcome: T }
  | { readonly status: 'deferred'; readonly deferrals: number; readonly delaySeconds: number };

/**
 * The events consumer's use case for one queue record: process the event (`processEvent`, once per uuid). When Okta
 * rate limits it, the event waits on the queue, not in the function: a copy goes back delayed past Okta's reset with its
 * deferral count, and this delivery succeeds, so the record's receive count is not used up (the failed run released
 * its idempotency key, so the copy is processed normally). Any other failure, and a rate limit after `maxDeferrals`,
 * is thrown: SQS retries the record alone and finally moves it to the dead-letter queue.
 */
export async function consumeEvent<T>(
  message: EventMessage,
  process: (message: EventMessage) => Promise<T>,
  deps: ConsumeEventDeps,
): Promise<ConsumeOutcome<T>> {
  try {
    return { status: 'processed', outcome: await process(message) };
  } catch (error) {
    const deferrals = (message.deferrals ?? 0) + 1;
    const rateLimited = error instanceof OktaCallError && error.kind === 'rate_limited';
    if (!rateLimited || deferrals > (deps.maxDeferrals ?? MAX_DEFERRALS)) throw error;
    const delaySeconds = secondsUntilRetry(error.details.retryAt, deps.clock());
    await deps.eventsQueue.send([{ id: message.event.uuid, body: { ...message, deferrals }, delaySeconds }]);
    return { status: 'deferred', deferrals, delaySeconds };
  }
}
