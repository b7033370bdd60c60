import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { eventsConsumerConfig } from '../config.ts';
import type { ActionMessage } from '../domain/action-message.ts';
import { describeIdentity, loadCalibration } from '../domain/calibration.ts';
import { type EventMessage, EventMessageSchema } from '../domain/event-message.ts';
import { loadPolicy, modeFrom } from '../domain/policy-config.ts';
import { logger } from '../log.ts';
import { oktaSettings } from '../okta/okta-config.ts';
import { OktaSdkAdapter } from '../okta/okta-sdk-adapter.ts';
import { ApprovalRequests } from '../pipeline/approvals.ts';
import { consumeEvent } from '../pipeline/consume-event.ts';
import { processEvent } from '../pipeline/process-event.ts';
import { chooseRecommender } from '../recommend/choose.ts';
import { DynamoActionLedger } from '../store/action-ledger.ts';
import { approvalEventQueues } from '../store/approval-event-queues.ts';
import { DynamoApprovalStore } from '../store/approval-store.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoClient, dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { onceByKey } from '../store/idempotency.ts';
import { DynamoLegacyHashStore } from '../store/legacy-hashes.ts';
import { SqsQueue } from '../store/sqs-queue.ts';

/**
 * Consumes the events queue: once per Okta event uuid, route it, gather context from Okta, recommend, validate, let the
 * policy decide, and hand each action on. A failing record is reported alone (partial batch response) so SQS redelivers
 * only it, and moves it to the DLQ after the retry limit.
 */
const config = eventsConsumerConfig();
const policy = loadPolicy();
const calibration = loadCalibration();
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
  calibration,
  actionsQueue: new SqsQueue<ActionMessage>(sqsClient(), config.actionsQueueUrl, 'actions'),
  approvals: new ApprovalRequests({
    store: approvalStore,
    clock,
    policy,
    publish: {
      outbox: approvalStore,
      audit,
      ...approvalEventQueues(config),
    },
  }),
  legacyHashes: config.legacyHashesTable
    ? new DynamoLegacyHashStore(dynamoDocumentClient(), config.legacyHashesTable)
    : undefined,
};
logger.info('events consumer ready', {
  recommender: description,
  mode: deps.mode,
  calibration: calibration ? `fitted for ${describeIdentity(calibration.fittedFor)}` : 'none',
});

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
  const result = await consumeEvent(message, (m) => once.run(m), { eventsQueue, clock });
  const { uuid, eventType } = message.event;
  if (result.status === 'processed') logger.info('event processed', { uuid, eventType, outcome: result.outcome });
  else
    logger.info('Okta rate limit: event deferred', {
      uuid,
      delaySeconds: result.delaySeconds,
      deferrals: result.deferrals,
    });
}

export const handler = async (event: SQSEvent, context: Context) => {
  once.registerContext(context);
  return processPartialResponse(event, handleRecord, processor, { context });
};
