import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fc, test } from '@fast-check/vitest';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyError, HookpilotError, InsufficientScopeError, UnauthorizedError } from '../../lambda/errors.ts';
import { errorResult } from '../../lambda/handlers/http.ts';
import {
  type AccessTokenSettings,
  bearerToken,
  createAccessTokenVerifier,
  createServiceTokenVerifier,
} from '../../lambda/okta/access-token.ts';
import {
  APPROVER_TOKEN_ENV,
  accessTokenSettingsFromEnv,
  approverTokenVerifier,
} from '../../lambda/okta/access-token-config.ts';

/**
 * The approver-token verifier against a local RS256 key and a tiny JWKS server on 127.0.0.1 (real HTTP, real jose).
 * Tokens are built here claim by claim, so each refusal is about exactly one thing.
 */

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let server: Server;
let base = '';
let issuer = '';
let published: JWK[] = [];
let jwksStatus = 200;
let jwksFetches = 0;
let key: KeyPair;
let otherKey: KeyPair;
const KID = 'key-1';
const AUDIENCE = 'api://hookpilot';

const now = () => Math.floor(Date.now() / 1000);

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    ver: 1,
    jti: 'AT.test-token-id',
    iss: issuer,
    aud: AUDIENCE,
    iat: t,
    exp: t + 3600,
    cid: 'hookpilot-console',
    uid: '00u1approver000000000',
    scp: ['openid', 'hookpilot.approvals'],
    auth_time: t,
    sub: 'ann.approver@example.com',
    groups: ['Everyone', 'dept-security'],
    ...overrides,
  };
}

async function sign(
  payload: Record<string, unknown> = claims(),
  options: { key?: KeyPair['privateKey']; kid?: string | null } = {},
): Promise<string> {
  const kid = options.kid === undefined ? KID : options.kid;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', ...(kid === null ? {} : { kid }) })
    .sign(options.key ?? key.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const settings = (overrides: Partial<AccessTokenSettings> = {}): AccessTokenSettings => ({
  issuer,
  audience: AUDIENCE,
  ...overrides,
});

/** The error a verification rejects with (fails the test if it resolves). */
async function refused(promise: Promise<unknown>): Promise<HookpilotError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HookpilotError) return error;
    throw error;
  }
  throw new Error('expected the token to be refused');
}

/** A 401 naming the failed check, whose message and challenge never contain the token. */
async function expect401(token: string, header: string, fragment: string | RegExp, s = settings()) {
  const error = await refused(createAccessTokenVerifier(s).verify(header));
  expect(error).toBeInstanceOf(UnauthorizedError);
  expect(error.message).toMatch(fragment);
  const challenge = (error as UnauthorizedError).challenge ?? '';
  expect(challenge).toMatch(/^Bearer realm="hookpilot", error="invalid_token", error_description="[^"]+"$/);
  for (const part of token.split('.').filter((p) => p.length > 8)) {
    expect(error.message).not.toContain(part);
    expect(challenge).not.toContain(part);
  }
  return error as UnauthorizedError;
}

