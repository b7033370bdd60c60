import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import type { LocalResources } from '../../local/resources.ts';
import { apiEvent } from '../support/api-event.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { deliveryOf, freshDelivery } from '../support/fixtures.ts';
import { drain, messageIds, queueDepth } from '../support/queues.ts';

const SECRET = 'receiver-test-secret-0123456789';
const OLD_SECRET = 'receiver-test-old-secret-0123456789';
const { sqs, documents } = testClients();
let resources: LocalResources;
let audit: DynamoAuditLog;
let handler: typeof import('../../lambda/handlers/event-hook.ts')['handler'];

beforeAll(async () => {
  resources = await freshResources();
  useLocalEnv(resources, { HOOKPILOT_EVENT_HOOK_SECRET: JSON.stringify([SECRET, OLD_SECRET]) });
  ({ handler } = await import('../../lambda/handlers/event-hook.ts'));
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
});

beforeEach(async () => {
  await drain(sqs, resources.queues.eventsQueue.url);
});

const queueUrl = () => resources.queues.eventsQueue.url;

async function post(body: unknown, headers: Record<string, string> = {}) {
  return (await handler(
    apiEvent('POST', '/okta/events', {
      headers: { authorization: SECRET, 'content-type': 'application/json', ...headers },
      body,
    }),
  )) as APIGatewayProxyStructuredResultV2;
}

const json = (result: APIGatewayProxyStructuredResultV2) => JSON.parse(result.body ?? 'null');

