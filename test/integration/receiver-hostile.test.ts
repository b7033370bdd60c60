import { randomUUID } from 'node:crypto';
import { fc } from '@fast-check/vitest';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isOktaKey } from '../../lambda/okta/event-hook.ts';
import { MAX_EVENTS_PER_DELIVERY } from '../../lambda/okta/event-hook-request.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import type { LocalResources } from '../../local/resources.ts';
import { apiEvent } from '../support/api-event.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { type Delivery, deliveryOf } from '../support/fixtures.ts';
import { drain, messageIds, queueDepth } from '../support/queues.ts';

/**
 * Hostile deliveries with the right secret (issue 12): characters SQS refuses, users DynamoDB cannot index, uuids that
 * cannot be keys, depth bombs and floods. Every answer is 2xx or 4xx, and a delivery is all-or-nothing: every event of
 * an accepted delivery is queued once (losslessly) and audited as received; a refused one queues and audits nothing.
 */
const SECRET = 'hostile-test-secret-0123456789';
const { sqs, documents } = testClients();
let resources: LocalResources;
let audit: DynamoAuditLog;
let handler: typeof import('../../lambda/handlers/event-hook.ts')['handler'];

beforeAll(async () => {
  resources = await freshResources();
  useLocalEnv(resources, { HOOKPILOT_EVENT_HOOK_SECRET: SECRET });
  ({ handler } = await import('../../lambda/handlers/event-hook.ts'));
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
});

beforeEach(async () => {
  await drain(sqs, queueUrl());
});

const queueUrl = () => resources.queues.eventsQueue.url;

async function post(body: unknown) {
  return (await handler(
    apiEvent('POST', '/okta/events', {
      headers: { authorization: SECRET, 'content-type': 'application/json' },
      body,
    }),
  )) as APIGatewayProxyStructuredResultV2;
}

