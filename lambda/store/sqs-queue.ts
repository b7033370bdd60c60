import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { asciiJson, asciiText } from '../ascii-json.ts';
import type { ApprovalCloudEvent } from '../domain/approval-events.ts';
import { DependencyError } from '../errors.ts';
import type { MessageQueue, QueueMessage } from '../ports.ts';
import { sqsClient } from './aws-clients.ts';

/** SQS limits: 10 entries per batch; 256 KiB per batch keeps us inside every queue's MaximumMessageSize setting. */
const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;
/** Batches in flight at once: a 1,000-event delivery is 100 batches, sent in ~10 round trips instead of 100. */
const SEND_CONCURRENCY = 10;

/**
 * A queue of JSON messages on SQS. Bodies and attribute values are printable ASCII by construction (`asciiJson`: every
 * other character is a `\uXXXX` escape, and `JSON.parse` restores it), so no character in a message can make SQS refuse
 * it. Sends in batches, several at once; entries SQS reports as failed are sent once more, and if any still fail the
 * whole call fails with `DependencyError` (the caller answers 5xx and the sender retries: consumers dedupe on
 * `QueueMessage.id`, which travels as the `hookpilot-id` attribute).
 */
export class SqsQueue<T> implements MessageQueue<T> {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly label: string,
  ) {}

  async send(messages: readonly QueueMessage<T>[]): Promise<void> {
    const pending = [...batches(messages.map(toEntry))];
    const worker = async () => {
      for (let batch = pending.shift(); batch; batch = pending.shift()) await this.sendBatch(batch);
    };
    // Every worker runs to its end even when one fails, so no batch is left half-sent behind the error.
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(SEND_CONCURRENCY, pending.length) }, worker),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private async sendBatch(batch: SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 2) {
        throw new DependencyError(`the ${this.label} queue (SQS) rejected ${pending.length} message(s)`);
      }
      let failedIds: Set<string>;
      try {
        const result = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }),
        );
        failedIds = new Set((result.Failed ?? []).map((f) => f.Id ?? ''));
      } catch (error) {
        throw new DependencyError(`the ${this.label} queue (SQS) is unavailable`, error);
      }
      pending = pending.filter((entry) => failedIds.has(entry.Id ?? ''));
    }
  }
}

function toEntry<T>(message: QueueMessage<T>, index: number): SendMessageBatchRequestEntry {
  return {
    Id: `m${index}`,
    MessageBody: asciiJson(message.body),
    ...(message.delaySeconds ? { DelaySeconds: Math.min(900, Math.max(0, Math.ceil(message.delaySeconds))) } : {}),
    MessageAttributes: Object.fromEntries(
      Object.entries({ 'hookpilot-id': message.id, ...message.attributes }).map(([k, v]) => [
        k,
        { DataType: 'String', StringValue: asciiText(v) },
      ]),
    ),
  };
}

function entryBytes(entry: SendMessageBatchRequestEntry): number {
  let bytes = Buffer.byteLength(entry.MessageBody ?? '', 'utf8');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.StringValue ?? '') + 'String'.length;
  }
  return bytes;
}

function* batches(entries: SendMessageBatchRequestEntry[]): Generator<SendMessageBatchRequestEntry[]> {
  let batch: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/**
 * The notifier's copy of the approval events (docs/notifications.md), when notifications are on (its URL is set):
 * every publisher of approval events passes it to the outbox relay, which sends each event there too.
 */
export function notificationsQueue(queueUrl: string | undefined): MessageQueue<ApprovalCloudEvent> | undefined {
  return queueUrl ? new SqsQueue<ApprovalCloudEvent>(sqsClient(), queueUrl, 'notifications') : undefined;
}

/**
 * Backoff for a message that failed: it becomes visible again only after `seconds` (0–900; SQS allows up to 12 h, but
 * a quarter of an hour keeps a redrive to the DLQ within a couple of hours). Best effort: if the call fails the message
 * simply comes back after the queue's own visibility timeout.
 */
export async function delayRedelivery(
  client: SQSClient,
  queueUrl: string,
  receiptHandle: string,
  seconds: number,
): Promise<void> {
  await client
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(900, Math.round(seconds))),
      }),
    )
    .catch(() => undefined);
}
