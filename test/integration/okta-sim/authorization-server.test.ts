import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookpilotError, UnauthorizedError } from '../../../lambda/errors.ts';
import { createAccessTokenVerifier, createServiceTokenVerifier } from '../../../lambda/okta/access-token.ts';
import { ApproverLoginError, localApproverToken } from '../../../local/approver-login.ts';
import { LOCAL_INLINE_CLIENT_SECRET } from '../../../local/okta-sim/authorization-server.ts';
import { call, startTestSim, type TestSim } from '../../support/okta-sim.ts';

/**
 * The simulator's custom authorization servers over real HTTP, checked with the same verifier the approvals API uses:
 * discovery, JWKS, tokens for simulated users (control API, authorization code + PKCE through the local sign-in page),
 * client credentials, key rotation — and the refusals.
 */

let okta: TestSim;
let issuer = '';
const login = (name: string) => `${name}@acme-demo.example`;
const REDIRECT = 'http://127.0.0.1:8787/console/callback';

const verifier = (overrides: { audience?: string; clock?: () => Date; jwksCooldownMs?: number } = {}) =>
  createAccessTokenVerifier(
    { issuer, audience: overrides.audience ?? 'api://default', jwksCooldownMs: overrides.jwksCooldownMs ?? 30_000 },
    overrides.clock ? { clock: overrides.clock } : {},
  );

async function refused(promise: Promise<unknown>): Promise<HookpilotError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HookpilotError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const groupNames = (loginOrId: string) =>
  okta.sim.state
    .userGroups(loginOrId)
    .map((id) => String((okta.sim.state.group(id)?.profile as { name?: string } | undefined)?.name));

async function mint(body: Record<string, unknown>) {
  return call<{ access_token: string; expires_in: number; issuer: string; userId: string }>(
    okta.sim,
    'POST',
    '/__sim/tokens',
    { body },
  );
}

