import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Grant } from '../../lambda/domain/grant.ts';
import { parseInlineConfig } from '../../lambda/domain/inline-config.ts';
import { inlineHookHandler } from '../../lambda/handlers/inline-hook.ts';
import { createSecretVerifier } from '../../lambda/okta/hook-auth.ts';
import { createInlineAuthenticator } from '../../lambda/okta/inline-auth.ts';
import { TokenRequestSchema } from '../../lambda/okta/inline-token.ts';
import { fallbackFor } from '../../lambda/pipeline/inline-fallbacks.ts';
import { tokenUseCase } from '../../lambda/pipeline/inline-token.ts';
import { DynamoActiveGrants, grantEntitlement } from '../../lambda/store/active-grants.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { DynamoGrantStore } from '../../lambda/store/grant-store.ts';
import { ROOT } from '../../lib/root.ts';
import { startGateway } from '../../local/gateway.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import type { LocalResources } from '../../local/resources.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { fixture } from '../support/fixtures.ts';
import { postInline, startInlineGateway } from '../support/inline.ts';

/**
 * The token and SAML hooks read the user's active time-bound grants from the grants table (written here by the real
 * DynamoGrantStore in DynamoDB Local) and put them beside the mapped entitlements; the real handlers answer over HTTP
 * behind the local gateway. A grants table that never answers (a TCP endpoint that accepts and stays silent) leaves
 * the mappings alone, and the audit record names the fallback. No timing is asserted.
 */
const SECRET = 'inline-grants-test-secret-0123456789';
// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited and read freely; the assertions check their shape
type Json = Record<string, any>;
const tokenRequest = () => fixture<Json>('okta/inline-token-request.json');
const samlRequest = () => fixture<Json>('okta/inline-saml-request.json');
const TOKEN_USER = tokenRequest().data.context.user.id as string;
const SAML_USER = samlRequest().data.context.user.id as string;

let resources: LocalResources;
let gateway: { url: string; stop: () => Promise<void> };
let hanging: { url: string; stop: () => Promise<void> };
let audit: DynamoAuditLog;
let silent: Server;
const sockets = new Set<Socket>();
/** Query requests the silent endpoint has received (on new or reused connections). */
let queries = 0;
let hungGrants: DynamoActiveGrants;

function grant(overrides: Partial<Grant> & Pick<Grant, 'subjectUserId' | 'action' | 'inverse'>): Grant {
  const grantedAt = new Date(Date.now() - 3600_000).toISOString();
  return {
    grantId: `act-${randomUUID()}`,
    state: 'active',
    grantedAt,
    durationSeconds: 7200,
    expiresAt: new Date(Date.parse(grantedAt) + 7200_000).toISOString(),
    durationReason: 'asked for 7200 s',
    approvers: ['00uapprover1'],
    correlationId: `corr-${randomUUID()}`,
    version: 0,
    ...overrides,
  };
}

const groupGrant = (userId: string, groupId: string, overrides: Partial<Grant> = {}) =>
  grant({
    subjectUserId: userId,
    action: { type: 'group.add_member', params: { userId, groupId } },
    inverse: { type: 'group.remove_member', params: { userId, groupId } },
    ...overrides,
  });