describe('verification (GET /okta/events)', () => {
  it('echoes the challenge in the JSON body, with or without the auth header', async () => {
    for (const headers of [{}, { authorization: SECRET }] as Record<string, string>[]) {
      const result = (await handler(
        apiEvent('GET', '/okta/events', { headers: { 'x-okta-verification-challenge': 'pQ7vY2mR9sK4', ...headers } }),
      )) as APIGatewayProxyStructuredResultV2;
      expect(result.statusCode).toBe(200);
      expect(result.headers?.['content-type']).toBe('application/json');
      expect(json(result)).toEqual({ verification: 'pQ7vY2mR9sK4' });
    }
  });

  it('refuses a wrong auth header, and a GET without a challenge says what is missing', async () => {
    const wrong = (await handler(
      apiEvent('GET', '/okta/events', { headers: { 'x-okta-verification-challenge': 'x', authorization: 'nope' } }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(wrong.statusCode).toBe(401);
    const missing = (await handler(apiEvent('GET', '/okta/events'))) as APIGatewayProxyStructuredResultV2;
    expect(missing.statusCode).toBe(400);
    expect(json(missing).error.message).toContain('x-okta-verification-challenge');
  });
});

describe('deliveries (POST /okta/events)', () => {
  it('queues each event with its uuid as the dedupe key, audits it once, and answers 204 with no body', async () => {
    const delivery = freshDelivery('event-hook-delivery-user-lifecycle-create.json');
    const event = delivery.data.events[0];
    const result = await post(delivery);
    expect(result.statusCode).toBe(204);
    expect(result.body).toBeUndefined();

    const messages = await drain(sqs, queueUrl());
    expect(messageIds(messages)).toEqual([event?.uuid]);
    const body = JSON.parse(messages[0]?.Body ?? '{}');
    expect(body).toMatchObject({ schemaVersion: 1, event: { uuid: event?.uuid, eventType: 'user.lifecycle.create' } });
    expect(body.delivery.eventId).toBe(delivery.eventId);

    const records = await audit.byCorrelation(event?.uuid ?? '');
    expect(records.map((r) => r.kind)).toEqual(['event.received']);
    expect(records[0]).toMatchObject({ subjectUserId: '00u8new3Hs5LpQ2zY1d7', eventType: 'user.lifecycle.create' });
  });

  it('accepts either secret while one is being rotated', async () => {
    expect((await post(freshDelivery(), { authorization: OLD_SECRET })).statusCode).toBe(204);
    expect((await post(freshDelivery(), { authorization: SECRET })).statusCode).toBe(204);
    expect(await drain(sqs, queueUrl())).toHaveLength(2);
  });

  it('changes nothing when Okta sends the same delivery again', async () => {
    const delivery = deliveryOf(3);
    expect((await post(delivery)).statusCode).toBe(204);
    expect(await queueDepth(sqs, queueUrl())).toBe(3);
    expect((await post(delivery)).statusCode).toBe(204);
    // the same events in a different envelope (a new eventId) are also known
    expect((await post({ ...delivery, eventId: 'another-envelope' })).statusCode).toBe(204);
    expect(await queueDepth(sqs, queueUrl())).toBe(3);
    for (const event of delivery.data.events) {
      expect((await audit.byCorrelation(event.uuid)).map((r) => r.recordKey)).toEqual(['received']);
    }
  });

  it('queues an event that appears twice in one delivery once', async () => {
    const delivery = freshDelivery();
    const event = delivery.data.events[0];
    if (!event) throw new Error('fixture has no event');
    delivery.data.events.push(structuredClone(event));
    expect((await post(delivery)).statusCode).toBe(204);
    expect(messageIds(await drain(sqs, queueUrl()))).toEqual([event.uuid]);
  });

  it('queues every event of a 50-event delivery', async () => {
    const delivery = deliveryOf(50);
    expect((await post(delivery)).statusCode).toBe(204);
    const ids = messageIds(await drain(sqs, queueUrl()));
    expect(new Set(ids)).toEqual(new Set(delivery.data.events.map((e) => e.uuid)));
  });

  it('accepts the documented variations of the envelope', async () => {
    const delivery = freshDelivery('event-hook-delivery-group-user-membership-add.json');
    const lenient = {
      ...delivery,
      eventTypeVersion: 1, // a number instead of "1.0"
      cloudEventsVersion: undefined,
      cloudEventVersion: '0.1', // the inline hooks' singular spelling
      unknownFutureField: { anything: true },
    };
    const event = lenient.data.events[0] as Record<string, unknown>;
    event.target = null; // Okta may send null for an empty list
    event.version = 0;
    expect((await post(lenient)).statusCode).toBe(204);
    expect(await drain(sqs, queueUrl())).toHaveLength(1);
  });
});

describe('refusals change nothing', () => {
  const delivery = freshDelivery();
  const uuid = delivery.data.events[0]?.uuid ?? '';
  const noUuid = freshDelivery();
  delete (noUuid.data.events[0] as Record<string, unknown>).uuid;

  it.each([
    ['a missing secret', { authorization: '' }, delivery, 401, 'unauthorized'],
    ['a wrong secret', { authorization: 'not-the-secret-at-all' }, delivery, 401, 'unauthorized'],
    ['malformed JSON', {}, '{"eventType": "com.okta.event_hook", ', 400, 'invalid_json'],
    ['an empty body', {}, '', 400, 'empty_body'],
    [
      'a wrong content type',
      { 'content-type': 'application/x-www-form-urlencoded' },
      delivery,
      415,
      'unsupported_media_type',
    ],
    ['an envelope that is not Okta’s', {}, { type: 'push', commits: [] }, 400, 'invalid_delivery'],
    ['an event without a uuid', {}, noUuid, 400, 'invalid_delivery'],
    ['an oversized body', {}, { ...delivery, padding: 'x'.repeat(1024 * 1024) }, 413, 'payload_too_large'],
  ])('%s → %i, nothing queued or audited', async (_name, headers, body, status, code) => {
    const result = await post(body, headers);
    expect(result.statusCode).toBe(status);
    const error = json(result).error;
    expect(error.code).toBe(code);
    expect(result.body).not.toMatch(/at .*\.ts:\d+|Error:|stack/);
    if (status === 401) expect(error).toEqual({ code: 'unauthorized', message: 'unauthorized' });
    expect(await queueDepth(sqs, queueUrl())).toBe(0);
    expect(await audit.byCorrelation(uuid)).toEqual([]);
  });

  it('names the field that is wrong', async () => {
    const result = await post(noUuid);
    expect(json(result).error.details).toContainEqual({
      path: 'data.events[0].uuid',
      message: expect.stringContaining('expected string'),
    });
  });

  it('answers other methods with 405 and an Allow header', async () => {
    const result = (await handler(
      apiEvent('PUT', '/okta/events', { headers: { authorization: SECRET } }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(405);
    expect(result.headers?.allow).toBe('GET, POST');
  });
});
