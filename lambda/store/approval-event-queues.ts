import { type ApprovalCloudEvent, approvalEventSource } from '../domain/approval-events.ts';
import { sqsClient } from './aws-clients.ts';
import { notificationsQueue, SqsQueue } from './sqs-queue.ts';

/**
 * Where a publisher of approval events sends them (the outbox relay's queues and CloudEvent `source`): the approval
 * queue, and the notifier's copy when notifications are on. Every function that changes approval requests uses it.
 * (Its own module: the synchronous receiver bundles `sqs-queue.ts`, and must not bundle the approval events' zod schemas.)
 */
export function approvalEventQueues(config: {
  readonly approvalQueueUrl: string;
  readonly notificationsQueueUrl?: string | undefined;
  readonly instance: string;
}) {
  return {
    approvalQueue: new SqsQueue<ApprovalCloudEvent>(sqsClient(), config.approvalQueueUrl, 'approval'),
    notificationsQueue: notificationsQueue(config.notificationsQueueUrl),
    source: approvalEventSource(config.instance),
  };
}