beforeAll(async () => {
  resources = await freshResources();
  useLocalEnv(resources, {
    HOOKPILOT_INLINE_HOOK_SECRET: SECRET,
    HOOKPILOT_INLINE_CONFIG_FILE: join(ROOT, 'policy', 'inline-hooks.json'),
  });
  const { documents } = testClients();
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  const store = new DynamoGrantStore(documents, resources.tables.grantsTable);
  const past = (ms: number) => new Date(Date.now() - ms).toISOString();
  const records = [
    // Active: a group for two hours, started an hour ago.
    groupGrant(TOKEN_USER, '00gactive0000000001'),
    // An admin role, active too.
    grant({
      subjectUserId: TOKEN_USER,
      action: { type: 'role.assign', params: { userId: TOKEN_USER, roleType: 'HELP_DESK_ADMIN' } },
      inverse: { type: 'role.unassign', params: { userId: TOKEN_USER, roleType: 'HELP_DESK_ADMIN' } },
    }),
    // Expired a minute ago, but the sweeper has not got to it yet: still `active` in the table.
    groupGrant(TOKEN_USER, '00gexpired000000001', {
      grantedAt: past(3 * 3600_000),
      expiresAt: past(60_000),
    }),
    // Ended early by an approver.
    groupGrant(TOKEN_USER, '00gended0000000001', { state: 'ended-early', endedAt: past(1000), version: 2 }),
    // Being revoked.
    groupGrant(TOKEN_USER, '00grevoking0000001', { state: 'revoking', revokeQueuedAt: past(1000), version: 1 }),
    // Someone else's.
    groupGrant('00uotheruser000001', '00gother0000000001'),
    // The SAML user's app assignment.
    grant({
      subjectUserId: SAML_USER,
      action: { type: 'app.assign', params: { userId: SAML_USER, appId: '0oasamlapp00000001' } },
      inverse: { type: 'app.unassign', params: { userId: SAML_USER, appId: '0oasamlapp00000001' } },
    }),
  ];
  for (const record of records) expect(await store.create(record)).toBe(true);
  gateway = await startInlineGateway();

  // A DynamoDB endpoint that accepts connections and never answers, for the same use case over the real adapter.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').includes('DynamoDB_20120810.Query')) queries += 1;
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const hungDocuments = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: `http://127.0.0.1:${address.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      // Far longer than the budget: only the hook's abort ends the request.
      requestHandler: { requestTimeout: 120_000, connectionTimeout: 1000 },
    }),
  );
  hungGrants = new DynamoActiveGrants(hungDocuments, resources.tables.grantsTable);
  const config = parseInlineConfig(
    {
      version: 1,
      entitlements: {
        mappings: [{ name: 'partners', profile: { login: '*@partner.example' }, entitlements: ['portal:read'] }],
      },
    },
    'test',
  );
  const handler = inlineHookHandler({
    type: 'token',
    schema: TokenRequestSchema,
    useCase: tokenUseCase({
      token: config.token,
      entitlements: config.entitlements,
      grants: hungGrants,
    }),
    fallback: fallbackFor('token'),
    deps: {
      authenticate: createInlineAuthenticator({
        secret: async () => createSecretVerifier([SECRET], 'test'),
        secretHeader: 'authorization',
      }),
      audit,
      budgetMs: 1500,
    },
  });
  const hung = await startGateway({
    routes: [{ method: 'POST', path: '/okta/inline/token', fn: { handler, context: () => lambdaContext('hung', 5) } }],
    port: 0,
    host: '127.0.0.1',
  });
  hanging = { url: hung.url, stop: () => hung.stop() };
});

afterAll(async () => {
  await gateway?.stop();
  await hanging?.stop();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
});

async function post(url: string, type: 'token' | 'saml', body: unknown) {
  const requestId = `grants-${randomUUID()}`;
  const result = await postInline(url, type, body, { authorization: SECRET, 'x-okta-request-id': requestId });
  return { ...result, requestId };
}

async function auditOf(type: string, requestId: string) {
  return vi.waitFor(async () => {
    const [record] = await audit.byCorrelation(`inline:${type}:${requestId}`);
    expect(record).toBeDefined();
    return record as NonNullable<typeof record>;
  });
}

describe('token hook: active time-bound grants', () => {
  it('adds the active grants (not the expired, ended or revoking ones) beside the mapped entitlements', async () => {
    const result = await post(gateway.url, 'token', tokenRequest());
    expect(result.status).toBe(200);
    const expected = ['group:00gactive0000000001', 'portal:read', 'role:HELP_DESK_ADMIN'];
    expect(result.body).toEqual({
      commands: [
        { type: 'com.okta.access.patch', value: [{ op: 'add', path: '/claims/entitlements', value: expected }] },
        { type: 'com.okta.identity.patch', value: [{ op: 'add', path: '/claims/entitlements', value: expected }] },
      ],
    });
    const text = JSON.stringify(result.body);
    for (const absent of ['00gexpired', '00gended', '00grevoking', '00gother']) expect(text).not.toContain(absent);
    const record = await auditOf('token', result.requestId);
    expect(record.detail).toMatchObject({ outcome: 'patched', fromGrants: 2 });
    expect(record.detail).not.toHaveProperty('fallback');
  });

  it('the grants table never answering: the mappings alone answer and the audit names the fallback', async () => {
    const result = await post(hanging.url, 'token', tokenRequest());
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      commands: [
        { type: 'com.okta.access.patch', value: [{ op: 'add', path: '/claims/entitlements', value: ['portal:read'] }] },
        {
          type: 'com.okta.identity.patch',
          value: [{ op: 'add', path: '/claims/entitlements', value: ['portal:read'] }],
        },
      ],
    });
    expect((await auditOf('token', result.requestId)).detail).toMatchObject({
      outcome: 'patched',
      fallback: 'grants_timeout',
      fromGrants: 0,
    });
    // The query did reach the silent endpoint: the fallback is the hook's cut-off, not a refused connection.
    expect(queries).toBeGreaterThan(0);
  });

  it('the adapter passes the signal to the SDK: aborting ends the hung query at once', async () => {
    const controller = new AbortController();
    const pending = hungGrants.entitlementsOf(TOKEN_USER, new Date(), controller.signal);
    const before = queries;
    await vi.waitFor(() => expect(queries).toBeGreaterThan(before));
    controller.abort(new Error('budget spent'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('SAML hook: active time-bound grants', () => {
  it('adds the user’s active app grant as an attribute value', async () => {
    const result = await post(gateway.url, 'saml', samlRequest());
    expect(result.status).toBe(200);
    const values = JSON.stringify(result.body);
    expect(values).toContain('"value":"app:0oasamlapp00000001"');
    expect(values).not.toContain('00gother');
    expect((await auditOf('saml', result.requestId)).detail).toMatchObject({ fromGrants: 1 });
  });
});

describe('grantEntitlement', () => {
  it('names group, app and role grants by id; any other action or an odd value is no entitlement', () => {
    expect(grantEntitlement({ type: 'group.add_member', params: { userId: 'u', groupId: '00g1' } })).toBe('group:00g1');
    expect(grantEntitlement({ type: 'app.assign', params: { appId: '0oa1' } })).toBe('app:0oa1');
    expect(grantEntitlement({ type: 'role.assign', params: { roleType: 'ORG_ADMIN' } })).toBe('role:ORG_ADMIN');
    expect(grantEntitlement({ type: 'user.suspend', params: { userId: 'u' } })).toBeUndefined();
    expect(grantEntitlement({ type: 'group.add_member', params: { groupId: 'a b"}' } })).toBeUndefined();
    expect(grantEntitlement({ type: 'toString', params: {} })).toBeUndefined();
    expect(grantEntitlement(null)).toBeUndefined();
  });
});
