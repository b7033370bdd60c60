import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseInlineConfig } from '../../lambda/domain/inline-config.ts';
import { inlineHookHandler } from '../../lambda/handlers/inline-hook.ts';
import { createSecretVerifier } from '../../lambda/okta/hook-auth.ts';
import { createInlineAuthenticator } from '../../lambda/okta/inline-auth.ts';
import { RegistrationRequestSchema } from '../../lambda/okta/inline-registration.ts';
import { TokenRequestSchema } from '../../lambda/okta/inline-token.ts';
import { fallbackFor } from '../../lambda/pipeline/inline-fallbacks.ts';
import { registrationUseCase } from '../../lambda/pipeline/inline-registration.ts';
import { tokenUseCase } from '../../lambda/pipeline/inline-token.ts';
import type { ActiveGrants, AuditLog, RegistrationScreen } from '../../lambda/ports.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { type GatewayRoute, startGateway } from '../../local/gateway.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import type { LocalResources } from '../../local/resources.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { fixture } from '../support/fixtures.ts';
import { postInline } from '../support/inline.ts';

/**
 * A dependency that hangs or fails still gets Okta a correct answer inside the budget: the fallback that fired is in
 * the audit record. Fakes only inject the faults (a grants store, a risk screen, a use case, an audit store that hang);
 * everything else is the real handler over HTTP, auditing into DynamoDB Local. No timing is asserted.
 */
const SECRET = 'inline-faults-secret-0123456789';
const config = parseInlineConfig(
  {
    version: 1,
    registration: { allowedEmailDomains: ['partner.example'], modelScreen: { enabled: true, timeoutMs: 200 } },
    entitlements: {
      mappings: [{ name: 'partners', profile: { login: '*@partner.example' }, entitlements: ['portal:read'] }],
    },
  },
  'test',
);
const never = <T>(signal?: AbortSignal) =>
  new Promise<T>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
const hangingGrants: ActiveGrants = { entitlementsOf: (_u, _a, signal) => never(signal) };
const failingGrants: ActiveGrants = { entitlementsOf: async () => Promise.reject(new Error('grants store down')) };
const hangingScreen: RegistrationScreen = { screen: (_i, signal) => never(signal) };
const hangingAudit: AuditLog = {
  append: () => never(),
  existing: async () => new Set(),
  byCorrelation: async () => [],
  bySubject: async () => [],
  byTime: async () => [],
};

let resources: LocalResources;
let audit: DynamoAuditLog;
let gateway: { url: string; stop: () => Promise<void> };

