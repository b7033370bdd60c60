import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INLINE_HOOK_TYPE_NAMES, INLINE_HOOK_TYPES, type InlineHookType } from '../../lambda/okta/inline-types.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import type { LocalResources } from '../../local/resources.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { fixture } from '../support/fixtures.ts';
import { inlineHookToken, postInline, startInlineGateway } from '../support/inline.ts';
import { useTestSim } from '../support/okta-sim.ts';

const SECRET = 'inline-test-secret-0123456789';
const OLD_SECRET = 'inline-test-old-secret-0123456789';
const sim = useTestSim();
const { documents } = testClients();
let resources: LocalResources;
let gateway: { url: string; stop: () => Promise<void> };
let audit: DynamoAuditLog;

/** The fixture request of each type. */
const REQUESTS: Record<InlineHookType, string> = {
  telephony: 'okta/inline-telephony-request.json',
  'password-import': 'okta/inline-password-import-request.json',
  registration: 'okta/inline-registration-ssr-request.json',
  token: 'okta/inline-token-request.json',
  saml: 'okta/inline-saml-request.json',
  'user-import': 'okta/inline-user-import-request.json',
};

beforeAll(async () => {
  resources = await freshResources();
  useLocalEnv(resources, {
    HOOKPILOT_INLINE_HOOK_SECRET: JSON.stringify([SECRET, OLD_SECRET]),
    HOOKPILOT_INLINE_OAUTH_ISSUER: sim.sim.authorizationServers.issuer(),
    HOOKPILOT_INLINE_OAUTH_AUDIENCE: 'api://default',
    HOOKPILOT_INLINE_OAUTH_CLIENT_IDS: 'hookpilot-inline-hooks',
    HOOKPILOT_INLINE_OAUTH_REQUIRED_SCOPES: 'hookpilot.inline',
  });
  gateway = await startInlineGateway();
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
});

afterAll(async () => {
  await gateway?.stop();
});

describe.each(INLINE_HOOK_TYPE_NAMES)('POST /okta/inline/%s: authentication and parsing', (type) => {
  const request = () => fixture(REQUESTS[type]);

  it('answers 200 with a JSON object to the header secret, and to the old secret while rotating', async () => {
    for (const secret of [SECRET, OLD_SECRET]) {
      const result = await postInline(gateway.url, type, request(), { authorization: secret });
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toBe('application/json');
      expect(typeof result.body).toBe('object');
    }
  });

  it("answers 200 to Okta's OAuth access token (client credentials from the authorization server)", async () => {
    const token = await inlineHookToken(sim.sim.authorizationServers.issuer());
    const result = await postInline(gateway.url, type, request(), { authorization: `Bearer ${token}` });
    expect(result.status).toBe(200);
  });

  it('answers 401 to a wrong secret, no credentials, a forged bearer token and a token without the scope', async () => {
    const token = await inlineHookToken(sim.sim.authorizationServers.issuer(), { scope: 'hookpilot.approvals' });
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(43)}`;
    const attempts: Record<string, string>[] = [
      { authorization: 'wrong-secret-0123456789' },
      {},
      { authorization: `Bearer ${forged}` },
      { authorization: `Bearer ${token}` },
    ];
    for (const headers of attempts) {
      const result = await postInline(gateway.url, type, request(), headers);
      expect(result.status).toBe(401);
      expect(JSON.stringify(result.body)).not.toContain(SECRET);
    }
  });

  it('answers 400 naming eventType to a request of another hook type', async () => {
    const other = INLINE_HOOK_TYPE_NAMES.find((t) => t !== type) as InlineHookType;
    const result = await postInline(gateway.url, type, fixture(REQUESTS[other]), { authorization: SECRET });
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({
      error: { code: 'unexpected_event_type', details: [{ path: 'eventType' }] },
    });
    expect(JSON.stringify(result.body)).toContain(INLINE_HOOK_TYPES[type].eventType);
  });

  it('answers 400 to malformed JSON and to a body without data, 415 to another media type, 405 to GET', async () => {
    const broken = await postInline(gateway.url, type, '{"eventType": ', { authorization: SECRET });
    expect([broken.status, (broken.body as { error: { code: string } }).error.code]).toEqual([400, 'invalid_json']);
    const noData = await postInline(
      gateway.url,
      type,
      { eventType: INLINE_HOOK_TYPES[type].eventType },
      { authorization: SECRET },
    );
    expect(noData.status).toBe(400);
    expect(noData.body).toMatchObject({ error: { code: 'invalid_request', details: [{ path: 'data' }] } });
    const text = await fetch(`${gateway.url}/okta/inline/${type}`, {
      method: 'POST',
      headers: { authorization: SECRET, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(text.status).toBe(415);
    const get = await fetch(`${gateway.url}/okta/inline/${type}`, { headers: { authorization: SECRET } });
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('audits the decision with its type, outcome and duration, correlated by x-okta-request-id', async () => {
    const requestId = `req-${type}-${Date.now()}`;
    const result = await postInline(gateway.url, type, request(), {
      authorization: SECRET,
      'x-okta-request-id': requestId,
    });
    expect(result.status).toBe(200);
    // The answer waits a bounded time for the write; on a loaded machine it may land just after.
    const records = await vi.waitFor(async () => {
      const found = await audit.byCorrelation(`inline:${type}:${requestId}`);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(records[0]).toMatchObject({
      kind: 'inline.decision',
      eventType: INLINE_HOOK_TYPES[type].eventType,
      detail: { type, outcome: expect.any(String), durationMs: expect.any(Number) },
    });
  });
});
