import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { vi } from 'vitest';
import { type QueueFunction, startQueueWorker } from '../../local/queue-worker.ts';

/** Messages in the queue: visible, in flight, or delayed (e.g. an action put back until Okta's rate limit resets). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Receives and deletes every visible message; returns them. */
export async function drain(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

/** The `hookpilot-id` (dedupe key) of each message. */
export const messageIds = (messages: readonly Message[]) =>
  messages.map((m) => m.MessageAttributes?.['hookpilot-id']?.StringValue);

/**
 * Runs the local queue worker (the stand-in for Lambda's SQS event source) with the given consumer until the queue is
 * empty, then stops it. Redeliveries after the visibility timeout happen as in SQS.
 */
export async function consumeAll(
  sqs: SQSClient,
  queueUrl: string,
  fn: QueueFunction,
  options: { timeoutMs?: number; batchSize?: number } = {},
) {
  const worker = startQueueWorker({ client: sqs, queueUrl, batchSize: options.batchSize ?? 10, fn });
  try {
    await vi.waitFor(
      async () => {
        if ((await queueDepth(sqs, queueUrl)) !== 0) throw new Error('queue not empty yet');
      },
      { timeout: options.timeoutMs ?? 20_000, interval: 100 },
    );
  } finally {
    await worker.stop();
  }
  return worker.stats;
}
