import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { intEnv, notifierConfig } from '../config.ts';
import type { ApprovalCloudEvent } from '../domain/approval-events.ts';
import { logger } from '../log.ts';
import { createChannels } from '../notify/channels.ts';
import { consoleBaseUrl, enabledChannels, loadNotifyConfig, NOTIFY_ENV } from '../notify/config.ts';
import { oktaSettings } from '../okta/okta-config.ts';
import { OktaSdkAdapter } from '../okta/okta-sdk-adapter.ts';
import { NotifyRetryError, notifyApprovalEvent } from '../pipeline/notify.ts';
import { DynamoApprovalStore } from '../store/approval-store.ts';
import { dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { DynamoChannelStateStore, DynamoDeliveryLedger } from '../store/notification-ledger.ts';
import { delayRedelivery } from '../store/sqs-queue.ts';

/**
 * Consumes the notifications queue (a copy of every approval event, docs/notifications.md): each message is delivered
 * to every enabled channel that serves its audiences. A record whose deliveries must be retried is reported alone
 * (partial batch response) and comes back after a growing delay (a 429's Retry-After wins), then goes to the DLQ.
 */
const config = notifierConfig();
const kinds = enabledChannels();
const retryBaseSeconds = intEnv(NOTIFY_ENV.retryBaseSeconds, 30, { min: 0, max: 900 });
const deps = {
  ledger: new DynamoDeliveryLedger(dynamoDocumentClient(), config.idempotencyTable),
  approvals: new DynamoApprovalStore(dynamoDocumentClient(), config.approvalsTable),
  directory: new OktaSdkAdapter(oktaSettings()),
  clock: () => new Date(),
};
const state = new DynamoChannelStateStore(dynamoDocumentClient(), config.idempotencyTable);
const processor = new BatchProcessor(EventType.SQS);
logger.info('notifier ready', { channels: kinds });

export const handler = async (event: SQSEvent, context: Context) => {
  // Settings are read per batch (the secret through its cache): a fixed secret applies within minutes, and a missing
  // one fails the batch's records (they come back, then wait in the DLQ) instead of the function's start.
  const setup = await loadNotifyConfig()
    .then((settings) => ({
      channels: createChannels(kinds, settings, { state, directory: deps.directory }),
      consoleBaseUrl: consoleBaseUrl(),
    }))
    .catch((error: unknown) => (error instanceof Error ? error : new Error('notifications settings unreadable')));
  const delays = new Map<string, number>();
  const handleRecord = async (record: SQSRecord) => {
    try {
      if (setup instanceof Error) throw setup;
      let json: unknown;
      try {
        json = JSON.parse(record.body);
      } catch {
        throw new Error(`message ${record.messageId} is not JSON`);
      }
      const leaseMs = context.getRemainingTimeInMillis() + 5_000;
      const result = await notifyApprovalEvent({ ...deps, ...setup, leaseMs }, json as ApprovalCloudEvent);
      logger.info('notifications delivered', { ...result });
    } catch (error) {
      const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
      // Failed deliveries were logged one by one; anything else (settings, a malformed message) is logged here.
      if (!(error instanceof NotifyRetryError)) {
        logger.error('notification message failed', {
          messageId: record.messageId,
          attempt,
          error: error instanceof Error ? `${error.name}: ${error.message}` : 'error',
        });
      }
      const retryAfter = error instanceof NotifyRetryError ? error.retryAfterSeconds : undefined;
      delays.set(record.receiptHandle, retryAfter ?? retryBaseSeconds * 2 ** (attempt - 1));
      throw error;
    }
  };
  try {
    return await processPartialResponse(event, handleRecord, processor, { context });
  } finally {
    // Also when every record failed (Powertools then throws, and the whole batch stays on the queue).
    const queueUrl = config.notificationsQueueUrl;
    if (queueUrl) {
      await Promise.all(
        [...delays].map(([handle, seconds]) => delayRedelivery(sqsClient(), queueUrl, handle, seconds)),
      );
    }
  }
};
