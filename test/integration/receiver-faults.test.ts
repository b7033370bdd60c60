import { randomBytes } from 'node:crypto';
import { ReceiveMessageCommand, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { dynamoClient, sqsClient } from '../../lambda/store/aws-clients.ts';
import { DynamoWorkClaims } from '../../lambda/store/work-claims.ts';
import type { LocalResources } from '../../local/resources.ts';
import { apiEvent } from '../support/api-event.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { type Fault, injectFault } from '../support/faults.ts';
import { type Delivery, deliveryOf as fixtureDelivery } from '../support/fixtures.ts';
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
  // Each event names its own user (see deliveryOf below), none of them in the simulated org: the consumer routes every
  // event as a joiner, looks its user up in Okta once, finds nobody, and records why (asserted in expectProcessedOnce).
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

/** Up to `max` visible messages, left in the queue (they become visible again at once). */
async function peek(max: number) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl(),
      MaxNumberOfMessages: Math.min(10, max),
      MessageAttributeNames: ['All'],
      VisibilityTimeout: 0,
      WaitTimeSeconds: 0,
    }),
  );
  return Messages;
}
const consumerFn = () => ({
  handler: consumer,
  context: () => ({ getRemainingTimeInMillis: () => 60_000, awsRequestId: 'test' }) as never,
});

/** A made-up Okta user id (20 letters and digits, like Okta's) that the simulated org does not have. */
const unknownUserId = () => `00u${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 17)}`;

/**
 * A delivery of `count` user.lifecycle.create events, each about its own (unknown) user. Distinct subjects matter: with
 * one shared subject every event after the first would stop at the joiner claim without calling Okta, so processing an
 * event twice would leave no trace to count.
 */
function deliveryOf(count: number): Delivery {
  const delivery = fixtureDelivery(count);
  for (const event of delivery.data.events) {
    const target = (event.target as Array<{ id: string; type: string }>).find((t) => t.type === 'User');
    if (!target) throw new Error('fixture event has no User target');
    target.id = unknownUserId();
  }
  return delivery;
}

const subjectOf = (event: Delivery['data']['events'][number]) =>
  (event.target as Array<{ id: string; type: string }>).find((t) => t.type === 'User')?.id ?? '';

/** How many times the consumer asked Okta for the event's user: one lookup per run of the event's processing. */
const oktaLookups = (event: Delivery['data']['events'][number]) =>
  okta.sim.requests().filter((r) => r.method === 'GET' && r.path === `/api/v1/users/${subjectOf(event)}`).length;

/** Each event has exactly these audit record keys, once each. */
async function expectAuditedOnce(delivery: Delivery, keys: string[]) {
  for (const event of delivery.data.events) {
    expect((await audit.byCorrelation(event.uuid)).map((r) => r.recordKey).sort()).toEqual(keys);
  }
}

/**
 * Each event was received and routed once (audit keys), its processing ran `runs(uuid)` times (default once) as counted
 * by the Okta lookups the simulator served (the audit store ignores a repeated key, so it alone cannot show a second
 * run), and it was skipped for the reason the fixture sets up: its user is not in Okta.
 */
