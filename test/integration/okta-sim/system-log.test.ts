import type { Client, LogEvent as SdkLogEvent } from '@okta/okta-sdk-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../../local/okta-sim/index.ts';
import { LogEventSchema } from '../../../local/okta-sim/okta-schemas.ts';
import { fixture } from '../../support/fixtures.ts';
import { call, collect, startTestSim, useTestSim } from '../../support/okta-sim.ts';

const okta = useTestSim();
let client: Client;
let started: string;
const userId = (login: string) => okta.seedUser(login).id;
const bounded = () => ({ since: started, until: new Date(Date.now() + 60_000).toISOString() });
const nextLink = (headers: Headers) => /<([^>]+)>; rel="next"/.exec(headers.get('link') ?? '')?.[1];

beforeAll(async () => {
  client = okta.client();
  started = new Date(Date.now() - 1000).toISOString();
  const grace = userId('grace.kim@acme-demo.example');
  await client.userApi.suspendUser({ userId: grace });
  await client.userApi.unsuspendUser({ userId: grace });
  okta.sim.failSignIn('ethan.park@acme-demo.example', {
    count: 2,
    ipAddress: '203.0.113.9',
    geo: { city: 'Lagos', country: 'Nigeria' },
  });
  okta.sim.signIn('ethan.park@acme-demo.example');
});