type Event = Delivery['data']['events'][number];
const NASTY = ['\uffff', '\ufffe', '😀', '\ud800', '\udfff', '\u0000', '\u202e', '\u0085', 'Ω≈ç√', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢'];

/**
 * Every accepted event is queued exactly once, its message body gives back exactly the event sent, and it has its
 * `received` record; a refused delivery left no message and no record.
 */
async function expectAllOrNothing(delivery: Delivery, result: APIGatewayProxyStructuredResultV2) {
  const status = result.statusCode ?? 0;
  expect([2, 4], `status ${status}: ${result.body}`).toContain(Math.floor(status / 100));
  if (status >= 400) expect(result.body).not.toMatch(/at .*\.ts:\d+|stack/);
  const messages = await drain(sqs, queueUrl());
  const keys = delivery.data.events.map((e) => e.uuid).filter(isOktaKey);
  if (status >= 400) {
    expect(messages).toEqual([]);
    for (const uuid of new Set(keys)) expect(await audit.byCorrelation(uuid)).toEqual([]);
    return;
  }
  const unique = new Map(delivery.data.events.map((e) => [e.uuid, e]));
  expect(messageIds(messages).sort()).toEqual([...unique.keys()].sort());
  for (const message of messages) {
    const body = JSON.parse(message.Body ?? '{}');
    // Lossless: the queued event is the event Okta sent, character for character (the last copy of a repeated uuid).
    expect(body.event).toEqual(JSON.parse(JSON.stringify(unique.get(body.event.uuid))));
  }
  for (const uuid of unique.keys()) {
    expect((await audit.byCorrelation(uuid)).map((r) => r.kind)).toEqual(['event.received']);
  }
}

describe('hostile deliveries, one at a time', () => {
  it('non-characters and emoji in every string are queued losslessly (SQS would refuse them raw)', async () => {
    const delivery = deliveryOf(3);
    const event = delivery.data.events[1] as Event & Record<string, unknown>;
    event.displayMessage = NASTY.join('');
    (event.actor as Record<string, unknown>).displayName = '😀 Zoë \uffff';
    (event.debugContext as { debugData: Record<string, unknown> }).debugData['\uffffkey😀'] = [
      '\ufffe',
      { '\ud800': 1 },
    ];
    event.eventType = 'user.lifecycle.create\uffff';
    const result = await post(delivery);
    expect(result.statusCode).toBe(204);
    await expectAllOrNothing(delivery, result);
  });

  it('a User id DynamoDB cannot index: received and recorded, about nobody', async () => {
    for (const badId of ['', 'x'.repeat(3000), '\ud800', 'a/../b']) {
      const delivery = deliveryOf(2);
      const [first, second] = delivery.data.events as [Event, Event];
      (first.target as { id: string; type: string }[])[0] = { id: badId, type: 'User' };
      second.actor = { id: badId, type: 'User', alternateId: 'x', displayName: 'y' };
      second.target = [];
      const result = await post(delivery);
      expect(result.statusCode).toBe(204);
      await expectAllOrNothing(delivery, result);
      for (const event of delivery.data.events) {
        const [record] = await audit.byCorrelation(event.uuid);
        expect(record?.subjectUserId).toBeUndefined();
      }
    }
  });

  it.each([
    ['?r4'],
    ['\ud800r4'],
    [''],
    ['a'.repeat(65)],
    ['../../etc/passwd'],
    [`\${jndi:ldap://x/a}`],
    ['<script>'],
    ['a\u0000b'],
    ['\u202eabc'],
  ])('refuses the uuid %j with 400 naming data.events[1].uuid', async (uuid) => {
    const delivery = deliveryOf(3);
    (delivery.data.events[1] as Event).uuid = uuid;
    const result = await post(delivery);
    expect(result.statusCode).toBe(400);
    const error = JSON.parse(result.body ?? '{}').error;
    expect(error.code).toBe('invalid_delivery');
    expect(error.details).toContainEqual({ path: 'data.events[1].uuid', message: expect.stringContaining('uuid') });
    await expectAllOrNothing(delivery, result);
  });

  it('a depth bomb is a 400 naming where it is, not a 500', async () => {
    const delivery = deliveryOf(2);
    const body = JSON.stringify(delivery).replace(
      '"debugContext":{',
      `"debugContext":{"bomb":${'['.repeat(6000)}${']'.repeat(6000)},`,
    );
    const result = await post(body);
    expect(result.statusCode).toBe(400);
    const error = JSON.parse(result.body ?? '{}').error;
    expect(error.code).toBe('too_deep');
    expect(error.details[0].path).toMatch(/^data\.events\[0\]\.debugContext\.bomb\[0\]/);
    await expectAllOrNothing(delivery, result);
  });

  it(`more than ${MAX_EVENTS_PER_DELIVERY} events is a 413 that says the limit`, async () => {
    const delivery = deliveryOf(1);
    const tiny = delivery.data.events[0] as Event;
    delivery.data.events = Array.from({ length: MAX_EVENTS_PER_DELIVERY + 1 }, () => ({
      uuid: randomUUID(),
      eventType: tiny.eventType,
      published: tiny.published,
    }));
    const result = await post(delivery);
    expect(result.statusCode).toBe(413);
    expect(JSON.parse(result.body ?? '{}').error.message).toContain(`at most ${MAX_EVENTS_PER_DELIVERY}`);
    expect(await queueDepth(sqs, queueUrl())).toBe(0);
  });
});

/** One way to spoil an event. The arbitrary decides what and where; fresh uuids are drawn inside the run. */
const spoiler = fc.oneof(
  fc.record({
    kind: fc.constant('text' as const),
    field: fc.constantFrom('displayMessage', 'actor', 'target', 'debug', 'eventType', 'outcome', 'envelope'),
    text: fc.array(fc.constantFrom(...NASTY), { minLength: 1, maxLength: 4 }).map((a) => a.join('')),
  }),
  fc.record({
    kind: fc.constant('userId' as const),
    id: fc.constantFrom('', 'x'.repeat(2100), '\ud800', '😀', ' ', 'a'.repeat(65)),
  }),
  fc.record({
    kind: fc.constant('uuid' as const),
    uuid: fc.constantFrom('?r4', '\ud800r4', '', 'a'.repeat(65), '../x', '<b>', 'a b', '\uffff'),
  }),
  fc.record({ kind: fc.constant('edgeUuid' as const), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('depth' as const), depth: fc.constantFrom(20, 40, 5000, 200_000) }),
  fc.record({ kind: fc.constant('wideArray' as const), length: fc.constantFrom(2000, 20_000) }),
  fc.record({ kind: fc.constant('repeat' as const) }),
);

function spoil(delivery: Delivery, index: number, s: SpoilerValue): void {
  const event = delivery.data.events[index % delivery.data.events.length] as Event & Record<string, unknown>;
  switch (s.kind) {
    case 'text': {
      if (s.field === 'displayMessage') event.displayMessage = s.text;
      if (s.field === 'actor') (event.actor as Record<string, unknown>).displayName = s.text;
      if (s.field === 'target')
        (event.target as Record<string, unknown>[])[0] = { id: s.text, type: 'UserGroup', displayName: s.text };
      if (s.field === 'debug') (event.debugContext as Record<string, unknown>).note = { [s.text]: [s.text] };
      if (s.field === 'eventType') event.eventType = `user.lifecycle.create${s.text}`;
      if (s.field === 'outcome') event.outcome = { result: s.text, reason: s.text };
      if (s.field === 'envelope') delivery.source = `https://example.okta.com/${s.text}`;
      return;
    }
    case 'userId':
      (event.target as Record<string, unknown>[])[0] = { id: s.id, type: 'User' };
      return;
    case 'uuid':
      event.uuid = s.uuid;
      return;
    case 'edgeUuid':
      // a valid but unusual uuid: every allowed character, unique per run
      event.uuid = `${randomUUID().replace(/-/g, '')}._:@-`.padEnd(64, 'Z').slice(0, Math.max(s.length, 33));
      return;
    case 'depth': {
      // Deep enough to overflow JSON.stringify is written into the body text by `bodyOf` instead.
      let bomb: unknown = 'bottom';
      for (let i = 0; i < Math.min(s.depth, 100); i++) bomb = [bomb];
      (event.debugContext as Record<string, unknown>).bomb = s.depth > 100 ? `${BOMB}${s.depth}` : bomb;
      return;
    }
    case 'wideArray':
      (event.debugContext as Record<string, unknown>).wide = Array.from({ length: s.length }, (_, i) => i);
      return;
    case 'repeat':
      delivery.data.events.push(structuredClone(event));
      return;
  }
}
/** A delivery's body, with every depth-bomb marker replaced by that many nested arrays. */
const BOMB = 'depth-bomb:';
const bodyOf = (delivery: Delivery) =>
  JSON.stringify(delivery).replace(
    new RegExp(`"${BOMB}(\\d+)"`, 'g'),
    (_m, depth: string) => `${'['.repeat(Number(depth))}0${']'.repeat(Number(depth))}`,
  );
type SpoilerValue = typeof spoiler extends fc.Arbitrary<infer T> ? T : never;

describe('fuzz: malformed deliveries', () => {
  it('are answered 2xx or 4xx, never 5xx, and each is all-or-nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.nat(), spoiler), { minLength: 1, maxLength: 4 }),
        async (count, spoilers) => {
          const delivery = deliveryOf(count);
          for (const [index, s] of spoilers) spoil(delivery, index, s);
          await expectAllOrNothing(delivery, await post(bodyOf(delivery)));
        },
      ),
      { numRuns: 40, interruptAfterTimeLimit: 30_000 },
    );
  }, 120_000);
});

describe('the Okta simulator under a depth bomb', () => {
  it('refuses it as a malformed body (400), and keeps answering', async () => {
    const { startTestSim } = await import('../support/okta-sim.ts');
    const okta = await startTestSim();
    try {
      const user = okta.seedUser(okta.sim.seed.users[0]?.profile.login ?? '');
      const deep = `{"profile":{"nickName":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
      const response = await fetch(`${okta.sim.orgUrl}/api/v1/users/${user.id}`, {
        method: 'POST',
        headers: { authorization: `SSWS ${okta.sim.token}`, 'content-type': 'application/json' },
        body: deep,
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { errorCode: string }).errorCode).toBe('E0000003');
      const again = await fetch(`${okta.sim.orgUrl}/api/v1/users/${user.id}`, {
        headers: { authorization: `SSWS ${okta.sim.token}` },
      });
      expect(again.status).toBe(200);
    } finally {
      await okta.stop();
    }
  });
});