async function form(path: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${okta.sim.orgUrl}${path}`, {
    method: 'POST',
    body: new URLSearchParams(params),
    headers,
    redirect: 'manual',
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a page or a redirect
  }
  return { status: response.status, headers: response.headers, text, json };
}

function pkce() {
  const codeVerifier = randomBytes(32).toString('base64url');
  return { codeVerifier, codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url') };
}

/** The authorization request of the console: `hookpilot-console`, PKCE S256, state and nonce. */
function authorizeParams(challenge: string, extra: Record<string, string> = {}) {
  return {
    client_id: 'hookpilot-console',
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid profile email hookpilot.approvals',
    state: 'state-123',
    nonce: 'nonce-456',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
}

/** Signs in on the local page as `who` and returns the authorization code (or the redirect's error). */
async function signIn(who: string, challenge: string, extra: Record<string, string> = {}) {
  const response = await form('/oauth2/default/v1/authorize', { ...authorizeParams(challenge, extra), login: who });
  const location = response.headers.get('location');
  return { ...response, redirect: location ? new URL(location) : undefined };
}

beforeAll(async () => {
  okta = await startTestSim();
  issuer = `${okta.sim.orgUrl}/oauth2/default`;
});

afterAll(async () => {
  expect(okta.sim.schemaViolations()).toEqual([]);
  await okta.stop();
});

describe('discovery and keys', () => {
  it('publishes OIDC and OAuth metadata whose endpoints sit under the issuer', async () => {
    for (const doc of ['openid-configuration', 'oauth-authorization-server']) {
      const response = await call<Record<string, unknown>>(okta.sim, 'GET', `/oauth2/default/.well-known/${doc}`, {
        token: null,
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        issuer,
        authorization_endpoint: `${issuer}/v1/authorize`,
        token_endpoint: `${issuer}/v1/token`,
        jwks_uri: `${issuer}/v1/keys`,
        grant_types_supported: ['authorization_code', 'client_credentials'],
        code_challenge_methods_supported: ['S256'],
      });
      expect(response.body.scopes_supported).toEqual(expect.arrayContaining(['openid', 'hookpilot.approvals']));
    }
    const oidc = await call<Record<string, unknown>>(
      okta.sim,
      'GET',
      '/oauth2/default/.well-known/openid-configuration',
    );
    expect(oidc.body.userinfo_endpoint).toBe(`${issuer}/v1/userinfo`);
    const unknown = await call<{ errorCode: string }>(okta.sim, 'GET', '/oauth2/ausNoSuchServer/v1/keys');
    expect([unknown.status, unknown.body.errorCode]).toEqual([404, 'E0000007']);
  });

  it('publishes RS256 public keys with stable kids, and signs with the first', async () => {
    const first = await call<{ keys: Array<Record<string, unknown>> }>(okta.sim, 'GET', '/oauth2/default/v1/keys');
    const again = await call<{ keys: Array<Record<string, unknown>> }>(okta.sim, 'GET', '/oauth2/default/v1/keys');
    expect(first.body).toEqual(again.body);
    expect(first.body.keys).toHaveLength(1);
    const [key] = first.body.keys;
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(key).not.toHaveProperty('d');
    const token = await mint({ login: login('priya.nair') });
    expect(decodeProtectedHeader(token.body.access_token)).toEqual({ kid: key?.kid, alg: 'RS256' });
  });
});

describe('tokens for simulated users (control API)', () => {
  it('mints an Okta-shaped access token that the approvals verifier accepts', async () => {
    const user = okta.seedUser(login('priya.nair'));
    const response = await mint({ login: login('priya.nair') });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ issuer, userId: user.id, expires_in: 3600 });
    const claims = decodeJwt(response.body.access_token);
    expect(claims).toMatchObject({
      ver: 1,
      iss: issuer,
      aud: 'api://default',
      cid: 'hookpilot-cli',
      uid: user.id,
      sub: login('priya.nair'),
      scp: ['hookpilot.approvals'],
    });
    expect(String(claims.jti)).toMatch(/^AT\./);
    const principal = await verifier().verify(`Bearer ${response.body.access_token}`);
    expect(principal).toMatchObject({
      userId: user.id,
      login: login('priya.nair'),
      clientId: 'hookpilot-cli',
      scopes: ['hookpilot.approvals'],
      tokenId: claims.jti,
    });
    expect([...principal.groups].sort()).toEqual(groupNames(user.id).sort());
    expect(principal.groups).toContain('dept-engineering');
  });

  it('needs the simulator API token, an existing user who can sign in, and known scopes', async () => {
    const anonymous = await call(okta.sim, 'POST', '/__sim/tokens', {
      body: { login: login('priya.nair') },
      token: null,
    });
    expect(anonymous.status).toBe(401);
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{}, 400, /login/],
      [{ login: login('nobody.here') }, 404, /nobody\.here/],
      [{ login: login('samuel.adeyemi') }, 400, /SUSPENDED and cannot sign in/],
      [{ login: login('priya.nair'), scopes: ['okta.users.manage'] }, 400, /not configured on default/],
      [{ login: login('priya.nair'), lifetimeSeconds: 0 }, 400, /lifetimeSeconds/],
    ];
    for (const [body, status, message] of cases) {
      const response = await call<{ errorSummary: string; errorCauses: Array<{ errorSummary: string }> }>(
        okta.sim,
        'POST',
        '/__sim/tokens',
        { body },
      );
      expect(response.status).toBe(status);
      expect(JSON.stringify(response.body)).toMatch(message);
    }
  });

  it('refuses a token for another audience, another issuer, or past its expiry', async () => {
    const otherAudience = await mint({ login: login('priya.nair'), audience: 'api://somewhere-else' });
    expect((await refused(verifier().verify(`Bearer ${otherAudience.body.access_token}`))).message).toBe(
      'the access token is not meant for this API (audience)',
    );

    okta.sim.authorizationServers.add({ id: 'ausOtherServer0001', audience: 'api://default' });
    const otherIssuer = await mint({ login: login('priya.nair'), authServerId: 'ausOtherServer0001' });
    expect(otherIssuer.body.issuer).toBe(`${okta.sim.orgUrl}/oauth2/ausOtherServer0001`);
    const error = await refused(verifier().verify(`Bearer ${otherIssuer.body.access_token}`));
    expect(error).toBeInstanceOf(UnauthorizedError);
    // Its kid is not among the default server's keys, so the signature check refuses it before the issuer check.
    expect(error.message).toMatch(/not issued by|published keys/);

    const shortLived = await mint({ login: login('priya.nair'), lifetimeSeconds: 60 });
    const inTenMinutes = () => new Date(Date.now() + 10 * 60_000);
    expect(
      (await refused(verifier({ clock: inTenMinutes }).verify(`Bearer ${shortLived.body.access_token}`))).message,
    ).toBe('the access token has expired');
  });

  it('rotates keys: old tokens still verify, new ones carry the new kid', async () => {
    const check = verifier({ jwksCooldownMs: 0 });
    const before = await mint({ login: login('marcus.chen') });
    await check.verify(`Bearer ${before.body.access_token}`);
    const kid = await okta.sim.authorizationServers.rotateKeys();
    const keys = await call<{ keys: Array<{ kid: string }> }>(okta.sim, 'GET', '/oauth2/default/v1/keys');
    expect(keys.body.keys.map((k) => k.kid)).toEqual([kid, decodeProtectedHeader(before.body.access_token).kid]);
    const after = await mint({ login: login('marcus.chen') });
    expect(decodeProtectedHeader(after.body.access_token).kid).toBe(kid);
    await expect(check.verify(`Bearer ${after.body.access_token}`)).resolves.toMatchObject({
      login: login('marcus.chen'),
    });
    await expect(check.verify(`Bearer ${before.body.access_token}`)).resolves.toMatchObject({
      login: login('marcus.chen'),
    });
  });
});

describe('authorization code + PKCE through the local sign-in page (the console)', () => {
  it('shows a clearly local-only page listing the simulated users, text escaped', async () => {
    const created = await call<{ id: string }>(okta.sim, 'POST', '/api/v1/users?activate=true', {
      body: {
        profile: {
          firstName: '<script>alert(1)</script>',
          lastName: '"><img src=x onerror=alert(2)>',
          email: 'mallory.markup@acme-demo.example',
          login: 'mallory.markup@acme-demo.example',
        },
      },
    });
    expect(created.status).toBe(200);
    const { codeChallenge } = pkce();
    const page = await fetch(`${issuer}/v1/authorize?${new URLSearchParams(authorizeParams(codeChallenge))}`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html).toContain('LOCAL ONLY');
    expect(html).toContain(`value="${login('priya.nair')}"`);
    expect(html).toMatch(/samuel\.adeyemi@acme-demo\.example — SUSPENDED, cannot sign in/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
  });

  it('signs in, redirects with code and state, and exchanges the code (once) for tokens', async () => {
    const { codeVerifier, codeChallenge } = pkce();
    const user = okta.seedUser(login('hannah.vogel'));
    const signedIn = await signIn(login('hannah.vogel'), codeChallenge);
    expect(signedIn.status).toBe(302);
    expect(signedIn.redirect?.origin + (signedIn.redirect?.pathname ?? '')).toBe(REDIRECT);
    expect(signedIn.redirect?.searchParams.get('state')).toBe('state-123');
    const code = signedIn.redirect?.searchParams.get('code') ?? '';
    expect(code).not.toBe('');

    const exchange = {
      grant_type: 'authorization_code',
      client_id: 'hookpilot-console',
      code,
      redirect_uri: REDIRECT,
      code_verifier: codeVerifier,
    };
    const tokens = await form('/oauth2/default/v1/token', exchange);
    expect(tokens.status).toBe(200);
    expect(tokens.headers.get('cache-control')).toBe('no-store');
    expect(tokens.json).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'openid profile email hookpilot.approvals',
    });
    const principal = await verifier().verify(`Bearer ${tokens.json.access_token}`);
    expect(principal).toMatchObject({ userId: user.id, login: login('hannah.vogel'), clientId: 'hookpilot-console' });
    expect([...principal.groups].sort()).toEqual(groupNames(user.id).sort());
    expect(decodeJwt(String(tokens.json.id_token))).toMatchObject({
      iss: issuer,
      aud: 'hookpilot-console',
      sub: user.id,
      nonce: 'nonce-456',
      preferred_username: login('hannah.vogel'),
      email: user.profile.email,
    });

    const userinfo = await fetch(`${issuer}/v1/userinfo`, {
      headers: { Authorization: `Bearer ${tokens.json.access_token}` },
    });
    expect(await userinfo.json()).toMatchObject({ sub: user.id, preferred_username: login('hannah.vogel') });

    const replay = await form('/oauth2/default/v1/token', exchange);
    expect([replay.status, replay.json.error]).toEqual([400, 'invalid_grant']);
  });

  it('refuses a wrong code_verifier, and the code is spent afterwards', async () => {
    const { codeChallenge } = pkce();
    const signedIn = await signIn(login('hannah.vogel'), codeChallenge);
    const code = signedIn.redirect?.searchParams.get('code') ?? '';
    const wrong = await form('/oauth2/default/v1/token', {
      grant_type: 'authorization_code',
      client_id: 'hookpilot-console',
      code,
      redirect_uri: REDIRECT,
      code_verifier: pkce().codeVerifier,
    });
    expect([wrong.status, wrong.json.error, wrong.json.error_description]).toEqual([
      400,
      'invalid_grant',
      'PKCE verification failed.',
    ]);
  });

  it('redirects errors to a registered redirect URI, and never to an unregistered one', async () => {
    const { codeChallenge } = pkce();
    const noPkce = await signIn(login('hannah.vogel'), codeChallenge, { code_challenge: '' });
    // An empty challenge is malformed; a missing one is required for a public client.
    expect(noPkce.redirect?.searchParams.get('error')).toBe('invalid_request');
    const params = authorizeParams(codeChallenge);
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = params;
    const missing = await form('/oauth2/default/v1/authorize', { ...withoutPkce, login: login('hannah.vogel') });
    expect(new URL(missing.headers.get('location') ?? 'x:/').searchParams.get('error_description')).toMatch(
      /PKCE code_challenge is required/,
    );
    const plain = await signIn(login('hannah.vogel'), codeChallenge, { code_challenge_method: 'plain' });
    expect(plain.redirect?.searchParams.get('error')).toBe('invalid_request');
    const badScope = await signIn(login('hannah.vogel'), codeChallenge, { scope: 'openid okta.users.manage' });
    expect(badScope.redirect?.searchParams.get('error')).toBe('invalid_scope');
    expect(badScope.redirect?.searchParams.get('state')).toBe('state-123');

    const evil = await signIn(login('hannah.vogel'), codeChallenge, { redirect_uri: 'https://evil.example/callback' });
    expect(evil.status).toBe(400);
    expect(evil.headers.get('location')).toBeNull();
    expect(evil.text).toContain('The redirect_uri is not registered');
  });

  it('does not sign in a user Okta would refuse', async () => {
    const { codeChallenge } = pkce();
    const suspended = await signIn(login('samuel.adeyemi'), codeChallenge);
    expect(suspended.status).toBe(403);
    expect(suspended.headers.get('location')).toBeNull();
    expect(suspended.text).toContain('samuel.adeyemi@acme-demo.example is SUSPENDED and cannot sign in.');
  });
});

describe('client credentials (Okta calling an OAuth-secured inline hook)', () => {
  const serviceVerifier = () =>
    createServiceTokenVerifier({
      issuer,
      audience: 'api://default',
      clientIds: ['hookpilot-inline-hooks', 'okta-hook-basic', 'okta-hook-jwt'],
      requiredScopes: ['hookpilot.inline'],
    });

  it('issues a token for client_secret_post, and refuses a wrong secret', async () => {
    const good = await form('/oauth2/default/v1/token', {
      grant_type: 'client_credentials',
      client_id: 'hookpilot-inline-hooks',
      client_secret: LOCAL_INLINE_CLIENT_SECRET,
      scope: 'hookpilot.inline',
    });
    expect(good.status).toBe(200);
    const principal = await serviceVerifier().verify(`Bearer ${good.json.access_token}`);
    expect(principal).toMatchObject({ clientId: 'hookpilot-inline-hooks', subject: 'hookpilot-inline-hooks' });
    expect(decodeJwt(String(good.json.access_token))).not.toHaveProperty('uid');
    // …and a person's verifier will not take it.
    expect((await refused(verifier().verify(`Bearer ${good.json.access_token}`))).message).toMatch(/no uid claim/);

    const bad = await form('/oauth2/default/v1/token', {
      grant_type: 'client_credentials',
      client_id: 'hookpilot-inline-hooks',
      client_secret: 'wrong',
      scope: 'hookpilot.inline',
    });
    expect([bad.status, bad.json.error]).toEqual([401, 'invalid_client']);
    const publicClient = await form('/oauth2/default/v1/token', {
      grant_type: 'client_credentials',
      client_id: 'hookpilot-console',
      scope: 'hookpilot.inline',
    });
    expect([publicClient.status, publicClient.json.error]).toEqual([400, 'unauthorized_client']);
  });

  it('accepts client_secret_basic and private_key_jwt clients registered through the control API', async () => {
    const basic = await call(okta.sim, 'POST', '/__sim/oidc-clients', {
      body: {
        clientId: 'okta-hook-basic',
        tokenEndpointAuthMethod: 'client_secret_basic',
        clientSecret: 'basic-secret-for-tests',
        grantTypes: ['client_credentials'],
      },
    });
    expect(basic.status).toBe(201);
    const viaBasic = await form(
      '/oauth2/default/v1/token',
      { grant_type: 'client_credentials', scope: 'hookpilot.inline' },
      { Authorization: `Basic ${Buffer.from('okta-hook-basic:basic-secret-for-tests').toString('base64')}` },
    );
    expect(viaBasic.status).toBe(200);
    await expect(serviceVerifier().verify(`Bearer ${viaBasic.json.access_token}`)).resolves.toMatchObject({
      clientId: 'okta-hook-basic',
    });

    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'hook-key-1' };
    const jwt = await call(okta.sim, 'POST', '/__sim/oidc-clients', {
      body: {
        clientId: 'okta-hook-jwt',
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [jwk] },
        grantTypes: ['client_credentials'],
      },
    });
    expect(jwt.status).toBe(201);
    const assertion = await new SignJWT({ jti: randomBytes(16).toString('hex') })
      .setProtectedHeader({ alg: 'RS256', kid: 'hook-key-1' })
      .setIssuer('okta-hook-jwt')
      .setSubject('okta-hook-jwt')
      .setAudience(`${issuer}/v1/token`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const request = {
      grant_type: 'client_credentials',
      scope: 'hookpilot.inline',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    };
    const viaJwt = await form('/oauth2/default/v1/token', request);
    expect(viaJwt.status).toBe(200);
    await expect(serviceVerifier().verify(`Bearer ${viaJwt.json.access_token}`)).resolves.toMatchObject({
      clientId: 'okta-hook-jwt',
    });
    const replayed = await form('/oauth2/default/v1/token', request);
    expect([replayed.status, replayed.json.error_description]).toEqual([
      401,
      'The client_assertion token has already been used.',
    ]);
  });
});

describe('localApproverToken (hookpilot approvals login --as, local only)', () => {
  it('returns a token the approvals verifier accepts, for the named user', async () => {
    const user = okta.seedUser(login('rajesh.iyer'));
    const token = await localApproverToken({
      simUrl: okta.sim.orgUrl,
      simToken: okta.sim.token,
      login: login('rajesh.iyer'),
    });
    expect(token.issuer).toBe(issuer);
    expect(token.userId).toBe(user.id);
    expect(token.expiresAt.getTime()).toBeGreaterThan(Date.now());
    const principal = await verifier().verify(`Bearer ${token.accessToken}`);
    expect(principal).toMatchObject({ userId: user.id, login: login('rajesh.iyer') });
  });

  it('honours another audience', async () => {
    const token = await localApproverToken({
      simUrl: okta.sim.orgUrl,
      simToken: okta.sim.token,
      login: login('rajesh.iyer'),
      audience: 'api://hookpilot',
    });
    await expect(
      verifier({ audience: 'api://hookpilot' }).verify(`Bearer ${token.accessToken}`),
    ).resolves.toBeDefined();
  });

  it('explains, in one line, why there is no token', async () => {
    const attempt = (input: Partial<Parameters<typeof localApproverToken>[0]>) =>
      localApproverToken({
        simUrl: okta.sim.orgUrl,
        simToken: okta.sim.token,
        login: login('rajesh.iyer'),
        ...input,
      }).then(
        () => {
          throw new Error('expected a refusal');
        },
        (error: unknown) => {
          expect(error).toBeInstanceOf(ApproverLoginError);
          return (error as Error).message;
        },
      );
    expect(await attempt({ login: login('nobody.here') })).toBe(`there is no simulated user ${login('nobody.here')}`);
    expect(await attempt({ login: login('samuel.adeyemi') })).toMatch(/SUSPENDED and cannot sign in/);
    expect(await attempt({ simToken: '00wrong' })).toMatch(/refused its SSWS token/);
    expect(await attempt({ authServerId: 'ausMissing' })).toBe(
      'the Okta simulator has no authorization server ausMissing',
    );
    expect(await attempt({ simUrl: 'http://127.0.0.1:9' })).toMatch(/did not answer: is the local stack running/);
  });
});