describe('System Log queries', () => {
  it('reflects the changes made through the API, in Okta LogEvent shape', async () => {
    const grace = userId('grace.kim@acme-demo.example');
    const events = await collect(
      client.systemLogApi.listLogEvents({ ...bounded(), filter: `target.id eq "${grace}"` }),
    );
    expect(events.map((e) => e.eventType)).toEqual(['user.lifecycle.suspend', 'user.lifecycle.unsuspend']);
    const [suspend] = events as SdkLogEvent[];
    expect(suspend?.actor?.id).toBe(okta.sim.seed.apiToken.ownerId);
    expect(suspend?.target?.[0]?.alternateId).toBe('grace.kim@acme-demo.example');
    expect(suspend?.debugContext?.debugData?.requestUri).toBe(`/api/v1/users/${grace}/lifecycle/suspend`);
    expect(suspend?.client?.userAgent?.rawUserAgent).toMatch(/okta-sdk-nodejs/);
  });

  it('has every field Okta puts in an event hook LogEvent (the fixtures), and validates against the schema', async () => {
    const raw = await call<unknown[]>(
      okta.sim,
      'GET',
      `/api/v1/logs?since=${encodeURIComponent(started)}&until=${encodeURIComponent(bounded().until)}`,
    );
    const delivery = fixture<{ data: { events: Array<Record<string, Record<string, unknown>>> } }>(
      'okta/event-hook-delivery-user-session-start-failure.json',
    );
    const sample = delivery.data.events[0] ?? {};
    for (const event of raw.body as Array<Record<string, Record<string, unknown>>>) {
      LogEventSchema.parse(event);
      for (const key of Object.keys(sample)) expect(event, key).toHaveProperty(key);
      for (const part of ['client', 'authenticationContext', 'securityContext', 'outcome', 'transaction'] as const) {
        expect(Object.keys(event[part] ?? {}).sort()).toEqual(
          expect.arrayContaining(Object.keys(sample[part] ?? {}).sort()),
        );
      }
    }
  });

  it('filters on eventType, outcome.result and actor.id, with and/or', async () => {
    const ethan = userId('ethan.park@acme-demo.example');
    const failures = await collect(
      client.systemLogApi.listLogEvents({
        ...bounded(),
        filter: `eventType eq "user.session.start" and outcome.result eq "FAILURE"`,
      }),
    );
    expect(failures).toHaveLength(2);
    expect(failures.every((e) => e.actor?.id === ethan && e.severity === 'WARN')).toBe(true);
    expect(failures[0]?.client?.geographicalContext?.city).toBe('Lagos');
    expect(failures[0]?.client?.ipAddress).toBe('203.0.113.9');
    const either = await collect(
      client.systemLogApi.listLogEvents({
        ...bounded(),
        filter: `actor.id eq "${ethan}" or eventType eq "user.lifecycle.suspend"`,
      }),
    );
    expect(either.map((e) => e.eventType).sort()).toEqual([
      'user.lifecycle.suspend',
      'user.session.start',
      'user.session.start',
      'user.session.start',
    ]);
  });

  it('searches keywords with q (all must match, case-insensitive)', async () => {
    const found = await collect(client.systemLogApi.listLogEvents({ ...bounded(), q: 'UNSUSPEND grace.kim' }));
    expect(found.map((e) => e.eventType)).toEqual(['user.lifecycle.unsuspend']);
    const none = await collect(client.systemLogApi.listLogEvents({ ...bounded(), q: 'unsuspend ethan.park' }));
    expect(none).toEqual([]);
  });

  it('pages with limit in bounded queries, and sorts DESCENDING', async () => {
    for (let i = 0; i < 6; i++) okta.sim.signIn('hiro.sato@acme-demo.example');
    const before = okta.sim.requests().length;
    const ascending = await collect(client.systemLogApi.listLogEvents({ ...bounded(), limit: 4 }));
    const pages = okta.sim
      .requests()
      .slice(before)
      .filter((r) => r.path === '/api/v1/logs').length;
    expect(ascending.length).toBe(okta.sim.logs.all().length);
    expect(pages).toBe(Math.ceil(ascending.length / 4));
    const published = ascending.map((e) => (e.published as unknown as Date).getTime());
    expect(published).toEqual([...published].sort((a, b) => a - b));
    const descending = await collect(
      client.systemLogApi.listLogEvents({ ...bounded(), limit: 5, sortOrder: 'DESCENDING' }),
    );
    expect(descending.map((e) => e.uuid)).toEqual(ascending.map((e) => e.uuid).reverse());
  });

  it('keeps a next link on polling queries (ASCENDING, no until), even on an empty page', async () => {
    const first = await call<unknown[]>(
      okta.sim,
      'GET',
      `/api/v1/logs?since=${encodeURIComponent(started)}&limit=1000`,
    );
    expect(first.body.length).toBe(okta.sim.logs.all().length);
    const next = nextLink(first.headers);
    expect(next).toBeDefined();
    expect(next).not.toContain('since=');
    const empty = await call<unknown[]>(okta.sim, 'GET', (next ?? '').replace(okta.sim.orgUrl, ''));
    expect(empty.body).toEqual([]);
    expect(nextLink(empty.headers)).toBe(next);
    okta.sim.signIn('maya.singh@acme-demo.example');
    const fresh = await call<Array<{ eventType: string }>>(okta.sim, 'GET', (next ?? '').replace(okta.sim.orgUrl, ''));
    expect(fresh.body.map((e) => e.eventType)).toEqual(['user.session.start']);
    const bounded1 = await call(
      okta.sim,
      'GET',
      `/api/v1/logs?since=${encodeURIComponent(started)}&until=${encodeURIComponent(bounded().until)}`,
    );
    expect(nextLink(bounded1.headers)).toBeUndefined();
  });

  it('refuses invalid queries with 400', async () => {
    const cases: Array<[string, string]> = [
      [`since=${encodeURIComponent(started)}&after=abc`, 'E0000001'],
      ['filter=published%20gt%20%222020-01-01T00:00:00Z%22', 'E0000031'],
      ['filter=eventType%20eq', 'E0000031'],
      ['sortOrder=SIDEWAYS', 'E0000001'],
      ['since=yesterday', 'E0000001'],
      [`q=${'x'.repeat(41)}`, 'E0000001'],
    ];
    for (const [query, code] of cases) {
      const response = await call<{ errorCode: string }>(okta.sim, 'GET', `/api/v1/logs?${query}`);
      expect([query, response.status, response.body.errorCode]).toEqual([query, 400, code]);
    }
  });
});

describe('time', () => {
  it('uses the injected clock: timestamps, and since defaulting to 7 days before until', async () => {
    const clock = manualClock('2026-03-02T09:00:00.000Z');
    const timed = await startTestSim({ clock });
    try {
      const c = timed.client();
      const id = timed.sim.seed.users.find((u) => u.status === 'ACTIVE')?.id ?? '';
      await c.userApi.suspendUser({ userId: id });
      expect(timed.sim.logs.all()[0]?.published).toBe('2026-03-02T09:00:00.000Z');
      expect((await c.userApi.getUser({ userId: id })).statusChanged?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
      clock.advance(6 * 24 * 3600 * 1000);
      expect(await collect(c.systemLogApi.listLogEvents({ until: new Date(clock()).toISOString() }))).toHaveLength(1);
      clock.advance(2 * 24 * 3600 * 1000);
      expect(await collect(c.systemLogApi.listLogEvents({ until: new Date(clock()).toISOString() }))).toHaveLength(0);
    } finally {
      await timed.stop();
    }
  });
});
