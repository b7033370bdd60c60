import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { eventsConsumerConfig } from '../config.ts';
import { logger } from '../log.ts';
import { type EventMessage, EventMessageSchema } from '../pipeline/messages.ts';
import { processEvent } from '../pipeline/process-event.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoClient, dynamoDocumentClient } from '../store/aws-clients.ts';
import { onceByKey } from '../store/idempotency.ts';

/**
 * Consumes the events queue: each record is processed once per Okta event uuid, and a failing record is reported alone
 * (partial batch response) so SQS redelivers only it, and moves it to the DLQ after the retry limit.
 */
const config = eventsConsumerConfig();
const deps = { audit: new DynamoAuditLog(dynamoDocumentClient(), config.auditTable), clock: () => new Date() };
const once = onceByKey((message: EventMessage) => processEvent(message, deps), {
  client: dynamoClient(),
  tableName: config.idempotencyTable,
  keyPath: 'event.uuid',
});
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
  const decision = await once.run(parsed.data);
  logger.info('event routed', { uuid: parsed.data.event.uuid, eventType: parsed.data.event.eventType, decision });
}

export const handler = async (event: SQSEvent, context: Context) => {
  once.registerContext(context);
  return processPartialResponse(event, handleRecord, processor, { context });
};
