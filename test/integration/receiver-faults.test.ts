import type { SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { dynamoClient, sqsClient } from '../../lambda/store/aws-clients.ts';
import type { LocalResources } from '../../local/resources.ts';
import { apiEvent } from '../support/api-event.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { type Fault, injectFault } from '../support/faults.ts';
import { type Delivery, deliveryOf } from '../support/fixtures.ts';
import { startTestSim, type TestSim } from '../support/okta-sim.ts';
import { handlerEnv } from '../support/okta-users.ts';
import { consumeAll, drain, messageIds, queueDepth } from '../support/queues.ts';

/**
 * "At-least-once in, exactly-once effect": whichever dependency fails, the receiver answers 5xx (so Okta retries), loses
 * no event, and the retry — together with the consumer's dedupe — produces each event's effect exactly once.
 */
const SECRET = 'fault-test-secret-0123456789';
const { sqs, documents } = testClients();
let resources: LocalResources;
let audit: DynamoAuditLog;
let receiver: typeof import('../../lambda/handlers/event-hook.ts')['handler'];
let consumer: typeof import('../../lambda/handlers/events-consumer.ts')['handler'];
const faults: Fault[] = [];

let okta: TestSim;

beforeAll(async () => {
  [resources, okta] = await Promise.all([freshResources({ visibilityTimeoutSeconds: 1 }), startTestSim()]);
  // The fixture's user is not in the simulated org: the consumer routes each event, finds no user, and records why.
  useLocalEnv(resources, {
    HOOKPILOT_EVENT_HOOK_SECRET: SECRET,
    HOOKPILOT_AWS_REQUEST_TIMEOUT_MS: '1000',
    ...handlerEnv(okta),
  });
  ({ handler: receiver } = await import('../../lambda/handlers/event-hook.ts'));
  ({ handler: consumer } = await import('../../lambda/handlers/events-consumer.ts'));
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
});

afterAll(async () => {
  await okta?.stop();
});

beforeEach(async () => {
  await drain(sqs, resources.queues.eventsQueue.url);
});

afterEach(() => {
  for (const fault of faults.splice(0)) fault.remove();
});

const fault = (...args: Parameters<typeof injectFault>) => {
  const f = injectFault(...args);
  faults.push(f);
  return f;
};

async function post(delivery: Delivery) {
  return (await receiver(
    apiEvent('POST', '/okta/events', {
      headers: { authorization: SECRET, 'content-type': 'application/json' },
      body: delivery,
    }),
  )) as APIGatewayProxyStructuredResultV2;
}

const queueUrl = () => resources.queues.eventsQueue.url;
const consumerFn = () => ({
  handler: consumer,
  context: () => ({ getRemainingTimeInMillis: () => 60_000, awsRequestId: 'test' }) as never,
});

/** Each event has exactly these audit record keys, once each. */
async function expectAuditedOnce(delivery: Delivery, keys: string[]) {
  for (const event of delivery.data.events) {
    expect((await audit.byCorrelation(event.uuid)).map((r) => r.recordKey).sort()).toEqual(keys);
  }
}

function expectRetryable(result: APIGatewayProxyStructuredResultV2) {
  expect(result.statusCode).toBe(503);
  const body = JSON.parse(result.body ?? '{}');
  expect(body.error.code).toBe('dependency_unavailable');
  expect(result.body).not.toContain('injected'); // no upstream error text reaches Okta
}

describe('the receiver under dependency faults', () => {
  it('SQS down: 503, nothing audited; Okta’s retry queues and audits every event once', async () => {
    const delivery = deliveryOf(12);
    const f = fault(sqsClient(), 'SendMessageBatchCommand');
    expectRetryable(await post(delivery));
    expect(f.fired()).toBeGreaterThan(0);
    expect(await queueDepth(sqs, queueUrl())).toBe(0);
    await expectAuditedOnce(delivery, []);

    f.remove();
    expect((await post(delivery)).statusCode).toBe(204);
    expect(new Set(messageIds(await drain(sqs, queueUrl())))).toEqual(new Set(delivery.data.events.map((e) => e.uuid)));
    await expectAuditedOnce(delivery, ['received']);
  });

  it('DynamoDB read fails before queueing: 503 and nothing queued', async () => {
    const delivery = deliveryOf(3);
    fault(dynamoClient(), 'BatchGetItemCommand');
    expectRetryable(await post(delivery));
    expect(await queueDepth(sqs, queueUrl())).toBe(0);
  });

  it('the audit write fails after queueing: 503; the retry queues again, but the consumer acts once per event', async () => {
    const delivery = deliveryOf(4);
    const f = fault(dynamoClient(), 'PutItemCommand', { times: 100 });
    expectRetryable(await post(delivery));
    expect(await queueDepth(sqs, queueUrl())).toBe(4); // queued, but not yet receipted
    f.remove();

    expect((await post(delivery)).statusCode).toBe(204); // Okta's retry
    expect(await queueDepth(sqs, queueUrl())).toBe(8); // every event is in the queue twice now

    const stats = await consumeAll(sqs, queueUrl(), consumerFn());
    expect(stats.succeeded).toBe(8);
    await expectAuditedOnce(delivery, ['received', 'routed']);
  });

  it('SQS reports some batch entries failed: they are sent once more, and nothing is doubled', async () => {
    const delivery = deliveryOf(10);
    let dropped = 0;
    // A partial failure: SQS keeps m0 and m3 out of the first batch and reports them in `Failed`.
    sqsClient().middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as SendMessageBatchCommandInput;
        if (!(dropped === 0 && Array.isArray(input.Entries) && input.Entries.length === 10)) return next(args);
        const failing = input.Entries.filter((e) => e.Id === 'm0' || e.Id === 'm3');
        dropped += failing.length;
        const result = await next({
          ...args,
          input: { ...input, Entries: input.Entries.filter((e) => !failing.includes(e)) },
        });
        const output = result.output as { Failed?: unknown[] };
        output.Failed = failing.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError' }));
        return result;
      },
      { step: 'initialize', name: 'partial-batch-failure' },
    );
    try {
      expect((await post(delivery)).statusCode).toBe(204);
    } finally {
      sqsClient().middlewareStack.remove('partial-batch-failure');
    }
    expect(dropped).toBe(2);
    const ids = messageIds(await drain(sqs, queueUrl()));
    expect(ids).toHaveLength(10);
    expect(new Set(ids)).toEqual(new Set(delivery.data.events.map((e) => e.uuid)));
  });

  it('concurrent duplicate deliveries: every one is answered 2xx and each event takes effect once', async () => {
    const delivery = deliveryOf(5);
    const results = await Promise.all(Array.from({ length: 5 }, () => post(delivery)));
    expect(results.map((r) => r.statusCode)).toEqual([204, 204, 204, 204, 204]);
    await consumeAll(sqs, queueUrl(), consumerFn());
    await expectAuditedOnce(delivery, ['received', 'routed']);
  });

  it('out-of-order deliveries (newest first) are each processed once', async () => {
    const older = deliveryOf(3);
    const newer = deliveryOf(3);
    for (const [i, e] of newer.data.events.entries())
      e.published = new Date(Date.parse('2026-03-03T00:00:00Z') + i).toISOString();
    expect((await post(newer)).statusCode).toBe(204);
    expect((await post(older)).statusCode).toBe(204);
    expect((await post(newer)).statusCode).toBe(204);
    await consumeAll(sqs, queueUrl(), consumerFn());
    await expectAuditedOnce(older, ['received', 'routed']);
    await expectAuditedOnce(newer, ['received', 'routed']);
  });
});