beforeAll(async () => {
  key = await generateKeyPair('RS256', { extractable: true });
  otherKey = await generateKeyPair('RS256', { extractable: true });
  published = [{ ...(await exportJWK(key.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }];
  server = createServer((req, res) => {
    if (req.url === '/oauth2/test/v1/keys') {
      jwksFetches++;
      res.writeHead(jwksStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${base}/oauth2/test`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('createAccessTokenVerifier', () => {
  it('accepts an Okta-shaped access token and returns who presented it', async () => {
    const payload = claims();
    const token = await sign(payload);
    const principal = await createAccessTokenVerifier(settings()).verify(`Bearer ${token}`);
    expect(principal).toEqual({
      userId: '00u1approver000000000',
      login: 'ann.approver@example.com',
      groups: ['Everyone', 'dept-security'],
      scopes: ['openid', 'hookpilot.approvals'],
      clientId: 'hookpilot-console',
      tokenId: 'AT.test-token-id',
      expiresAt: new Date((payload.exp as number) * 1000),
    });
  });

  it('reads a token without a groups claim as a member of no group', async () => {
    const { groups: _none, ...rest } = claims();
    const principal = await createAccessTokenVerifier(settings()).verify(`Bearer ${await sign(rest)}`);
    expect(principal.groups).toEqual([]);
  });

  it('refuses a groups claim that is not a list of names', async () => {
    const token = await sign(claims({ groups: 'dept-security' }));
    await expect401(token, `Bearer ${token}`, /groups claim is not a list/);
  });

  it('refuses a token for another audience', async () => {
    const token = await sign(claims({ aud: 'api://default' }));
    await expect401(token, `Bearer ${token}`, /not meant for this API \(audience\)/);
  });

  it('accepts any of several configured audiences', async () => {
    const token = await sign(claims({ aud: 'api://default' }));
    const principal = await createAccessTokenVerifier(settings({ audience: [AUDIENCE, 'api://default'] })).verify(
      `Bearer ${token}`,
    );
    expect(principal.login).toBe('ann.approver@example.com');
  });

  it('refuses a token from another issuer, even when signed by a trusted key', async () => {
    const token = await sign(claims({ iss: `${base}/oauth2/other` }));
    await expect401(token, `Bearer ${token}`, `not issued by ${issuer}`);
  });

  it('refuses an expired token, beyond the small clock tolerance only', async () => {
    const expired = await sign(claims({ iat: now() - 7200, exp: now() - 120 }));
    await expect401(expired, `Bearer ${expired}`, 'the access token has expired');
    const justExpired = await sign(claims({ iat: now() - 3600, exp: now() - 5 }));
    await expect(createAccessTokenVerifier(settings()).verify(`Bearer ${justExpired}`)).resolves.toBeDefined();
  });

  it('uses the clock it is given', async () => {
    const token = await sign();
    const later = () => new Date(Date.now() + 2 * 3600 * 1000);
    const error = await refused(createAccessTokenVerifier(settings(), { clock: later }).verify(`Bearer ${token}`));
    expect(error.message).toBe('the access token has expired');
  });

  it('refuses a token that is not valid yet (nbf)', async () => {
    const token = await sign(claims({ nbf: now() + 600 }));
    await expect401(token, `Bearer ${token}`, 'not valid yet (nbf)');
  });

  it('refuses a token issued in the future (iat)', async () => {
    const token = await sign(claims({ iat: now() + 600 }));
    await expect401(token, `Bearer ${token}`, /iat claim/);
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const token = `${b64({ alg: 'none', kid: KID })}.${b64(claims())}.`;
    await expect401(token, `Bearer ${token}`, 'not signed with RS256');
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const pem = await exportSPKI(key.publicKey);
    for (const secret of [new TextEncoder().encode(pem), new TextEncoder().encode(JSON.stringify(published[0]))]) {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: KID }).sign(secret);
      await expect401(token, `Bearer ${token}`, 'not signed with RS256');
    }
  });

  it('refuses a token signed by another key that claims a published kid', async () => {
    const token = await sign(claims(), { key: otherKey.privateKey });
    await expect401(token, `Bearer ${token}`, 'signature does not verify');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await sign()).split('.');
    const token = `${header}.${b64(claims({ groups: ['Everyone', 'dept-security', 'Okta Admins'] }))}.${signature}`;
    await expect401(token, `Bearer ${token}`, 'signature does not verify');
  });

  it('refuses a token signed with a key the issuer does not publish (unknown kid)', async () => {
    const token = await sign(claims(), { key: otherKey.privateKey, kid: 'not-published' });
    await expect401(token, `Bearer ${token}`, /not signed with one of the issuer's published keys/);
  });

  it('refuses a client-credentials token (no uid): approvers are people', async () => {
    const { uid: _uid, groups: _groups, ...rest } = claims({ sub: 'hookpilot-console' });
    const token = await sign(rest);
    await expect401(token, `Bearer ${token}`, 'no uid claim');
  });

  it('refuses a token without exp, sub, cid or jti', async () => {
    for (const claim of ['exp', 'sub', 'cid', 'jti']) {
      const { [claim]: _gone, ...rest } = claims();
      const token = await sign(rest);
      await expect401(token, `Bearer ${token}`, `no ${claim} claim`);
    }
  });

  it('refuses a token issued to a client that is not allowed, when clients are configured', async () => {
    const token = await sign(claims({ cid: 'some-other-app' }));
    await expect401(
      token,
      `Bearer ${token}`,
      /OAuth client that may not call this API/,
      settings({ clientIds: ['hookpilot-console'] }),
    );
  });

  it('answers 403 insufficient_scope when a required scope is missing', async () => {
    const token = await sign(claims({ scp: ['openid'] }));
    const error = await refused(
      createAccessTokenVerifier(settings({ requiredScopes: ['hookpilot.approvals'] })).verify(`Bearer ${token}`),
    );
    expect(error).toBeInstanceOf(InsufficientScopeError);
    expect(error.status).toBe(403);
    expect((error as InsufficientScopeError).challenge).toContain('error="insufficient_scope"');
    expect((error as InsufficientScopeError).challenge).toContain('scope="hookpilot.approvals"');
  });

  it('picks up a rotated key: a token with a new kid makes it fetch the JWKS again (after the cooldown)', async () => {
    const verifier = createAccessTokenVerifier(settings({ jwksCooldownMs: 0 }));
    await verifier.verify(`Bearer ${await sign()}`);
    const fetched = jwksFetches;
    const rotated = await generateKeyPair('RS256', { extractable: true });
    const previous = published;
    published = [{ ...(await exportJWK(rotated.publicKey)), kid: 'key-2', alg: 'RS256', use: 'sig' }, ...previous];
    try {
      const principal = await verifier.verify(
        `Bearer ${await sign(claims(), { key: rotated.privateKey, kid: 'key-2' })}`,
      );
      expect(principal.userId).toBe('00u1approver000000000');
      expect(jwksFetches).toBe(fetched + 1);
      await verifier.verify(`Bearer ${await sign()}`); // the old key is still published: still good
    } finally {
      published = previous;
    }
  });

  it('reports unreachable or broken signing keys as a dependency failure (503), not as a bad token', async () => {
    const token = await sign();
    const down = createAccessTokenVerifier(settings({ jwksUrl: 'http://127.0.0.1:9/keys' }));
    expect(await refused(down.verify(`Bearer ${token}`))).toBeInstanceOf(DependencyError);
    jwksStatus = 500;
    try {
      const error = await refused(createAccessTokenVerifier(settings()).verify(`Bearer ${token}`));
      expect(error).toBeInstanceOf(DependencyError);
      expect(error.status).toBe(503);
    } finally {
      jwksStatus = 200;
    }
  });
});

describe('the Authorization header', () => {
  it('without a token: 401 with a challenge that names no error (RFC 6750 §3.1)', async () => {
    for (const header of [undefined, '', '   ']) {
      const error = await refused(createAccessTokenVerifier(settings()).verify(header));
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error.message).toBe('no access token: send Authorization: Bearer <access token>');
      expect((error as UnauthorizedError).challenge).toBe('Bearer realm="hookpilot"');
    }
  });

  it('refuses other schemes and shapes, naming the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['Basic dXNlcjpwYXNz', /must be "Bearer <access token>"/],
      ['SSWS 00abc', /must be "Bearer <access token>"/],
      ['Bearer', /must be "Bearer <access token>"/],
      ['Bearer a b', /must be "Bearer <access token>"/],
      ['Bearer not-a-jwt', /not a JWT/],
      ['Bearer a.b', /not a JWT/],
      ['Bearer a.b.c.d', /not a JWT/],
      [`Bearer ${'a'.repeat(9000)}.b.c`, /too long/],
    ];
    for (const [header, message] of cases) {
      expect(() => bearerToken(header)).toThrow(message);
    }
  });

  test.prop(
    [
      fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'),
      fc.stringMatching(/^[ \t]{0,3}$/),
      fc.stringMatching(/^[ \t]{1,4}$/),
      fc.stringMatching(/^[ \t]{0,3}$/),
    ],
    { numRuns: 30 },
  )(
    'accepts the Bearer scheme in any case, with extra spaces or tabs around',
    async (scheme, before, between, after) => {
      const token = await sign();
      expect(bearerToken(`${before}${scheme}${between}${token}${after}`)).toBe(token);
      const principal = await createAccessTokenVerifier(settings()).verify(
        `${before}${scheme}${between}${token}${after}`,
      );
      expect(principal.userId).toBe('00u1approver000000000');
    },
  );

  test.prop([fc.string({ maxLength: 40 })], { numRuns: 200 })(
    'never accepts, and never echoes, arbitrary text',
    async (junk) => {
      let error: unknown;
      try {
        bearerToken(junk);
      } catch (e) {
        error = e;
      }
      if (error === undefined) {
        // It looked like a bearer JWT: the verifier must still refuse it.
        error = await refused(createAccessTokenVerifier(settings()).verify(junk));
      }
      expect(error).toBeInstanceOf(UnauthorizedError);
      const token = junk.trim().replace(/^bearer\s+/i, '');
      if (token.length > 3) expect((error as UnauthorizedError).message).not.toContain(token);
    },
  );
});

describe('createServiceTokenVerifier (Okta calling an OAuth-secured inline hook)', () => {
  const service = () =>
    createServiceTokenVerifier(settings({ clientIds: ['okta-hooks'], requiredScopes: ['hookpilot.inline'] }));

  it('accepts a client-credentials token for the allowed client and scope', async () => {
    const {
      uid: _u,
      groups: _g,
      ...rest
    } = claims({ sub: 'okta-hooks', cid: 'okta-hooks', scp: ['hookpilot.inline'] });
    const principal = await service().verify(`Bearer ${await sign(rest)}`);
    expect(principal).toMatchObject({ clientId: 'okta-hooks', subject: 'okta-hooks', scopes: ['hookpilot.inline'] });
  });

  it('refuses another client, or a missing scope', async () => {
    const other = await sign(claims({ cid: 'someone-else', scp: ['hookpilot.inline'] }));
    expect((await refused(service().verify(`Bearer ${other}`))).status).toBe(401);
    const noScope = await sign(claims({ cid: 'okta-hooks', scp: ['openid'] }));
    expect((await refused(service().verify(`Bearer ${noScope}`))).status).toBe(403);
  });
});

describe('errors become responses in one place', () => {
  it('maps a refused token to 401 with WWW-Authenticate, and a missing scope to 403', async () => {
    const token = await sign(claims({ aud: 'api://default' }));
    const unauthorized = errorResult(await refused(createAccessTokenVerifier(settings()).verify(`Bearer ${token}`)));
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers?.['www-authenticate']).toBe(
      'Bearer realm="hookpilot", error="invalid_token", error_description="the access token is not meant for this API (audience)"',
    );
    expect(unauthorized.body).toEqual({
      error: { code: 'invalid_token', message: 'the access token is not meant for this API (audience)' },
    });
    const forbidden = errorResult(
      await refused(createAccessTokenVerifier(settings({ requiredScopes: ['x.y'] })).verify(`Bearer ${await sign()}`)),
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers?.['www-authenticate']).toContain('insufficient_scope');
  });

  it('keeps a hook-secret refusal as it was: 401, no challenge, no detail', () => {
    const result = errorResult(new UnauthorizedError());
    expect(result).toEqual({ status: 401, body: { error: { code: 'unauthorized', message: 'unauthorized' } } });
  });
});

describe('settings from the environment', () => {
  const env = (values: Record<string, string | undefined>, run: () => void) => {
    const saved = Object.fromEntries(Object.values(APPROVER_TOKEN_ENV).map((n) => [n, process.env[n]]));
    for (const name of Object.values(APPROVER_TOKEN_ENV)) delete process.env[name];
    Object.assign(process.env, values);
    try {
      run();
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  };

  it('reads issuer, audience and the optional lists', () => {
    env(
      {
        HOOKPILOT_APPROVALS_ISSUER: 'https://acme.okta.com/oauth2/aus1hookpilot00000/',
        HOOKPILOT_APPROVALS_AUDIENCE: 'api://hookpilot',
        HOOKPILOT_APPROVALS_CLIENT_IDS: 'console, cli',
        HOOKPILOT_APPROVALS_REQUIRED_SCOPES: 'hookpilot.approvals',
      },
      () => {
        expect(accessTokenSettingsFromEnv(APPROVER_TOKEN_ENV)).toEqual({
          issuer: 'https://acme.okta.com/oauth2/aus1hookpilot00000',
          audience: 'api://hookpilot',
          clientIds: ['console', 'cli'],
          requiredScopes: ['hookpilot.approvals'],
          clockToleranceSeconds: 30,
        });
      },
    );
  });

  it('builds the approvals verifier from them', async () => {
    let verifier: ReturnType<typeof approverTokenVerifier> | undefined;
    env({ HOOKPILOT_APPROVALS_ISSUER: issuer, HOOKPILOT_APPROVALS_AUDIENCE: AUDIENCE }, () => {
      verifier = approverTokenVerifier();
    });
    await expect(verifier?.verify(`Bearer ${await sign()}`)).resolves.toMatchObject({
      userId: '00u1approver000000000',
    });
  });

  it('names the missing or unsafe variable', () => {
    env({}, () =>
      expect(() => accessTokenSettingsFromEnv(APPROVER_TOKEN_ENV)).toThrow(/HOOKPILOT_APPROVALS_ISSUER is not set/),
    );
    env({ HOOKPILOT_APPROVALS_ISSUER: 'http://acme.okta.com/oauth2/default', HOOKPILOT_APPROVALS_AUDIENCE: 'a' }, () =>
      expect(() => accessTokenSettingsFromEnv(APPROVER_TOKEN_ENV)).toThrow(
        /HOOKPILOT_APPROVALS_ISSUER must be an https:\/\/ URL/,
      ),
    );
    env({ HOOKPILOT_APPROVALS_ISSUER: 'http://127.0.0.1:8790/oauth2/default' }, () =>
      expect(() => accessTokenSettingsFromEnv(APPROVER_TOKEN_ENV)).toThrow(/HOOKPILOT_APPROVALS_AUDIENCE is not set/),
    );
  });
});
