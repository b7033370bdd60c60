import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { eventsConsumerConfig } from '../config.ts';
import { type ApprovalCloudEvent, approvalEventSource } from '../domain/approval-events.ts';
import { logger } from '../log.ts';
import { OktaCallError } from '../okta/directory.ts';
import { oktaSettings } from '../okta/okta-config.ts';
import { OktaSdkAdapter } from '../okta/okta-sdk-adapter.ts';
import type { ActionMessage } from '../pipeline/action-messages.ts';
import { ApprovalRequests } from '../pipeline/approvals.ts';
import { MAX_DEFERRALS, secondsUntilRetry } from '../pipeline/deferral.ts';
import { type EventMessage, EventMessageSchema } from '../pipeline/messages.ts';
import { processEvent } from '../pipeline/process-event.ts';
import { loadPolicy, modeFrom } from '../policy/policy-config.ts';
import { chooseRecommender } from '../recommend/choose.ts';
import { DynamoActionLedger } from '../store/action-ledger.ts';
import { DynamoApprovalStore } from '../store/approval-store.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoClient, dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { onceByKey } from '../store/idempotency.ts';
import { SqsQueue } from '../store/sqs-queue.ts';

/**
 * Consumes the events queue: once per Okta event uuid, route it, gather context from Okta, recommend, validate, let the
 * policy decide, and hand each action on. A failing record is reported alone (partial batch response) so SQS redelivers
 * only it, and moves it to the DLQ after the retry limit.
 */
const config = eventsConsumerConfig();
const policy = loadPolicy();
const approvalStore = new DynamoApprovalStore(dynamoDocumentClient(), config.approvalsTable);
const audit = new DynamoAuditLog(dynamoDocumentClient(), config.auditTable);
const clock = () => new Date();
const { recommender, description } = chooseRecommender();
const deps = {
  audit,
  clock,
  okta: new OktaSdkAdapter(oktaSettings()),
  ledger: new DynamoActionLedger(dynamoDocumentClient(), config.actionsTable),
  recommender,
  policy,
  mode: modeFrom(policy),
  actionsQueue: new SqsQueue<ActionMessage>(sqsClient(), config.actionsQueueUrl, 'actions'),
  approvals: new ApprovalRequests({
    store: approvalStore,
    clock,
    policy,
    publish: {
      outbox: approvalStore,
      audit,
      approvalQueue: new SqsQueue<ApprovalCloudEvent>(sqsClient(), config.approvalQueueUrl, 'approval'),
      source: approvalEventSource(config.instance),
    },
  }),
};
logger.info('events consumer ready', { recommender: description, mode: deps.mode });

const once = onceByKey((message: EventMessage) => processEvent(message, deps), {
  client: dynamoClient(),
  tableName: config.idempotencyTable,
  keyPath: 'event.uuid',
});
const eventsQueue = new SqsQueue<EventMessage>(sqsClient(), config.eventsQueueUrl, 'events');
const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    throw new Error(`message ${record.messageId} is not JSON`);
  }
  const parsed = EventMessageSchema.safeParse(json);
  if (!parsed.success) throw new Error(`message ${record.messageId} is not an events queue message (schema v1)`);
  const message = parsed.data;
  try {
    const outcome = await once.run(message);
    logger.info('event processed', { uuid: message.event.uuid, eventType: message.event.eventType, outcome });
  } catch (error) {
    // Rate limited by Okta: wait on the queue, not in the function, and without using up the record's receive count.
    // (The failed run released its idempotency key, so the copy is processed normally.)
    const deferrals = (message.deferrals ?? 0) + 1;
    if (!(error instanceof OktaCallError && error.kind === 'rate_limited') || deferrals > MAX_DEFERRALS) throw error;
    const delaySeconds = secondsUntilRetry(error.details.retryAt, clock());
    await eventsQueue.send([{ id: message.event.uuid, body: { ...message, deferrals }, delaySeconds }]);
    logger.info('Okta rate limit: event deferred', { uuid: message.event.uuid, delaySeconds, deferrals });
  }
}

export const handler = async (event: SQSEvent, context: Context) => {
  once.registerContext(context);
  return processPartialResponse(event, handleRecord, processor, { context });
};
