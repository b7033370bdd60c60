import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, EventHook } from '@okta/okta-sdk-nodejs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventHookDeliverySchema, EventHookSchema } from '../../../local/okta-sim/okta-schemas.ts';
import { call, collect, oktaError, startTestSim, useTestSim } from '../../support/okta-sim.ts';

/** A little HTTP server standing in for hookpilot's event hook endpoint: it records requests and answers as told. */
interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; body?: string; delayMs?: number };

class Receiver {
  readonly requests: Received[] = [];
  /** Per-path answers, consumed in order; then the default (echo the challenge, 200 for deliveries). */
  readonly script = new Map<string, Answer[]>();
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(received);
        const answer = this.script.get(received.path)?.shift() ?? this.default(received);
        setTimeout(() => {
          res.writeHead(answer.status, { 'Content-Type': 'application/json' });
          res.end(answer.body);
        }, answer.delayMs ?? 0);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private default(r: Received): Answer {
    const challenge = r.headers['x-okta-verification-challenge'];
    if (r.method === 'GET') return { status: 200, body: JSON.stringify({ verification: challenge }) };
    return { status: 204 };
  }

  at(path: string, method?: string): Received[] {
    return this.requests.filter((r) => r.path === path && (!method || r.method === method));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const okta = useTestSim({ hooks: { batchWindowMs: 60_000 } });
let client: Client;
const receiver = new Receiver();
let hookCount = 0;
const SECRET = 'hookpilot-local-secret-0123456789';

const userId = (login: string) => okta.seedUser(login).id;

/** Creates an event hook posting to its own path on the receiver; verifies it unless told not to. */
async function hook(items: string[], options: { verify?: boolean } = {}): Promise<{ hook: EventHook; path: string }> {
  const path = `/okta/events/${++hookCount}`;
  const created = await client.eventHookApi.createEventHook({
    eventHook: {
      name: `hookpilot test ${hookCount}`,
      events: { type: 'EVENT_TYPE', items },
      channel: {
        type: 'HTTP',
        version: '1.0.0',
        config: {
          uri: `${receiver.url}${path}`,
          headers: [{ key: 'X-Hookpilot-Env', value: 'test' }],
          authScheme: { type: 'HEADER', key: 'Authorization', value: SECRET },
        },
      },
    },
  });
  if (options.verify !== false) await client.eventHookApi.verifyEventHook({ eventHookId: created.id ?? '' });
  return { hook: created, path };
}

const envelopes = (path: string) =>
  receiver.at(path, 'POST').map((r) => EventHookDeliverySchema.parse(JSON.parse(r.body)));

beforeAll(async () => {
  await receiver.start();
  // Nothing goes out until a test flushes (sim.hooks.flush()): deliveries are deterministic.
  client = okta.client();
});

afterEach(async () => {
  for (const h of okta.sim.state.eventHooks()) {
    if (h.status === 'ACTIVE') await client.eventHookApi.deactivateEventHook({ eventHookId: String(h.id) });
  }
  await okta.sim.hooks.flush();
});

afterAll(async () => {
  await receiver.stop();
});

describe('event hook admin API', () => {
  it('creates an ACTIVE, UNVERIFIED hook and never returns the secret', async () => {
    const { hook: created } = await hook(['user.lifecycle.suspend'], { verify: false });
    expect([created.status, created.verificationStatus]).toEqual(['ACTIVE', 'UNVERIFIED']);
    const raw = await call(okta.sim, 'GET', `/api/v1/eventHooks/${created.id}`);
    const parsed = EventHookSchema.parse(raw.body);
    expect(parsed.channel.config.authScheme).toEqual({ type: 'HEADER', key: 'authorization' });
    expect(JSON.stringify(raw.body)).not.toContain(SECRET);
    expect(parsed._links).toHaveProperty('verify');
    const listed = await collect(client.eventHookApi.listEventHooks());
    expect(listed.map((h) => h.id)).toContain(created.id);
    expect(okta.sim.logs.find({ eventType: 'event_hook.created', targetId: created.id ?? '' })).toHaveLength(1);
  });

  it('refuses event types a hook cannot subscribe to, and an incomplete channel', async () => {
    const body = (items: string[], uri: string) => ({
      name: 'bad',
      events: { type: 'EVENT_TYPE', items },
      channel: { type: 'HTTP', version: '1.0.0', config: { uri } },
    });
    const ineligible = await call<{ errorCode: string; errorCauses: Array<{ errorSummary: string }> }>(
      okta.sim,
      'POST',
      '/api/v1/eventHooks',
      { body: body(['user.account.expire_password'], `${receiver.url}/x`) },
    );
    expect([ineligible.status, ineligible.body.errorCode]).toEqual([400, 'E0000001']);
    expect(ineligible.body.errorCauses[0]?.errorSummary).toContain('user.account.expire_password');
    const noUri = await call<{ errorCode: string }>(okta.sim, 'POST', '/api/v1/eventHooks', {
      body: body(['user.lifecycle.suspend'], ''),
    });
    expect(noUri.status).toBe(400);
    const ftp = await call(okta.sim, 'POST', '/api/v1/eventHooks', {
      body: body(['user.lifecycle.suspend'], 'ftp://x/y'),
    });
    expect(ftp.status).toBe(400);
  });

  it('verifies with a GET carrying x-okta-verification-challenge and the configured headers', async () => {
    const { hook: created, path } = await hook(['user.lifecycle.suspend']);
    const [get] = receiver.at(path, 'GET');
    expect(get?.headers['x-okta-verification-challenge']).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(get?.headers.authorization).toBe(SECRET);
    expect(get?.headers['x-hookpilot-env']).toBe('test');
    const verified = await client.eventHookApi.getEventHook({ eventHookId: created.id ?? '' });
    expect(verified.verificationStatus).toBe('VERIFIED');
  });

  it('fails verification with 400 after one retry when the endpoint does not echo the challenge', async () => {
    const { hook: created, path } = await hook(['user.lifecycle.suspend'], { verify: false });
    receiver.script.set(path, [{ status: 200, body: '{"verification":"wrong"}' }, { status: 500 }]);
    const error = await oktaError(client.eventHookApi.verifyEventHook({ eventHookId: created.id ?? '' }));
    expect([error.status, error.errorCode]).toEqual([400, 'E0000001']);
    expect(receiver.at(path, 'GET')).toHaveLength(2);
    expect((await client.eventHookApi.getEventHook({ eventHookId: created.id ?? '' })).verificationStatus).toBe(
      'UNVERIFIED',
    );
  });

  it('retries a verification that times out, and succeeds on the second try', async () => {
    const { hook: created, path } = await hook(['user.lifecycle.suspend'], { verify: false });
    receiver.script.set(path, [{ status: 200, body: '{}', delayMs: 1000 }]);
    const verified = await client.eventHookApi.verifyEventHook({ eventHookId: created.id ?? '' });
    expect(verified.verificationStatus).toBe('VERIFIED');
    expect(receiver.at(path, 'GET')).toHaveLength(2);
  });

  it('needs a re-verification after the channel changes, and deletes only INACTIVE hooks', async () => {
    const { hook: created } = await hook(['user.lifecycle.suspend']);
    const id = created.id ?? '';
    const replaced = await client.eventHookApi.replaceEventHook({
      eventHookId: id,
      eventHook: {
        name: 'renamed',
        events: { type: 'EVENT_TYPE', items: ['user.lifecycle.suspend'] },
        channel: { type: 'HTTP', version: '1.0.0', config: { uri: `${receiver.url}/moved` } },
      },
    });
    expect(replaced.verificationStatus).toBe('UNVERIFIED');
    const active = await oktaError(client.eventHookApi.deleteEventHook({ eventHookId: id }));
    expect(active.status).toBe(400);
    await client.eventHookApi.deactivateEventHook({ eventHookId: id });
    await client.eventHookApi.deleteEventHook({ eventHookId: id });
    expect((await oktaError(client.eventHookApi.getEventHook({ eventHookId: id }))).status).toBe(404);
  });
});

describe('deliveries', () => {
  it('sends nothing to an unverified hook', async () => {
    const { path } = await hook(['user.lifecycle.suspend', 'user.lifecycle.unsuspend'], { verify: false });
    const id = userId('grace.kim@acme-demo.example');
    await client.userApi.suspendUser({ userId: id });
    await client.userApi.unsuspendUser({ userId: id });
    await okta.sim.hooks.flush();
    expect(receiver.at(path, 'POST')).toEqual([]);
  });

  it("POSTs subscribed events in Okta's envelope with the configured headers, batched", async () => {
    const { hook: created, path } = await hook(['user.lifecycle.suspend', 'user.lifecycle.unsuspend']);
    const { path: otherPath } = await hook(['group.user_membership.add']);
    const id = userId('felix.wagner@acme-demo.example');
    await client.userApi.suspendUser({ userId: id });
    await client.userApi.unsuspendUser({ userId: id });
    await okta.sim.hooks.flush();

    const posts = receiver.at(path, 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.headers).toMatchObject({
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: SECRET,
      'x-hookpilot-env': 'test',
    });
    const [envelope] = envelopes(path);
    expect(envelope?.source).toBe(`${okta.sim.orgUrl}/api/v1/eventHooks/${created.id}`);
    expect(envelope?.data.events.map((e) => e.eventType)).toEqual([
      'user.lifecycle.suspend',
      'user.lifecycle.unsuspend',
    ]);
    expect(envelope?.data.events.every((e) => e.target[0]?.id === id)).toBe(true);
    const logged = okta.sim.logs.find({ targetId: id, eventType: 'user.lifecycle.suspend' });
    expect(envelope?.data.events[0]?.uuid).toBe(logged[0]?.uuid);
    expect(logged[0]?.debugContext.debugData.targetEventHookIds).toBe(created.id);
    expect(receiver.at(otherPath, 'POST')).toEqual([]);
  });

  it('delivers a batch twice when told to (at-least-once): same event uuids, new eventId', async () => {
    const { hook: created, path } = await hook(['user.lifecycle.suspend']);
    okta.sim.hooks.duplicateNext();
    await client.userApi.suspendUser({ userId: userId('zara.ahmed@acme-demo.example') });
    await okta.sim.hooks.flush();
    const [first, second] = envelopes(path);
    expect(second).toBeDefined();
    expect(second?.data.events.map((e) => e.uuid)).toEqual(first?.data.events.map((e) => e.uuid));
    expect(second?.eventId).not.toBe(first?.eventId);
    expect(okta.sim.hooks.deliveries({ hookId: created.id ?? '' }).map((d) => [d.duplicate, d.outcome])).toEqual([
      [false, 'SUCCESS'],
      [true, 'SUCCESS'],
    ]);
  });

  it('retries once after a 500, with the same eventId', async () => {
    const { hook: created, path } = await hook(['user.lifecycle.suspend']);
    receiver.script.set(path, [{ status: 500, body: '{"message":"dependency down"}' }]);
    await client.userApi.suspendUser({ userId: userId('ethan.park@acme-demo.example') });
    await okta.sim.hooks.flush();
    const [first, second] = envelopes(path);
    expect(envelopes(path)).toHaveLength(2);
    expect(second?.eventId).toBe(first?.eventId);
    expect(
      okta.sim.hooks.deliveries({ hookId: created.id ?? '' }).map((d) => [d.attempt, d.outcome, d.status]),
    ).toEqual([
      [1, 'HTTP_ERROR', 500],
      [2, 'SUCCESS', 204],
    ]);
    expect(okta.sim.logs.find({ eventType: 'event_hook.delivery', targetId: created.id ?? '' })).toEqual([]);
  });

  it('does not retry after a 400, and logs the failed delivery', async () => {
    const { hook: created, path } = await hook(['user.lifecycle.suspend']);
    receiver.script.set(path, [{ status: 400, body: '{"message":"bad request"}' }]);
    await client.userApi.suspendUser({ userId: userId('lukas.becker@acme-demo.example') });
    await okta.sim.hooks.flush();
    expect(receiver.at(path, 'POST')).toHaveLength(1);
    const [failure] = okta.sim.logs.find({ eventType: 'event_hook.delivery', targetId: created.id ?? '' });
    expect(failure?.outcome).toEqual({ result: 'FAILURE', reason: 'Event hook responded with HTTP 400' });
  });

  it('retries once after a timeout, and gives up (logging it) when both attempts fail', async () => {
    const { hook: created, path } = await hook(['user.lifecycle.suspend']);
    receiver.script.set(path, [{ status: 204, delayMs: 1000 }, { status: 503 }]);
    await client.userApi.suspendUser({ userId: userId('sofia.martins@acme-demo.example') });
    await okta.sim.hooks.flush();
    expect(okta.sim.hooks.deliveries({ hookId: created.id ?? '' }).map((d) => [d.attempt, d.outcome])).toEqual([
      [1, 'TIMEOUT'],
      [2, 'HTTP_ERROR'],
    ]);
    expect(okta.sim.logs.find({ eventType: 'event_hook.delivery', targetId: created.id ?? '' })).toHaveLength(1);
  });

  it('stops delivering when the hook is deactivated and resumes when it is activated', async () => {
    const { hook: created, path } = await hook(['user.lifecycle.suspend', 'user.lifecycle.unsuspend']);
    const id = userId('aisha.bello@acme-demo.example');
    await client.eventHookApi.deactivateEventHook({ eventHookId: created.id ?? '' });
    await client.userApi.suspendUser({ userId: id });
    await okta.sim.hooks.flush();
    expect(receiver.at(path, 'POST')).toEqual([]);
    await client.eventHookApi.activateEventHook({ eventHookId: created.id ?? '' });
    await client.userApi.unsuspendUser({ userId: id });
    await okta.sim.hooks.flush();
    expect(envelopes(path).flatMap((e) => e.data.events.map((x) => x.eventType))).toEqual(['user.lifecycle.unsuspend']);
  });

  it('exposes delivery attempts through the control API', async () => {
    const { hook: created } = await hook(['user.lifecycle.suspend']);
    await client.userApi.suspendUser({ userId: userId('kenji.watanabe@acme-demo.example') });
    await call(okta.sim, 'POST', '/__sim/hooks/flush');
    const listed = await call<Array<{ hookId: string; outcome: string; headerNames: string[] }>>(
      okta.sim,
      'GET',
      `/__sim/hooks/deliveries?hookId=${created.id}`,
    );
    expect(listed.body.map((d) => d.outcome)).toEqual(['SUCCESS']);
    expect(listed.body[0]?.headerNames).toContain('Authorization');
    expect(JSON.stringify(listed.body)).not.toContain(SECRET);
  });
});

describe('delivery timing', () => {
  it('sends a batch on its own after the batch window, and duplicates at hookDuplicateRate', async () => {
    const timed = await startTestSim({ hookDuplicateRate: 1, hooks: { batchWindowMs: 20 } });
    try {
      const c = timed.client();
      const path = '/okta/events/timed';
      const created = await c.eventHookApi.createEventHook({
        eventHook: {
          name: 'timed',
          events: { type: 'EVENT_TYPE', items: ['group.user_membership.add'] },
          channel: { type: 'HTTP', version: '1.0.0', config: { uri: `${receiver.url}${path}` } },
        },
      });
      await c.eventHookApi.verifyEventHook({ eventHookId: created.id ?? '' });
      const group = timed.sim.seed.groups.find((g) => g.profile.name === 'incident-responders');
      await c.groupApi.assignUserToGroup({
        groupId: group?.id ?? '',
        userId: timed.sim.seed.users.find((u) => u.profile.login === 'hiro.sato@acme-demo.example')?.id ?? '',
      });
      for (let i = 0; i < 100 && receiver.at(path, 'POST').length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const posts = envelopes(path);
      expect(posts).toHaveLength(2);
      expect(posts[0]?.data.events[0]?.eventType).toBe('group.user_membership.add');
      expect(posts[1]?.data.events[0]?.uuid).toBe(posts[0]?.data.events[0]?.uuid);
    } finally {
      await timed.stop();
    }
  });
});