async function expectProcessedOnce(delivery: Delivery, runs: (uuid: string) => number = () => 1) {
  await expectAuditedOnce(delivery, ['received', 'routed']);
  for (const event of delivery.data.events) {
    expect(oktaLookups(event), `Okta lookups for event ${event.uuid}`).toBe(runs(event.uuid));
    const routed = (await audit.byCorrelation(event.uuid)).find((r) => r.recordKey === 'routed');
    expect(routed).toMatchObject({ kind: 'event.skipped', detail: { reason: 'the user no longer exists in Okta' } });
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
    for (const event of delivery.data.events) expect(oktaLookups(event)).toBe(0); // the receiver never calls Okta
  });

  it('DynamoDB read fails before queueing: 503 and nothing queued', async () => {
    const delivery = deliveryOf(3);
    fault(dynamoClient(), 'BatchGetItemCommand');
    expectRetryable(await post(delivery));
    expect(await queueDepth(sqs, queueUrl())).toBe(0);
  });

  it('the audit write fails after queueing: 503; the retry queues again, but the consumer acts once per event', async () => {
    const delivery = deliveryOf(4);
    const f = fault(dynamoClient(), 'PutItemCommand', {
      times: 100,
      when: (input) => input.TableName === resources.tables.auditTable, // the receipts, not the claims
    });
    expectRetryable(await post(delivery));
    expect(await queueDepth(sqs, queueUrl())).toBe(4); // queued, but not yet receipted
    f.remove();

    expect((await post(delivery)).statusCode).toBe(204); // Okta's retry
    expect(await queueDepth(sqs, queueUrl())).toBe(8); // every event is in the queue twice now

    const stats = await consumeAll(sqs, queueUrl(), consumerFn());
    expect(stats.succeeded).toBe(8);
    await expectProcessedOnce(delivery); // each event's second copy was deduplicated, not processed again
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

  it('concurrent duplicate deliveries: every one is answered 2xx, each event is queued once, no record fails', async () => {
    const delivery = deliveryOf(5);
    const copies = 8;
    const results = await Promise.all(Array.from({ length: copies }, () => post(delivery)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(copies).fill(204));
    // One copy claimed each event and queued it; the others waited for its receipt and queued nothing.
    expect(messageIds(await peek(delivery.data.events.length + 1)).sort()).toEqual(
      delivery.data.events.map((e) => e.uuid).sort(),
    );
    const stats = await consumeAll(sqs, queueUrl(), consumerFn());
    expect(stats).toMatchObject({ succeeded: 5, failed: 0 });
    await expectProcessedOnce(delivery);
  });

  it('a copy whose claimant failed takes over at once: the claimant gave its claims back', async () => {
    const delivery = deliveryOf(3);
    const f = fault(sqsClient(), 'SendMessageBatchCommand', { times: 3 });
    expectRetryable(await post(delivery)); // claimed, failed to queue, released
    f.remove();
    expect((await post(delivery)).statusCode).toBe(204);
    expect(await queueDepth(sqs, queueUrl())).toBe(3);
    await consumeAll(sqs, queueUrl(), consumerFn());
    await expectProcessedOnce(delivery);
  });

  it('a claim write failing part-way: 503, and the claims already taken are given back (a retry need not wait them out)', async () => {
    const delivery = deliveryOf(3);
    const [first, second, third] = delivery.data.events.map((e) => String(e.uuid));
    const claimKey = (uuid: string | undefined) => `receive#${uuid}`;
    const f = fault(dynamoClient(), 'PutItemCommand', {
      // Only the claim of the second event, and only the claim itself (a release writes a lapsed lease).
      when: (input) =>
        input.TableName === resources.tables.idempotencyTable &&
        JSON.stringify(input.Item ?? {}).includes(`"${claimKey(second)}"`) &&
        !JSON.stringify(input.Item ?? {}).includes('1970-01-01'),
    });
    expectRetryable(await post(delivery));
    expect(f.fired()).toBeGreaterThan(0);
    f.remove();
    expect(await queueDepth(sqs, queueUrl())).toBe(0); // all or nothing: nothing queued
    for (const uuid of [first, third]) {
      const item = await documents.send(
        new GetCommand({ TableName: resources.tables.idempotencyTable, Key: { id: claimKey(uuid) } }),
      );
      // Given back (a lapsed lease), or never taken: either way nobody holds it.
      expect(item.Item === undefined || Date.parse(String(item.Item.leaseUntil)) <= Date.now()).toBe(true);
    }
    expect((await post(delivery)).statusCode).toBe(204);
    await consumeAll(sqs, queueUrl(), consumerFn());
    await expectProcessedOnce(delivery);
  });

  it('a claimant that never finishes (stuck or crashed) does not lose the events: after a wait, the copy queues them', async () => {
    const delivery = deliveryOf(2);
    const stuck = new DynamoWorkClaims(documents, resources.tables.idempotencyTable, 'receive');
    const held = await stuck.claim(
      delivery.data.events.map((e) => e.uuid),
      'a-receiver-that-died',
      new Date(Date.now() + 60_000),
    );
    expect(held.size).toBe(2);
    expect((await post(delivery)).statusCode).toBe(204);
    expect(await queueDepth(sqs, queueUrl())).toBe(2);
    await consumeAll(sqs, queueUrl(), consumerFn());
    await expectProcessedOnce(delivery);
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
    await expectProcessedOnce(older);
    await expectProcessedOnce(newer);
  });
});

describe('the consumer under dependency faults', () => {
  it('an audit write failing mid-batch fails only that record; SQS redelivers it and it is processed once', async () => {
    const delivery = deliveryOf(6);
    expect((await post(delivery)).statusCode).toBe(204);
    const victim = delivery.data.events[2]?.uuid;
    const attribute = (item: Record<string, unknown> | undefined, name: string) => {
      const value = item?.[name];
      return typeof value === 'object' && value !== null ? (value as { S?: string }).S : value; // marshalled or not
    };
    const hits: unknown[] = [];
    const f = fault(dynamoClient(), 'PutItemCommand', {
      times: 3, // each fires once per attempt (the fault sits before the SDK's retries): three failed runs, then success
      // Only the audit table: the action ledger's items (e.g. the joiner claim `claim:joiner:<user>`) also carry the
      // event's correlationId, and matching one would fail a ledger write instead of an audit write.
      when: (input) => {
        const item = input.Item as Record<string, unknown> | undefined;
        const match = input.TableName === resources.tables.auditTable && attribute(item, 'correlationId') === victim;
        if (match) hits.push({ table: input.TableName, recordKey: attribute(item, 'recordKey') });
        return match;
      },
    });
    const stats = await consumeAll(sqs, queueUrl(), consumerFn());
    expect(f.fired()).toBe(3);
    // What failed was the victim's audit write (its skip record), every time.
    expect(hits).toEqual(Array(3).fill({ table: resources.tables.auditTable, recordKey: 'routed' }));
    expect(stats.failed).toBe(3); // the victim, reported alone in batchItemFailures, once per failed run
    expect(stats.succeeded).toBe(6);
    // The others ran once; the victim ran again only because it failed (3 failed runs + the one that succeeded).
    await expectProcessedOnce(delivery, (uuid) => (uuid === victim ? f.fired() + 1 : 1));
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
    await expectProcessedOnce(delivery);
  });
});
