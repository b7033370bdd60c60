import { beforeAll, describe, expect, it } from 'vitest';
import { OktaSdkAdapter } from '../../lambda/okta/okta-sdk-adapter.ts';
import { OktaCallError } from '../../lambda/ports.ts';
import { useTestSim } from '../support/okta-sim.ts';
import { appLabelled, groupNamed, newUser, simSettings } from '../support/okta-users.ts';

/** hookpilot's Okta adapter against the Okta org simulator, over HTTP, through the real @okta/okta-sdk-nodejs. */
const okta = useTestSim();
let adapter: OktaSdkAdapter;

beforeAll(() => {
  adapter = new OktaSdkAdapter(simSettings(okta));
});

const failure = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OktaCallError) return error;
    throw error;
  }
  throw new Error('expected a failure');
};

describe('reads', () => {
  it('reads a user by id and by login, and answers undefined for an unknown one', async () => {
    const { id, login } = await newUser(okta);
    expect(await adapter.getUser(id)).toMatchObject({ id, status: 'ACTIVE', profile: { login, department: 'Sales' } });
    expect((await adapter.getUser(login))?.id).toBe(id);
    expect(await adapter.getUser('00uDOESNOTEXIST00001')).toBeUndefined();
  });

  it('reads groups, app links, an app assignment and admin roles as plain values', async () => {
    const { id } = await newUser(okta);
    const groups = await adapter.listUserGroups(id);
    expect(groups.map((g) => g.name)).toContain('Everyone');
    expect(groups.find((g) => g.name === 'Everyone')?.type).toBe('BUILT_IN');
    const links = await adapter.listAppLinks(id);
    expect(links.map((l) => l.label)).toEqual(expect.arrayContaining(['Slack', 'Workday']));
    expect(await adapter.getAppAssignment(appLabelled(okta, 'Slack'), id)).toMatchObject({ scope: 'GROUP' });
    expect(await adapter.getAppAssignment(appLabelled(okta, 'Salesforce'), id)).toBeUndefined();
    expect(await adapter.listRoles(id)).toEqual([]);
    expect(await adapter.getGroup(groupNamed(okta, 'aws-prod-admin'))).toMatchObject({
      type: 'OKTA_GROUP',
      name: 'aws-prod-admin',
    });
  });

  it("reads an app's label by id (notifications name the app), and answers undefined for an unknown one", async () => {
    const appId = appLabelled(okta, 'Salesforce');
    expect(await adapter.getApp(appId)).toMatchObject({ id: appId, label: 'Salesforce' });
    expect(await adapter.getApp('0oaDOESNOTEXIST00001')).toBeUndefined();
  });

  it('follows Link pagination across pages (63 users, 20 per page)', async () => {
    const paged = new OktaSdkAdapter(simSettings(okta), 20);
    const before = okta.sim.requests().length;
    const users = await paged.searchUsers('status eq "ACTIVE"', 1000);
    const expected = okta.sim.state.users().filter((u) => u.status === 'ACTIVE').length;
    expect(users).toHaveLength(expected);
    expect(new Set(users.map((u) => u.id)).size).toBe(expected);
    const pages = okta.sim
      .requests()
      .slice(before)
      .filter((r) => r.path === '/api/v1/users');
    expect(pages.length).toBe(Math.ceil(expected / 20));
    expect(pages.slice(1).every((r) => r.query.includes('after='))).toBe(true);
  });

  it('stops reading at the limit', async () => {
    expect(await adapter.searchUsers('status pr', 5)).toHaveLength(5);
  });
});

