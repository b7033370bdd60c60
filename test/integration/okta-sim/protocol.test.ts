import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { Client } from '@okta/okta-sdk-nodejs';
import { describe, expect, it } from 'vitest';
import { ErrorSchema } from '../../../local/okta-sim/okta-schemas.ts';
import { call, oktaError, startTestSim, useTestSim } from '../../support/okta-sim.ts';

const okta = useTestSim();
const activeUser = () => {
  const user = okta.sim.seed.users.find((u) => u.status === 'ACTIVE' && u.profile.login.startsWith('felix'));
  if (!user) throw new Error('no seed user felix');
  return user.id;
};

/** A signed client assertion (JWS compact), built by hand to test what the SDK does not send. */
function assertion(
  key: KeyObject,
  alg: 'RS256' | 'ES256',
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg, typ: 'JWT', ...header })}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

async function tokenRequest(form: Record<string, string>) {
  const response = await fetch(`${okta.sim.orgUrl}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

describe('responses', () => {
  it('carries X-Okta-Request-Id and rate-limit headers on every response, errors included', async () => {
    const responses = [
      await call(okta.sim, 'GET', '/api/v1/users?limit=1'),
      await call(okta.sim, 'GET', '/api/v1/users/00u00000000000000000'),
      await call(okta.sim, 'GET', '/api/v1/users', { token: 'wrong' }),
      await call(okta.sim, 'PATCH', '/api/v1/users'),
      await call(okta.sim, 'GET', '/api/v1/nothing-here'),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 404, 401, 405, 404]);
    for (const r of responses) expect(r.headers.get('x-okta-request-id')).toMatch(/^[0-9A-Za-z]{27}$/);
    for (const r of responses.slice(0, 3)) {
      expect(r.headers.get('x-rate-limit-limit')).toBe('600');
      expect(Number(r.headers.get('x-rate-limit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
    for (const r of responses.slice(1)) {
      const body = ErrorSchema.parse(r.body);
      expect(body.errorLink).toBe(body.errorCode);
    }
    expect(responses.slice(1).map((r) => (r.body as { errorCode: string }).errorCode)).toEqual([
      'E0000007',
      'E0000011',
      'E0000022',
      'E0000007',
    ]);
  });

  it('refuses a malformed body with 400 E0000003', async () => {
    const response = await call<{ errorCode: string }>(okta.sim, 'POST', '/api/v1/users', { body: '{"profile": ' });
    expect([response.status, response.body.errorCode]).toEqual([400, 'E0000003']);
  });

  it('ties each System Log event to the request that caused it', async () => {
    const id = activeUser();
    const response = await call(okta.sim, 'POST', `/api/v1/users/${id}`, { body: { profile: { nickName: 'Fee' } } });
    const requestId = response.headers.get('x-okta-request-id');
    const [event] = okta.sim.logs.find({ eventType: 'user.account.update_profile', targetId: id });
    expect(event?.transaction.id).toBe(requestId);
    expect(event?.debugContext.debugData.requestId).toBe(requestId);
    expect(event?.debugContext.debugData.changedAttributes).toBe('nickName');
  });
});

describe('SSWS API token', () => {
  it('works through the SDK, and a wrong token fails with 401 E0000011', async () => {
    expect((await okta.client().userApi.getUser({ userId: activeUser() })).id).toBe(activeUser());
    const error = await oktaError(
      okta.client({ token: '00notTheRightToken' }).userApi.getUser({ userId: activeUser() }),
    );
    expect([error.status, error.errorCode]).toEqual([401, 'E0000011']);
    const missing = await call<{ errorCode: string }>(okta.sim, 'GET', '/api/v1/users', { token: null });
    expect([missing.status, missing.body.errorCode]).toEqual([401, 'E0000011']);
  });
});

describe('OAuth 2.0 service apps (private_key_jwt)', () => {
  it("serves the SDK's PrivateKey mode, and logs changes with the app as actor", async () => {
    const { client, clientId } = okta.oauthClient(['okta.users.manage']);
    const id = activeUser();
    expect((await client.userApi.getUser({ userId: id })).id).toBe(id); // manage includes read
    await client.userApi.updateUser({ userId: id, user: { profile: { nickName: 'Felix-OAuth' } as never } });
    const [event] = okta.sim.logs.find({ eventType: 'user.account.update_profile', actorId: clientId });
    expect(event?.actor).toMatchObject({ id: clientId, type: 'PublicClientApp' });
    const token = okta.sim.requests().filter((r) => r.path === '/oauth2/v1/token');
    expect(token.map((r) => r.status)).toEqual([200]);
    expect(okta.sim.requests().at(-1)?.principal).toBe(`oauth:${clientId}`);
  });

  it('enforces the scopes of the access token per endpoint (403 E0000006, insufficient_scope)', async () => {
    const { client } = okta.oauthClient(['okta.users.read']);
    await client.userApi.getUser({ userId: activeUser() });
    const error = await oktaError(client.userApi.suspendUser({ userId: activeUser() }));
    expect([error.status, error.errorCode]).toEqual([403, 'E0000006']);
    expect(error.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(error.headers.get('www-authenticate')).toContain('scope="okta.users.manage"');
    const logs = await oktaError(client.systemLogApi.listLogEvents({}).then((c) => c.next()));
    expect(logs.status).toBe(403);
  });

  it('refuses a token request for scopes the app was not granted (the SDK then reports 401 E0000011)', async () => {
    // SDK 8.1.0 does not check the token response (oauth.js calls the undefined `Http.errorFilter`): it sends
    // `Bearer undefined`, gets a 401, fetches a token again, and throws the API's 401.
    const { client } = okta.oauthClient(['okta.users.read'], {
      requestScopes: ['okta.users.read', 'okta.users.manage'],
    });
    const before = okta.sim.requests().length;
    const error = await oktaError(client.userApi.getUser({ userId: activeUser() }));
    expect([error.status, error.errorCode]).toEqual([401, 'E0000011']);
    expect(
      okta.sim
        .requests()
        .slice(before)
        .map((r) => [r.path.startsWith('/oauth2') ? 'token' : 'api', r.status]),
    ).toEqual([
      ['token', 400],
      ['api', 401],
      ['token', 400],
      ['api', 401],
    ]);
  });

  it('gets a new token after the old one stops working (SDK: 401 → new token → retry)', async () => {
    const { client } = okta.oauthClient(['okta.users.read']);
    await client.userApi.getUser({ userId: activeUser() });
    okta.sim.oauth.revokeTokens();
    const before = okta.sim.requests().length;
    await client.userApi.getUser({ userId: activeUser() });
    const after = okta.sim.requests().slice(before);
    expect(after.map((r) => [r.path.startsWith('/oauth2') ? 'token' : 'api', r.status])).toEqual([
      ['api', 401],
      ['token', 200],
      ['api', 200],
    ]);
  });

  it('verifies the assertion: signature, aud, exp, iss = sub, single use; accepts ES256', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const clientId = okta.sim.oauth.registerServiceApp({
      name: 'Assertion checks',
      scopes: ['okta.users.read'],
      jwks: [
        { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa1' },
        { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec1' },
      ],
    });
    const aud = `${okta.sim.orgUrl}/oauth2/v1/token`;
    const now = Math.floor(Date.now() / 1000);
    const claims = (extra: Record<string, unknown> = {}) => ({
      iss: clientId,
      sub: clientId,
      aud,
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
      ...extra,
    });
    const form = (jwt: string, scope = 'okta.users.read') => ({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    });

    const es = await tokenRequest(form(assertion(ec.privateKey, 'ES256', claims(), { kid: 'ec1' })));
    expect(es.status).toBe(200);
    expect(es.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'okta.users.read' });
    const users = await fetch(`${okta.sim.orgUrl}/api/v1/users?limit=1`, {
      headers: { Authorization: `Bearer ${es.body.access_token}` },
    });
    expect(users.status).toBe(200);

    const reused = claims();
    expect((await tokenRequest(form(assertion(rsa.privateKey, 'RS256', reused)))).status).toBe(200);
    const refusals = [
      ['replayed jti', assertion(rsa.privateKey, 'RS256', reused)],
      ['signed by another key', assertion(stranger.privateKey, 'RS256', claims())],
      [
        'wrong audience',
        assertion(rsa.privateKey, 'RS256', claims({ aud: `${okta.sim.orgUrl}/oauth2/default/v1/token` })),
      ],
      ['expired', assertion(rsa.privateKey, 'RS256', claims({ iat: now - 900, exp: now - 600 }))],
      ['iss differs from sub', assertion(rsa.privateKey, 'RS256', claims({ iss: 'someone-else' }))],
      ['unknown client', assertion(rsa.privateKey, 'RS256', claims({ iss: 'nobody', sub: 'nobody' }))],
      ['not a JWT', 'abc.def'],
    ] as const;
    for (const [why, jwt] of refusals) {
      const response = await tokenRequest(form(jwt));
      expect([why, response.status, response.body.error]).toEqual([why, 401, 'invalid_client']);
    }
    const wrongGrant = await tokenRequest({
      ...form(assertion(rsa.privateKey, 'RS256', claims())),
      grant_type: 'password',
    });
    expect([wrongGrant.status, wrongGrant.body.error]).toEqual([400, 'unsupported_grant_type']);
    const badBearer = await fetch(`${okta.sim.orgUrl}/api/v1/users`, { headers: { Authorization: 'Bearer nope' } });
    expect(badBearer.status).toBe(401);
    expect(badBearer.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('(SDK 8.1.0 quirk) the SDK cannot use an EC private key: its DPoP proof is always RS256', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const clientId = okta.sim.oauth.registerServiceApp({
      name: 'EC app',
      scopes: ['okta.users.read'],
      jwks: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec2' }],
    });
    const client = new Client({
      orgUrl: okta.sim.orgUrl,
      authorizationMode: 'PrivateKey',
      clientId,
      scopes: ['okta.users.read'],
      privateKey: ec.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      keyId: 'ec2',
      cacheMiddleware: null,
    });
    await expect(client.userApi.getUser({ userId: activeUser() })).rejects.toThrow(/unsupported algorithm/);
  });
});

describe('rate limits', () => {
  it('answers 429 E0000047 past the bucket limit, with Limit/Remaining/Reset, per bucket', async () => {
    const limited = await startTestSim({ rateLimits: { users: 3 } });
    try {
      const statuses: number[] = [];
      const remaining: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await call(limited.sim, 'GET', '/api/v1/users?limit=1');
        statuses.push(r.status);
        remaining.push(r.headers.get('x-rate-limit-remaining') ?? '');
        if (r.status === 429) {
          expect((r.body as { errorCode: string }).errorCode).toBe('E0000047');
          const reset = Number(r.headers.get('x-rate-limit-reset'));
          expect(reset).toBeGreaterThan(Date.now() / 1000 + 50);
          expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
        }
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(remaining).toEqual(['2', '1', '0', '0']);
      expect((await call(limited.sim, 'GET', '/api/v1/groups?limit=1')).status).toBe(200);
      const noRetry = await oktaError(limited.client({ maxRetries: 0 }).userApi.getUser({ userId: 'me' }));
      expect([noRetry.status, noRetry.errorCode]).toEqual([429, 'E0000047']);
    } finally {
      await limited.stop();
    }
  });

  it('the SDK waits for X-Rate-Limit-Reset and retries a forced 429, then succeeds', async () => {
    okta.sim.rateLimits.force('users', 1, 1);
    const before = okta.sim.requests().length;
    const user = await okta.client().userApi.getUser({ userId: activeUser() });
    expect(user.id).toBe(activeUser());
    const attempts = okta.sim.requests().slice(before);
    expect(attempts.map((r) => [r.status, r.retry])).toEqual([
      [429, 0],
      [200, 1],
    ]);
  });

  it('forces 429s by path with a fault, and the SDK gives up after maxRetries', async () => {
    okta.sim.faults.add({ path: '/api/v1/groups', status: 429, times: 2, resetInSeconds: 0 });
    const error = await oktaError(
      okta
        .client({ maxRetries: 1 })
        .groupApi.listGroups({})
        .then((c) => c.next()),
    );
    expect([error.status, error.errorCode]).toEqual([429, 'E0000047']);
    expect(error.headers.get('x-rate-limit-remaining')).toBe('0');
    expect(okta.sim.faults.list()).toEqual([]);
  });
});

describe('faults', () => {
  it('surfaces an injected 500 (E0000009) without a retry, and the next call succeeds', async () => {
    const fault = okta.sim.faults.add({ method: 'GET', path: '/api/v1/users/*', status: 500 });
    const before = okta.sim.requests().length;
    const error = await oktaError(okta.client().userApi.getUser({ userId: activeUser() }));
    expect([error.status, error.errorCode]).toEqual([500, 'E0000009']);
    expect(okta.sim.requests().slice(before)).toHaveLength(1);
    expect(fault.matched).toBe(1);
    expect((await okta.client().userApi.getUser({ userId: activeUser() })).id).toBe(activeUser());
  });

  it('surfaces a non-JSON 503 as the SDK HttpError', async () => {
    okta.sim.faults.add({ path: '/api/v1/users/**', status: 503, body: 'html' });
    const error = await okta
      .client()
      .userApi.getUser({ userId: activeUser() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HttpError', status: 503 });
  });

  it('applies the change but fails the response with when: "after" (the dangerous retry case)', async () => {
    const id = okta.sim.seed.users.find((u) => u.profile.login === 'zara.ahmed@acme-demo.example')?.id ?? '';
    okta.sim.faults.add({ method: 'POST', path: '/api/v1/users/*/lifecycle/suspend', status: 502, when: 'after' });
    const error = await oktaError(okta.client().userApi.suspendUser({ userId: id }));
    expect(error.status).toBe(502);
    expect(okta.sim.state.user(id)?.status).toBe('SUSPENDED');
    const retry = await oktaError(okta.client().userApi.suspendUser({ userId: id }));
    expect(retry.errorCode).toBe('E0000038');
  });

  it('delays a response past the SDK requestTimeout', async () => {
    okta.sim.faults.add({ path: '/api/v1/users/*', delayMs: 1500 });
    const error = await okta
      .client({ requestTimeout: 300 })
      .userApi.getUser({ userId: activeUser() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/timeout/i);
  });
});
