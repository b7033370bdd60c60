import { createHash } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LOCAL_REGION } from './resources.ts';

export interface QueueFunction {
  readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;
  readonly context: () => Context;
}

export interface WorkerStats {
  /** Messages taken from the queue (counted as soon as the receive returns, before the handler runs). */
  received: number;
  batches: number;
  succeeded: number;
  failed: number;
}

/**
 * A local stand-in for Lambda's SQS event source mapping: long-polls the queue, invokes the consumer handler with an
 * SQS-shaped event, deletes the messages that succeeded and leaves the reported failures (or the whole batch, when the
 * handler throws) to come back after the visibility timeout and, past maxReceiveCount, to move to the DLQ.
 */
export function startQueueWorker(options: {
  client: SQSClient;
  queueUrl: string;
  batchSize: number;
  fn: QueueFunction;
  onBatch?: (result: { size: number; failed: number; error?: unknown }) => void;
}): { stats: WorkerStats; stop(): Promise<void> } {
  const stats: WorkerStats = { received: 0, batches: 0, succeeded: 0, failed: 0 };
  let running = true;
  let queueArn = `arn:aws:sqs:${LOCAL_REGION}:000000000000:${options.queueUrl.split('/').pop()}`;

  const loop = (async () => {
    try {
      const attrs = await options.client.send(
        new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ['QueueArn'] }),
      );
      queueArn = attrs.Attributes?.QueueArn ?? queueArn;
    } catch {
      // keep the derived ARN
    }
    while (running) {
      let messages: Message[] = [];
      try {
        const result = await options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        );
        messages = result.Messages ?? [];
        stats.received += messages.length;
      } catch {
        if (running) await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (messages.length === 0) continue;
      await invoke(messages);
    }
  })();

  async function invoke(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, queueArn)) };
    let failedIds = new Set<string>();
    let error: unknown;
    try {
      const response = await options.fn.handler(event, options.fn.context());
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (e) {
      error = e;
      failedIds = new Set(messages.map((m) => m.MessageId ?? ''));
    }
    const done = messages.filter((m) => !failedIds.has(m.MessageId ?? ''));
    if (done.length > 0) {
      await options.client
        .send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
          }),
        )
        .catch(() => undefined); // an undeleted message is redelivered; the consumer is idempotent
    }
    stats.batches += 1;
    stats.succeeded += done.length;
    stats.failed += messages.length - done.length;
    options.onBatch?.({ size: messages.length, failed: messages.length - done.length, error });
  }

  return {
    stats,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const body = message.Body ?? '';
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { stringValue: value.StringValue, dataType: value.DataType ?? 'String' },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}
