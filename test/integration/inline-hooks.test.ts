import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../lib/root.ts';
import type { LocalResources } from '../../local/resources.ts';
import { freshResources, useLocalEnv } from '../support/emulators.ts';
import { fixture } from '../support/fixtures.ts';
import { postInline, startInlineGateway } from '../support/inline.ts';

/**
 * The deterministic inline hooks over HTTP, with Okta's fixture requests and the rules in policy/inline-hooks.json:
 * each answer is compared with the documented command shapes (the response fixtures), field by field.
 */
const SECRET = 'inline-hooks-test-secret-0123456789';
let resources: LocalResources;
let gateway: { url: string; stop: () => Promise<void> };

beforeAll(async () => {
  resources = await freshResources();
  useLocalEnv(resources, {
    HOOKPILOT_INLINE_HOOK_SECRET: SECRET,
    HOOKPILOT_INLINE_CONFIG_FILE: join(ROOT, 'policy', 'inline-hooks.json'),
  });
  gateway = await startInlineGateway();
});

afterAll(async () => {
  await gateway?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited and read freely; the assertions check their shape
type Json = Record<string, any>;
const post = (type: Parameters<typeof postInline>[1], body: unknown) =>
  postInline(gateway.url, type, body, { authorization: SECRET });

describe('registration (com.okta.user.pre-registration)', () => {
  const ssr = () => fixture<Json>('okta/inline-registration-ssr-request.json');

  it('allows a partner-domain sign-up and enriches the profile, exactly as documented', async () => {
    const result = await post('registration', ssr());
    expect(result.status).toBe(200);
    expect(result.body).toEqual(fixture('okta/inline-registration-ssr-response.json'));
  });

  it('answers a progressive profile update with progressive.profile.update (never profile.update)', async () => {
    const result = await post('registration', fixture('okta/inline-registration-progressive-request.json'));
    expect(result.body).toEqual(fixture('okta/inline-registration-progressive-response.json'));
  });

  it('denies a domain off the allow list with the cause next to the email field', async () => {
    const request = ssr();
    request.data.userProfile.email = 'sam@partner-unknown.example';
    const result = await post('registration', request);
    expect(result.status).toBe(200);
    expect(result.body).toEqual(fixture('okta/inline-registration-ssr-response-deny.json'));
  });

  it('denies a disposable mailbox, a missing required attribute and a malformed value, one cause per field', async () => {
    const request = ssr();
    request.data.userProfile.email = 'someone@mailinator.com';
    request.data.userProfile.lastName = '  ';
    request.data.userProfile.employeeNumber = '12-ab';
    const body = (await post('registration', request)).body as Json;
    expect(body.commands).toEqual([{ type: 'com.okta.action.update', value: { registration: 'DENY' } }]);
    expect(body.error.errorCauses.map((c: Json) => [c.reason, c.location])).toEqual([
      ['MISSING_ATTRIBUTE', 'data.userProfile.lastName'],
      ['INVALID_FORMAT', 'data.userProfile.employeeNumber'],
      ['DISPOSABLE_EMAIL_DOMAIN', 'data.userProfile.email'],
    ]);
    for (const cause of body.error.errorCauses)
      expect(cause).toMatchObject({ locationType: 'body', domain: 'end-user' });
  });

  it('checks a progressive update against the formats, pointing at data.userProfileUpdate', async () => {
    const request = fixture<Json>('okta/inline-registration-progressive-request.json');
    request.data.userProfileUpdate.employeeNumber = 'DROP TABLE';
    const body = (await post('registration', request)).body as Json;
    expect(body.error.errorCauses).toEqual([
      expect.objectContaining({ reason: 'INVALID_FORMAT', location: 'data.userProfileUpdate.employeeNumber' }),
    ]);
  });

  it('reads the Classic shape (no requestType, action null, no eventId) as a self-service registration', async () => {
    const request = ssr();
    delete request.requestType;
    delete request.eventId;
    delete request.eventTime;
    request.data.action = null;
    request.eventTypeVersion = 1;
    expect((await post('registration', request)).body).toEqual(fixture('okta/inline-registration-ssr-response.json'));
  });

  it('answers 400 naming the field for an unknown requestType or a progressive request without its update', async () => {
    const unknown = ssr();
    unknown.requestType = 'self.service.something';
    const a = await post('registration', unknown);
    expect([a.status, (a.body as Json).error.details]).toEqual([
      400,
      [expect.objectContaining({ path: 'requestType' })],
    ]);
    const progressive = fixture<Json>('okta/inline-registration-progressive-request.json');
    delete progressive.data.userProfileUpdate;
    const b = await post('registration', progressive);
    expect([b.status, (b.body as Json).error.details]).toEqual([
      400,
      [expect.objectContaining({ path: 'data.userProfileUpdate' })],
    ]);
  });
});

describe('token (com.okta.oauth2.tokens.transform)', () => {
  const request = () => fixture<Json>('okta/inline-token-request.json');

  it('adds the mapped entitlements to both tokens being minted', async () => {
    const result = await post('token', request());
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
  });

  it('maps groups from the groups claim, replaces an existing claim, and patches only the tokens in the request', async () => {
    const body = request();
    delete body.data.identity;
    body.data.access.claims.groups = ['Everyone', 'Finance'];
    body.data.access.claims.entitlements = ['stale'];
    const result = await post('token', body);
    expect(result.body).toEqual({
      commands: [
        {
          type: 'com.okta.access.patch',
          value: [
            {
              op: 'replace',
              path: '/claims/entitlements',
              value: ['ledger:approve', 'ledger:read', 'portal:read'],
            },
          ],
        },
      ],
    });
  });

  it('changes nothing for a person no mapping matches, or a client-credentials token without a user', async () => {
    const stranger = request();
    stranger.data.context.user.profile.login = 'someone@elsewhere.example';
    expect((await post('token', stranger)).body).toEqual({});
    const service = request();
    delete service.data.context.user;
    delete service.data.identity;
    expect((await post('token', service)).body).toEqual({});
  });

  it('answers 400 naming the field when data.context is missing', async () => {
    const body = request();
    delete body.data.context;
    const result = await post('token', body);
    expect(result.status).toBe(400);
    expect((result.body as Json).error.details).toEqual([expect.objectContaining({ path: 'data.context' })]);
  });
});

describe('SAML assertion (com.okta.saml.tokens.transform)', () => {
  const request = () => fixture<Json>('okta/inline-saml-request.json');
  const attribute = {
    attributes: { NameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic' },
    attributeValues: [{ attributes: { 'xsi:type': 'xs:string' }, value: 'hr:self-service' }],
  };

  it('adds the entitlements as an attribute statement with com.okta.assertion.patch', async () => {
    const result = await post('saml', request());
    expect(result.body).toEqual({
      commands: [
        { type: 'com.okta.assertion.patch', value: [{ op: 'add', path: '/claims/entitlements', value: attribute }] },
      ],
    });
  });

  it('works for an assertion without claims, and replaces an attribute that is already there', async () => {
    const bare = request();
    delete bare.data.assertion.claims;
    expect(((await post('saml', bare)).body as Json).commands[0].value[0].op).toBe('add');
    const existing = request();
    existing.data.assertion.claims.entitlements = attribute;
    expect(((await post('saml', existing)).body as Json).commands[0].value[0]).toEqual({
      op: 'replace',
      path: '/claims/entitlements',
      value: attribute,
    });
  });

  it('answers 400 naming data.assertion when it is missing', async () => {
    const body = request();
    delete body.data.assertion;
    const result = await post('saml', body);
    expect([result.status, (result.body as Json).error.details[0].path]).toEqual([400, 'data.assertion']);
  });
});

describe('user import (com.okta.import.transform)', () => {
  const request = () => fixture<Json>('okta/inline-user-import-request.json');

  it('leaves a new user to be created, and passes on the conflicts Okta reported', async () => {
    const result = await post('user-import', request());
    expect(result.body).toEqual({ debugContext: { hookpilot: { oktaConflicts: ['login'] } } });
  });

  it('confirms Okta’s match when the keys agree: LINK_USER with com.okta.user.update, as documented', async () => {
    const body = request();
    body.data.context.conflicts = [];
    body.data.action.result = 'LINK_USER';
    body.data.user.id = '00u3old6Lk9Jh2Gf1d7';
    body.data.user.profile.employeeNumber = 'WD-104233';
    expect((await post('user-import', body)).body).toEqual({
      commands: fixture<Json>('okta/inline-user-import-response.json').commands,
    });
  });

  it('refuses to link another person’s account when a key disagrees, and says why', async () => {
    const body = request();
    body.data.context.conflicts = [];
    body.data.action.result = 'LINK_USER';
    body.data.user.id = '00u3old6Lk9Jh2Gf1d7';
    body.data.user.profile.employeeNumber = 'WD-999999';
    const result = (await post('user-import', body)).body as Json;
    expect(result.commands).toEqual([{ type: 'com.okta.action.update', value: { result: 'CREATE_USER' } }]);
    expect(result.debugContext.hookpilot.conflict).toContain('employeeNumber');
  });

  it('normalises imported values (trimmed, emails lower-case, empty text cleared) with appUser.profile.update', async () => {
    const body = request();
    body.data.appUser.profile.email = '  Marcus.Lee@ACME-demo.example ';
    body.data.appUser.profile.department = '';
    const result = (await post('user-import', body)).body as Json;
    expect(result.commands).toEqual([
      {
        type: 'com.okta.appUser.profile.update',
        value: { email: 'marcus.lee@acme-demo.example', department: null },
      },
    ]);
  });

  it('reports several candidate matches as a conflict and leaves Okta’s action alone', async () => {
    const body = request();
    body.data.context.matches = ['00u1aaaaaaaaaaaaaaa', '00u2bbbbbbbbbbbbbbb'];
    const result = (await post('user-import', body)).body as Json;
    expect(result.commands).toBeUndefined();
    expect(result.debugContext.hookpilot.conflict).toContain('2 Okta users match');
  });

  it('answers 400 naming data.appUser when it is missing', async () => {
    const body = request();
    delete body.data.appUser;
    const result = await post('user-import', body);
    expect([result.status, (result.body as Json).error.details[0].path]).toEqual([400, 'data.appUser']);
  });
});
