import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { emulators, testClients } from '../support/emulators.ts';
import { freshDelivery } from '../support/fixtures.ts';
import { queueDepth } from '../support/queues.ts';

/**
 * The local gateway keeps API Gateway's contract at the edges, over real HTTP (raw requests: fetch would resolve dot
 * segments and merge headers before sending): 405 with `Allow` for other methods on the event hook, no function reached
 * through dot segments, repeated headers joined with commas (so a second Authorization header is a wrong secret), and an
 * `invalid_json` message that says where the body breaks without quoting it.
 */
let stack: LocalStack;
let audit: DynamoAuditLog;
const { sqs, documents } = testClients();

beforeAll(async () => {
  delete process.env.HOOKPILOT_EVENT_HOOK_SECRET; // the documented local default
  stack = await startLocalStack({
    port: 0,
    emulators: emulators(),
    prefix: `gc${randomUUID().slice(0, 6)}`,
    okta: { port: 0, registerHook: false },
    consumers: false, // what reaches the queue stays there, to be counted
  });
  audit = new DynamoAuditLog(documents, stack.resources.tables.auditTable);
});

afterAll(async () => {
  await stack?.stop();
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request exactly as given: the path is not normalised, a header given as an array is sent once per value. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string | string[]> = {},
  body?: string,
): Promise<Raw> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = request({ hostname, port, method, path, headers: { ...length, ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };
const eventsQueued = () => queueDepth(sqs, stack.resources.queues.eventsQueue.url);

/** A valid delivery, and a check that none of its events was received (audited) or queued. */
function delivery() {
  const body = freshDelivery();
  const uuids = body.data.events.map((e) => e.uuid);
  return {
    text: JSON.stringify(body),
    async untouched() {
      for (const uuid of uuids) expect(await audit.byCorrelation(uuid)).toEqual([]);
      expect(await eventsQueued()).toBe(0);
    },
  };
}

describe('the local gateway’s contract', () => {
  it('answers other methods on /okta/events with 405 and Allow: GET, POST (API Gateway’s ANY route)', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const response = await raw(method, '/okta/events', { ...json, authorization: stack.hookSecret }, '{}');
      expect(response.status, method).toBe(405);
      expect(response.headers.allow, method).toBe('GET, POST');
      expect(JSON.parse(response.body), method).toMatchObject({ error: { code: 'method_not_allowed' } });
    }
    // a path without an ANY route keeps API Gateway's 404
    const health = await raw('PUT', '/health');
    expect([health.status, JSON.parse(health.body)]).toEqual([404, { message: 'Not Found' }]);
  });

  it('refuses dot segments, raw or percent-encoded, with 400 before any function runs', async () => {
    const sent = delivery();
    const crafted = [
      '/health/../okta/events',
      '/okta/./events',
      '/okta/events/.',
      '/nope/../okta/events',
      '/health/%2e%2e/okta/events',
      '/health/%2E%2e/okta/events',
      '/health/..%2fokta/events',
      '/okta/%2e/events',
      '/okta/events%2f..%2f..%2fhealth',
    ];
    for (const path of crafted) {
      const response = await raw('POST', path, { ...json, authorization: stack.hookSecret }, sent.text);
      expect([response.status, JSON.parse(response.body)], path).toEqual([400, { message: 'Bad Request' }]);
    }
    const broken = await raw('GET', '/okta/%E0%A4%A');
    expect(broken.status).toBe(400);
    await sent.untouched();
    // dots inside a segment are just characters: an unknown route
    expect((await raw('GET', '/health/..x')).status).toBe(404);
    expect((await raw('GET', '/health')).status).toBe(200);
  });

  it('joins a repeated Authorization header as API Gateway does, so right-then-wrong (or twice right) is a 401', async () => {
    const sent = delivery();
    for (const pair of [
      [stack.hookSecret, 'wrong'],
      ['wrong', stack.hookSecret],
      [stack.hookSecret, stack.hookSecret],
    ]) {
      const response = await raw('POST', '/okta/events', { ...json, authorization: pair }, sent.text);
      expect(response.status, pair.join(' | ')).toBe(401);
      expect(JSON.parse(response.body)).toEqual({ error: { code: 'unauthorized', message: 'unauthorized' } });
    }
    await sent.untouched();
    // one header: accepted, as before
    const once = await raw('POST', '/okta/events', { ...json, authorization: stack.hookSecret }, sent.text);
    expect(once.status).toBe(204);
  });

  it('says where a body stops being JSON (line and column), never what it holds', async () => {
    const secretish = 'SENSITIVE-VALUE-1234';
    const body = `{\n  "eventType": "com.okta.event_hook",\n  "token": ${secretish}\n}`;
    const response = await raw('POST', '/okta/events', { ...json, authorization: stack.hookSecret }, body);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'invalid_json', message: 'the body is not valid JSON (at line 3, column 12)' },
    });
    expect(response.body).not.toContain('SENSITIVE');

    const cut = await raw('POST', '/okta/events', { ...json, authorization: stack.hookSecret }, '{"eventType": ');
    expect(JSON.parse(cut.body)).toEqual({
      error: { code: 'invalid_json', message: 'the body is not valid JSON (at line 1, column 15)' },
    });
  });
});
