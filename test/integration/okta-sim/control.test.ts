import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LogEventSchema } from '../../../local/okta-sim/okta-schemas.ts';
import { call, useTestSim } from '../../support/okta-sim.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const okta = useTestSim();
const login = (name: string) => `${name}@acme-demo.example`;

describe('control API (/__sim)', () => {
  it('needs the API token', async () => {
    const response = await call<{ errorCode: string }>(okta.sim, 'GET', '/__sim/state', { token: null });
    expect([response.status, response.body.errorCode]).toEqual([401, 'E0000011']);
  });

  it('simulates failed sign-ins until the account locks', async () => {
    const user = login('brandon.lee');
    const first = await call<{ locked: boolean; status: string }>(
      okta.sim,
      'POST',
      `/__sim/users/${user}/sign-in-failures`,
      {
        body: { count: 9, ipAddress: '192.0.2.50', geo: { city: 'Berlin', country: 'Germany' } },
      },
    );
    expect(first.body).toMatchObject({ locked: false, status: 'ACTIVE', consecutiveFailures: 9 });
    const last = await call<{ locked: boolean; status: string }>(
      okta.sim,
      'POST',
      `/__sim/users/${user}/sign-in-failures`,
    );
    expect(last.body).toMatchObject({ locked: true, status: 'LOCKED_OUT' });
    const id = String(okta.sim.state.user(user)?.id);
    const failures = okta.sim.logs.find({ eventType: 'user.session.start', actorId: id });
    expect(failures).toHaveLength(10);
    expect(failures.every((e) => e.outcome.result === 'FAILURE' && e.outcome.reason === 'INVALID_CREDENTIALS')).toBe(
      true,
    );
    expect(failures[0]?.client.geographicalContext.city).toBe('Berlin');
    expect(okta.sim.logs.find({ eventType: 'user.account.lock', targetId: id })).toHaveLength(1);
  });

  it('simulates sign-ins (refused for a suspended user) and finishing a welcome flow', async () => {
    const ok = await call<{ result: string }>(okta.sim, 'POST', `/__sim/users/${login('laura.jensen')}/sign-ins`, {
      body: { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36' },
    });
    expect(ok.body.result).toBe('SUCCESS');
    const [event] = okta.sim.logs.find({
      eventType: 'user.session.start',
      actorId: String(okta.sim.state.user(login('laura.jensen'))?.id),
    });
    expect(event?.client.userAgent).toMatchObject({ os: 'Windows 10', browser: 'CHROME' });
    const suspended = await call<{ result: string; reason: string }>(
      okta.sim,
      'POST',
      `/__sim/users/${login('samuel.adeyemi')}/sign-ins`,
    );
    expect(suspended.body).toMatchObject({ result: 'FAILURE', reason: 'VERIFICATION_ERROR' });
    const welcome = await call<{ status: string }>(okta.sim, 'POST', `/__sim/users/${login('jacob.wilson')}/password`);
    expect(welcome.body.status).toBe('ACTIVE');
    const refused = await call<{ errorCode: string }>(
      okta.sim,
      'POST',
      `/__sim/users/${login('jacob.wilson')}/password`,
    );
    expect([refused.status, refused.body.errorCode]).toEqual([403, 'E0000038']);
  });

  it('appends any System Log event, which the Management API then returns', async () => {
    const id = String(okta.sim.state.user(login('omar.khalil'))?.id);
    const created = await call<Record<string, unknown>>(okta.sim, 'POST', '/__sim/events', {
      body: {
        eventType: 'user.risk.detect',
        targetIds: [id],
        severity: 'WARN',
        outcome: { result: 'SUCCESS', reason: null },
        debugData: { risk: '{level=HIGH, reasons=Anomalous Location}' },
      },
    });
    expect(created.status).toBe(201);
    const event = LogEventSchema.parse(created.body);
    const listed = await call<Array<{ uuid: string }>>(
      okta.sim,
      'GET',
      `/api/v1/logs?filter=${encodeURIComponent('eventType eq "user.risk.detect"')}`,
    );
    expect(listed.body.map((e) => e.uuid)).toEqual([event.uuid]);
    const bad = await call(okta.sim, 'POST', '/__sim/events', { body: { eventType: 'not an event' } });
    expect(bad.status).toBe(400);
  });

  it('adds, lists and clears faults', async () => {
    const added = await call<{ id: number }>(okta.sim, 'POST', '/__sim/faults', {
      body: { method: 'GET', path: '/api/v1/apps', status: 500, times: 2 },
    });
    expect(added.status).toBe(201);
    expect((await call(okta.sim, 'GET', '/api/v1/apps')).status).toBe(500);
    const listed = await call<Array<{ id: number; remaining: number }>>(okta.sim, 'GET', '/__sim/faults');
    expect(listed.body).toEqual([expect.objectContaining({ id: added.body.id, remaining: 1 })]);
    expect((await call(okta.sim, 'DELETE', '/__sim/faults')).status).toBe(204);
    expect((await call(okta.sim, 'GET', '/api/v1/apps')).status).toBe(200);
  });

  it('refuses a fault whose pathRegex is not a regular expression with 400, naming pathRegex', async () => {
    const bad = await call<{ errorCode: string; errorCauses: Array<{ errorSummary: string }> }>(
      okta.sim,
      'POST',
      '/__sim/faults',
      { body: { pathRegex: '^/api/v1/(users', status: 500 } },
    );
    expect([bad.status, bad.body.errorCode]).toEqual([400, 'E0000001']);
    expect(bad.body.errorCauses[0]?.errorSummary).toMatch(/^pathRegex: Invalid regular expression/);
    expect((await call(okta.sim, 'GET', '/__sim/faults')).body).toEqual([]);
  });

  it('sets and forces rate limits per bucket', async () => {
    expect(
      (await call(okta.sim, 'POST', '/__sim/rate-limits', { body: { bucket: 'apps', force: 1, resetInSeconds: 5 } }))
        .status,
    ).toBe(200);
    const limited = await call(okta.sim, 'GET', '/api/v1/apps');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('x-rate-limit-reset'))).toBe(
      Math.floor(Date.parse(limited.headers.get('date') ?? '') / 1000) + 5,
    );
    expect((await call(okta.sim, 'GET', '/api/v1/apps')).status).toBe(200);
    await call(okta.sim, 'POST', '/__sim/rate-limits', { body: { bucket: 'eventHooks', limit: 1 } });
    expect((await call(okta.sim, 'GET', '/api/v1/eventHooks')).status).toBe(200);
    expect((await call(okta.sim, 'GET', '/api/v1/eventHooks')).status).toBe(429);
    const status = await call<Record<string, { limit: number; remaining: number }>>(
      okta.sim,
      'GET',
      '/__sim/rate-limits',
    );
    expect(status.body.eventHooks).toMatchObject({ limit: 1, remaining: 0 });
    expect((await call(okta.sim, 'POST', '/__sim/rate-limits', { body: { bucket: 'nope' } })).status).toBe(400);
    expect((await call(okta.sim, 'DELETE', '/__sim/rate-limits')).status).toBe(204);
    await call(okta.sim, 'POST', '/__sim/rate-limits', { body: { bucket: 'eventHooks', limit: 100 } });
  });

  it('registers a service app whose private_key_jwt assertions then get tokens', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const registered = await call<{ clientId: string; tokenUrl: string }>(okta.sim, 'POST', '/__sim/service-apps', {
      body: { name: 'Terraform', scopes: ['okta.groups.read'], publicJwk: publicKey.export({ format: 'jwk' }) },
    });
    expect(registered.status).toBe(201);
    const now = Math.floor(Date.now() / 1000);
    const encode = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${encode({ alg: 'RS256' })}.${encode({ iss: registered.body.clientId, sub: registered.body.clientId, aud: registered.body.tokenUrl, iat: now, exp: now + 300, jti: randomUUID() })}`;
    const jwt = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    const token = await fetch(registered.body.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'okta.groups.read',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt,
      }),
    });
    expect(token.status).toBe(200);
  });

  it('returns a state snapshot and the request log', async () => {
    const snapshot = await call<{
      users: Array<{ id: string; groups: string[]; apps: Record<string, string> }>;
      groups: unknown[];
    }>(okta.sim, 'GET', '/__sim/state');
    expect(snapshot.body.users).toHaveLength(okta.sim.seed.users.length);
    const ceo = snapshot.body.users.find((u) => u.id === okta.sim.seed.users[0]?.id);
    expect(ceo?.apps).toMatchObject({ greenhouse: 'USER', slack: 'GROUP' });
    const requests = await call<Array<{ path: string; requestId: string }>>(okta.sim, 'GET', '/__sim/requests');
    expect(requests.body.some((r) => r.path === '/__sim/state')).toBe(true);
  });
});

describe('command line', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('starts the simulator with the fixed local token and stops on SIGTERM', async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'local/okta-sim/main.ts'), '--port', '0', '--quiet'],
      {
        cwd: ROOT,
        env: { ...process.env, OKTA_SIM_TOKEN: 'cli-test-token' },
      },
    );
    const output = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`no ready line:\n${text}`)), 20_000);
      child?.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('SDK:')) {
          clearTimeout(timer);
          resolve(text);
        }
      });
      child?.on('exit', (code) => reject(new Error(`exited ${code}:\n${text}`)));
    });
    const orgUrl = /ready: (http:\/\/\S+)/.exec(output)?.[1] ?? '';
    expect(output).toContain('token: cli-test-token');
    const me = await fetch(`${orgUrl}/api/v1/users/me`, { headers: { Authorization: 'SSWS cli-test-token' } });
    expect(me.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
