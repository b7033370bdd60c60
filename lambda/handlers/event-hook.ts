import { ENV, eventHookConfig } from '../config.ts';
import type { EventMessage } from '../domain/event-message.ts';
import { logger } from '../log.ts';
import { parseEventHookRequest } from '../okta/event-hook-request.ts';
import { hookSecretVerifier } from '../okta/hook-secrets.ts';
import { receiveEvents } from '../pipeline/receive-events.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { MAX_BATCH_BYTES, SqsQueue } from '../store/sqs-queue.ts';
import { DynamoWorkClaims } from '../store/work-claims.ts';
import { httpHandler } from './http.ts';

/** `GET|POST /okta/events`: Okta's verification challenge, and event deliveries (queued, audited, answered 204). */
const config = eventHookConfig();
const verifier = hookSecretVerifier(ENV.eventHookSecret, ENV.eventHookSecretArn);
const deps = {
  audit: new DynamoAuditLog(dynamoDocumentClient(), config.auditTable),
  queue: new SqsQueue<EventMessage>(sqsClient(), config.eventsQueueUrl, 'events'),
  claims: new DynamoWorkClaims(dynamoDocumentClient(), config.idempotencyTable, 'receive'),
  clock: () => new Date(),
};

export const handler = httpHandler(async (request) => {
  const parsed = parseEventHookRequest(request, {
    verify: await verifier(),
    authHeader: config.authHeader,
    maxBodyBytes: config.maxBodyBytes,
    // Room for the rest of the message: the delivery's eventId (≤ 256) and source (≤ 2,048), escaped, and attributes.
    maxEventBytes: MAX_BATCH_BYTES - 16 * 1024,
  });
  if (parsed.kind === 'verification') {
    logger.info('event hook verification answered');
    return { status: 200, body: { verification: parsed.challenge } };
  }
  const outcome = await receiveEvents(parsed.delivery, deps);
  logger.info('event hook delivery received', { deliveryEventId: parsed.delivery.eventId, ...outcome });
  return { status: 204 };
});
