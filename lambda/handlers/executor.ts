import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { executorConfig } from '../config.ts';
import { type ActionMessage, ActionMessageSchema } from '../domain/action-message.ts';
import { logger } from '../log.ts';
import { oktaSettings } from '../okta/okta-config.ts';
import { OktaSdkAdapter } from '../okta/okta-sdk-adapter.ts';
import { executeAction } from '../pipeline/execute-action.ts';
import { DynamoActionLedger } from '../store/action-ledger.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { SqsQueue } from '../store/sqs-queue.ts';

/**
 * Consumes the actions queue: each message is one catalogued action, executed once per action id against Okta. A record
 * that must be retried (transient failure) is reported alone; rate-limited ones are re-queued with a delay.
 */
const config = executorConfig();
const deps = {
  okta: new OktaSdkAdapter(oktaSettings()),
  ledger: new DynamoActionLedger(dynamoDocumentClient(), config.actionsTable),
  audit: new DynamoAuditLog(dynamoDocumentClient(), config.auditTable),
  actionsQueue: new SqsQueue<ActionMessage>(sqsClient(), config.actionsQueueUrl, 'actions'),
  clock: () => new Date(),
};
const processor = new BatchProcessor(EventType.SQS);

export const handler = async (event: SQSEvent, context: Context) => {
  const handleRecord = async (record: SQSRecord) => {
    let json: unknown;
    try {
      json = JSON.parse(record.body);
    } catch {
      throw new Error(`message ${record.messageId} is not JSON`);
    }
    const parsed = ActionMessageSchema.safeParse(json);
    if (!parsed.success) throw new Error(`message ${record.messageId} is not an actions queue message (schema v1)`);
    // Hold the action a little longer than this invocation can run, so no other worker takes it meanwhile.
    const outcome = await executeAction(parsed.data, { ...deps, leaseMs: context.getRemainingTimeInMillis() + 5_000 });
    logger.info('action processed', { actionId: parsed.data.actionId, type: parsed.data.action.type, outcome });
  };
  return processPartialResponse(event, handleRecord, processor, { context });
};