beforeAll(async () => {
  resources = await freshResources();
  useLocalEnv(resources);
  const { documents } = testClients();
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  const deps = {
    authenticate: createInlineAuthenticator({
      secret: async () => createSecretVerifier([SECRET], 'test'),
      secretHeader: 'authorization',
    }),
    audit,
    budgetMs: 800,
  };
  // `/<fault>/<type>` is served at `/<fault>/okta/inline/<type>`, so requests are posted as Okta posts them.
  const route = (path: string, handler: ReturnType<typeof inlineHookHandler>): GatewayRoute => ({
    method: 'POST',
    path: path.replace(/\/([^/]+)$/, '/okta/inline/$1'),
    fn: { handler, context: () => lambdaContext('inline-faults', 5) },
  });
  const routes = [
    route(
      '/hang/token',
      inlineHookHandler({
        type: 'token',
        schema: TokenRequestSchema,
        useCase: tokenUseCase({ token: config.token, entitlements: config.entitlements, grants: hangingGrants }),
        fallback: fallbackFor('token'),
        deps,
      }),
    ),
    route(
      '/fail/token',
      inlineHookHandler({
        type: 'token',
        schema: TokenRequestSchema,
        useCase: tokenUseCase({ token: config.token, entitlements: config.entitlements, grants: failingGrants }),
        fallback: fallbackFor('token'),
        deps,
      }),
    ),
    route(
      '/hang/registration',
      inlineHookHandler({
        type: 'registration',
        schema: RegistrationRequestSchema,
        useCase: registrationUseCase({ rules: config.registration, screen: hangingScreen }),
        fallback: fallbackFor('registration'),
        deps,
      }),
    ),
    route(
      '/stuck/registration',
      inlineHookHandler({
        type: 'registration',
        schema: RegistrationRequestSchema,
        useCase: () => never(),
        fallback: fallbackFor('registration'),
        deps: { ...deps, budgetMs: 200 },
      }),
    ),
    route(
      '/throws/token',
      inlineHookHandler({
        type: 'token',
        schema: TokenRequestSchema,
        useCase: async () => {
          throw new TypeError('bug');
        },
        fallback: fallbackFor('token'),
        deps,
      }),
    ),
    route(
      '/huge/token',
      inlineHookHandler({
        type: 'token',
        schema: TokenRequestSchema,
        useCase: async () => ({ response: { debugContext: { blob: 'x'.repeat(300 * 1024) } }, outcome: 'patched' }),
        fallback: fallbackFor('token'),
        deps,
      }),
    ),
    route(
      '/slow-audit/token',
      inlineHookHandler({
        type: 'token',
        schema: TokenRequestSchema,
        useCase: tokenUseCase({ token: config.token, entitlements: config.entitlements }),
        fallback: fallbackFor('token'),
        deps: { ...deps, audit: hangingAudit },
      }),
    ),
  ];
  gateway = await startGateway({ routes, port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway?.stop();
});

/** POST a fixture to a test route, and the audit record of that answer. */
async function call(path: string, body: unknown) {
  const requestId = `faults-${Math.random().toString(36).slice(2)}`;
  const [prefix, type] = path.split('/').filter(Boolean) as [string, string];
  const result = await postInline(`${gateway.url}/${prefix}`, type as 'token', body, {
    authorization: SECRET,
    'x-okta-request-id': requestId,
  }).catch(async () => {
    throw new Error('no answer');
  });
  return { result, requestId, type };
}

async function auditOf(type: string, requestId: string) {
  return vi.waitFor(async () => {
    const [record] = await audit.byCorrelation(`inline:${type}:${requestId}`);
    expect(record).toBeDefined();
    return record as NonNullable<typeof record>;
  });
}

const token = () => fixture('okta/inline-token-request.json');
const registration = () => fixture('okta/inline-registration-ssr-request.json');
const PORTAL = ['portal:read'];

describe('a dependency that hangs or fails', () => {
  it('token: a hanging grants store is cut off and the mappings alone answer (fallback grants_timeout)', async () => {
    const { result, requestId } = await call('/hang/token', token());
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      commands: [
        { type: 'com.okta.access.patch', value: [{ op: 'add', path: '/claims/entitlements', value: PORTAL }] },
        { type: 'com.okta.identity.patch', value: [{ op: 'add', path: '/claims/entitlements', value: PORTAL }] },
      ],
    });
    expect((await auditOf('token', requestId)).detail).toMatchObject({
      outcome: 'patched',
      fallback: 'grants_timeout',
    });
  });

  it('token: a failing grants store does the same (fallback grants_error)', async () => {
    const { result, requestId } = await call('/fail/token', token());
    expect((result.body as { commands: unknown[] }).commands).toHaveLength(2);
    expect((await auditOf('token', requestId)).detail).toMatchObject({ fallback: 'grants_error' });
  });

  it('registration: a hanging risk screen leaves the rules’ ALLOW (fallback risk_screen_timeout)', async () => {
    const { result, requestId } = await call('/hang/registration', registration());
    expect(result.body).toEqual({ commands: [{ type: 'com.okta.action.update', value: { registration: 'ALLOW' } }] });
    expect((await auditOf('registration', requestId)).detail).toMatchObject({
      outcome: 'ALLOW',
      fallback: 'risk_screen_timeout',
    });
  });

  it('registration: a use case that never finishes gets the fail-closed answer at the deadline', async () => {
    const { result, requestId } = await call('/stuck/registration', registration());
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      commands: [{ type: 'com.okta.action.update', value: { registration: 'DENY' } }],
      error: { errorSummary: expect.any(String) },
    });
    expect((await auditOf('registration', requestId)).detail).toMatchObject({
      outcome: 'fallback',
      fallback: 'deadline',
    });
  });

  it('token: a use case that throws gets the fail-open answer (no change), never a 500', async () => {
    const { result, requestId } = await call('/throws/token', token());
    expect([result.status, result.body]).toEqual([200, {}]);
    expect((await auditOf('token', requestId)).detail).toMatchObject({ fallback: 'error:TypeError' });
  });

  it('an answer of 256 KB or more is never sent: the fallback goes instead', async () => {
    const { result, requestId } = await call('/huge/token', token());
    expect([result.status, result.body]).toEqual([200, {}]);
    expect((await auditOf('token', requestId)).detail).toMatchObject({ fallback: 'response_too_large' });
  });

  it('an audit store that hangs does not hold the answer back', async () => {
    const { result } = await call('/slow-audit/token', token());
    expect(result.status).toBe(200);
    expect((result.body as { commands: unknown[] }).commands).toHaveLength(2);
  });
});