describe('writes', () => {
  it('returns the X-Okta-Request-Id of the call that made the change', async () => {
    const { id } = await newUser(okta);
    const group = groupNamed(okta, 'loc-berlin');
    const result = await adapter.addGroupMember(group, id);
    const request = okta.sim.requests().find((r) => r.requestId === result.requestId);
    expect(request).toMatchObject({ method: 'PUT', path: `/api/v1/groups/${group}/users/${id}`, status: 204 });
  });

  it('classifies a lifecycle call Okta refuses in the current status (E0000038)', async () => {
    const { id } = await newUser(okta, 'STAGED');
    const error = await failure(adapter.lifecycle(id, 'suspend'));
    expect(error).toMatchObject({ kind: 'invalid_state', details: { status: 403, errorCode: 'E0000038' } });
    expect(okta.sim.requests().some((r) => r.requestId === error.details.requestId)).toBe(true);
  });

  it('classifies a duplicate admin role as already done (409 E0000090)', async () => {
    const { id } = await newUser(okta);
    await adapter.assignRole(id, 'HELP_DESK_ADMIN');
    expect(await failure(adapter.assignRole(id, 'HELP_DESK_ADMIN'))).toMatchObject({ kind: 'already_done' });
  });

  it('never asks Okta to return activation or reset links (they are secrets)', async () => {
    const staged = await newUser(okta, 'STAGED');
    await adapter.lifecycle(staged.id, 'activate');
    const active = await newUser(okta);
    await adapter.lifecycle(active.id, 'reset_password');
    const calls = okta.sim
      .requests()
      .filter((r) => r.path.includes('/lifecycle/activate') || r.path.includes('/lifecycle/reset_password'));
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls.slice(-2)) expect(call.query).toContain('sendEmail=true');
  });
});

describe('rate limits, faults and timeouts', () => {
  it('waits out a 429 in-process when the reset is near, then succeeds', async () => {
    const { id } = await newUser(okta);
    const patient = new OktaSdkAdapter(simSettings(okta, { maxRateLimitWaitMs: 5_000 }));
    okta.sim.rateLimits.force('users', 1, 1);
    expect((await patient.getUser(id))?.id).toBe(id);
    const attempts = okta.sim
      .requests()
      .filter((r) => r.path === `/api/v1/users/${id}`)
      .slice(-2);
    expect(attempts.map((r) => [r.status, r.retry])).toEqual([
      [429, 0],
      [200, 1],
    ]);
  });

  it('hands a 429 with a far reset back as rate_limited with its reset time, without waiting', async () => {
    const { id } = await newUser(okta);
    okta.sim.rateLimits.force('users', 1, 30);
    const started = Date.now();
    const error = await failure(adapter.getUser(id));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.kind).toBe('rate_limited');
    expect(error.details.retryAt?.getTime()).toBeGreaterThan(Date.now() + 20_000);
  });

  it('reports a 5xx, and an HTML error page, as transient', async () => {
    const { id } = await newUser(okta);
    okta.sim.faults.add({ path: `/api/v1/users/${id}`, status: 500 });
    expect(await failure(adapter.getUser(id))).toMatchObject({ kind: 'transient', details: { status: 500 } });
    okta.sim.faults.add({ path: `/api/v1/users/${id}`, status: 502, body: 'html' });
    expect(await failure(adapter.getUser(id))).toMatchObject({ kind: 'transient', details: { status: 502 } });
  });

  it('gives up on a call slower than its time budget, as transient', async () => {
    const { id } = await newUser(okta);
    const hasty = new OktaSdkAdapter(simSettings(okta, { requestTimeoutMs: 300 }));
    okta.sim.faults.add({ path: `/api/v1/users/${id}`, delayMs: 2_000 });
    const started = Date.now();
    expect(await failure(hasty.getUser(id))).toMatchObject({ kind: 'transient' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('authentication', () => {
  it('works as an OAuth 2.0 service app (private_key_jwt), and fails clearly with a wrong token', async () => {
    const { clientId, privateKeyPem, publicJwk } = okta.oauthClient(['okta.users.read', 'okta.groups.read']);
    const oauth = new OktaSdkAdapter(
      simSettings(okta, {
        credentials: async () => ({
          kind: 'privateKey',
          clientId,
          privateKey: privateKeyPem,
          keyId: String(publicJwk.kid),
          scopes: ['okta.users.read', 'okta.groups.read'],
        }),
      }),
    );
    const { id } = await newUser(okta);
    expect((await oauth.getUser(id))?.id).toBe(id);
    expect(okta.sim.requests().at(-1)?.principal).toBe(`oauth:${clientId}`);

    const wrong = new OktaSdkAdapter(
      simSettings(okta, { credentials: async () => ({ kind: 'apiToken', apiToken: 'not-the-token' }) }),
    );
    expect(await failure(wrong.getUser(id))).toMatchObject({ kind: 'misconfigured', details: { status: 401 } });
  });
});
