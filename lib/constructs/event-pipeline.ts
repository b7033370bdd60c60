import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type FunctionId, QUEUES, type QueueId, type QueueSpec, visibilityTimeoutSeconds } from '../manifest.ts';
import { constructId, entriesOf } from './names.ts';

export interface EventPipelineProps {
  /**
   * How long a message stays in a dead-letter queue (time to inspect and redrive it).
   *
   * @default Duration.days(14) — the SQS maximum
   */
  readonly deadLetterRetention?: Duration;
}

/**
 * One SQS queue per `QUEUES` entry, each with its dead-letter queue: SQS-managed encryption, TLS enforced by the queue
 * policy, retention and the redrive limit from the manifest, visibility timeout from `visibilityTimeoutSeconds`.
 */
export class EventPipeline extends Construct {
  readonly queues: Readonly<Record<QueueId, IQueue>>;
  readonly deadLetterQueues: Readonly<Record<QueueId, IQueue>>;

  constructor(scope: Construct, id: string, props: EventPipelineProps = {}) {
    super(scope, id);
    const queues = {} as Record<QueueId, IQueue>;
    const deadLetterQueues = {} as Record<QueueId, IQueue>;
    for (const [queueId, spec] of entriesOf<QueueId, QueueSpec>(QUEUES)) {
      const name = constructId(queueId);
      const dlq = new Queue(this, `${name}Dlq`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: props.deadLetterRetention ?? Duration.days(14),
      });
      queues[queueId] = new Queue(this, name, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(spec.retentionDays),
        visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(queueId)),
        deadLetterQueue: { queue: dlq, maxReceiveCount: spec.maxReceiveCount },
      });
      deadLetterQueues[queueId] = dlq;
    }
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;
  }

  /**
   * Feeds each queue to its consumer (`QUEUES[id].consumer`). The event source grants the consumer what it needs on its
   * queue (receive, delete, change visibility) and reports failed records one by one, so only they are retried.
   */
  connectConsumers(functions: Readonly<Record<FunctionId, IFunction>>): void {
    for (const [queueId, spec] of entriesOf<QueueId, QueueSpec>(QUEUES)) {
      // A queue without a consumer here (the approval queue) is read by your own consumers (docs/approval-queue.md).
      if (!spec.consumer) continue;
      functions[spec.consumer].addEventSource(
        new SqsEventSource(this.queues[queueId], {
          batchSize: spec.batchSize,
          reportBatchItemFailures: true,
          ...(spec.maxConcurrency ? { maxConcurrency: spec.maxConcurrency } : {}),
        }),
      );
    }
  }
}