describe('the consumer under dependency faults', () => {
  it('an audit write failing mid-batch fails only that record; SQS redelivers it and it is processed once', async () => {
    const delivery = deliveryOf(6);
    expect((await post(delivery)).statusCode).toBe(204);
    const victim = delivery.data.events[2]?.uuid;
    const f = fault(dynamoClient(), 'PutItemCommand', {
      times: 3, // more than the SDK's attempts: the record fails for this invocation
      when: (input) => {
        const id = (input.Item as Record<string, unknown> | undefined)?.correlationId;
        return (typeof id === 'object' && id !== null ? (id as { S?: string }).S : id) === victim; // marshalled or not
      },
    });
    const stats = await consumeAll(sqs, queueUrl(), consumerFn());
    expect(f.fired()).toBe(3);
    expect(stats.failed).toBeGreaterThanOrEqual(1); // the victim, reported alone in batchItemFailures
    expect(stats.succeeded).toBe(6);
    await expectAuditedOnce(delivery, ['received', 'routed']);
  });

  it('a message that is not an events message is reported failed while the rest of the batch succeeds', async () => {
    const delivery = deliveryOf(2);
    expect((await post(delivery)).statusCode).toBe(204);
    const messages = await drain(sqs, queueUrl());
    const records = [
      ...messages.map((m, i) => ({ messageId: `ok-${i}`, body: m.Body ?? '' })),
      { messageId: 'poison-1', body: 'not json' },
      { messageId: 'poison-2', body: JSON.stringify({ schemaVersion: 2, anything: true }) },
    ].map((r) => ({
      ...r,
      receiptHandle: r.messageId,
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn',
      awsRegion: 'us-east-1',
    }));
    const response = await consumer({ Records: records } as never, consumerFn().context());
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['poison-1', 'poison-2']);
    await expectAuditedOnce(delivery, ['received', 'routed']);
  });
});
