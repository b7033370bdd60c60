import type { User } from '@okta/okta-sdk-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserSchema } from '../../../local/okta-sim/okta-schemas.ts';
import { call, collect, oktaError, useTestSim } from '../../support/okta-sim.ts';

const okta = useTestSim();
const client = () => okta.client();
const seedUsers = () => okta.sim.seed.users;
const seedUser = (login: string) => {
  const user = seedUsers().find((u) => u.profile.login === login);
  if (!user) throw new Error(`no seed user ${login}`);
  return user;
};

const newProfile = (name: string) => ({
  login: `${name}@acme-demo.example`,
  email: `${name}@acme-demo.example`,
  firstName: name.split('.')[0] ?? name,
  lastName: 'Tester',
});

describe('listing users', () => {
  it('follows the Link header across pages when limit is smaller than the org', async () => {
    const before = okta.sim.requests().length;
    const users = await collect(client().userApi.listUsers({ limit: 7 }));
    const pages = okta.sim
      .requests()
      .slice(before)
      .filter((r) => r.path === '/api/v1/users');
    const expected = seedUsers().filter((u) => u.status !== 'DEPROVISIONED');
    expect(users).toHaveLength(expected.length);
    expect(new Set(users.map((u) => u.id))).toEqual(new Set(expected.map((u) => u.id)));
    expect(pages).toHaveLength(Math.ceil(expected.length / 7));
    expect(pages.slice(1).every((p) => p.query.includes('after='))).toBe(true);
  });

  it('sends Okta-style Link headers: self with the query, next with an opaque cursor and the limit', async () => {
    const first = await call<unknown[]>(okta.sim, 'GET', '/api/v1/users?limit=5');
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(5);
    const link = first.headers.get('link') ?? '';
    expect(link).toContain(`<${okta.sim.orgUrl}/api/v1/users?limit=5>; rel="self"`);
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
    expect(next).toMatch(/after=[^&]+/);
    const second = await call<Array<{ id: string }>>(okta.sim, 'GET', (next ?? '').replace(okta.sim.orgUrl, ''));
    const firstIds = (first.body as Array<{ id: string }>).map((u) => u.id);
    expect(second.body.map((u) => u.id).some((id) => firstIds.includes(id))).toBe(false);
  });

  it('omits DEPROVISIONED users unless a filter or search asks for them', async () => {
    const all = await collect(client().userApi.listUsers({}));
    expect(all.some((u) => u.status === 'DEPROVISIONED')).toBe(false);
    const filtered = await collect(client().userApi.listUsers({ filter: 'status eq "DEPROVISIONED"' }));
    expect(filtered.map((u) => u.profile?.login).sort()).toEqual(
      seedUsers()
        .filter((u) => u.status === 'DEPROVISIONED')
        .map((u) => u.profile.login)
        .sort(),
    );
    const searched = await collect(client().userApi.listUsers({ search: 'status eq "DEPROVISIONED"' }));
    expect(searched).toHaveLength(filtered.length);
  });

  it('searches with eq, sw, and, or on profile attributes and status', async () => {
    const engineers = await collect(
      client().userApi.listUsers({ search: 'profile.department eq "Engineering" and status eq "ACTIVE"' }),
    );
    const expected = seedUsers().filter((u) => u.profile.department === 'Engineering' && u.status === 'ACTIVE');
    expect(engineers.map((u) => u.id).sort()).toEqual(expected.map((u) => u.id).sort());

    const cities = await collect(
      client().userApi.listUsers({
        search: '(profile.city eq "Berlin" or profile.city eq "Singapore") and profile.lastName sw "K"',
      }),
    );
    expect(cities.length).toBeGreaterThan(0);
    for (const u of cities) {
      expect(['Berlin', 'Singapore']).toContain(u.profile?.city);
      expect(u.profile?.lastName?.startsWith('K')).toBe(true);
    }
  });

  it('sorts search results with sortBy and sortOrder', async () => {
    const users = await collect(
      client().userApi.listUsers({
        search: 'profile.department eq "Finance"',
        sortBy: 'profile.lastName',
        sortOrder: 'desc',
      }),
    );
    const names = users.map((u) => u.profile?.lastName ?? '');
    expect(names).toEqual([...names].sort().reverse());
    expect(names.length).toBeGreaterThan(2);
  });

  it('filters by status, login and lastUpdated, and refuses what Okta filters do not support', async () => {
    const suspended = await collect(client().userApi.listUsers({ filter: 'status eq "SUSPENDED"' }));
    expect(suspended.map((u) => u.status)).toEqual(['SUSPENDED']);
    const byLogin = await collect(
      client().userApi.listUsers({ filter: 'profile.login eq "sarah.mitchell@acme-demo.example"' }),
    );
    expect(byLogin.map((u) => u.profile?.title)).toEqual(['Senior IT Administrator']);
    const recent = await collect(client().userApi.listUsers({ filter: 'lastUpdated gt "2026-01-01T00:00:00.000Z"' }));
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.every((u) => (u.lastUpdated as unknown as Date).getTime() > Date.parse('2026-01-01'))).toBe(true);

    const unsupported = await oktaError(collect(client().userApi.listUsers({ filter: 'profile.department eq "IT"' })));
    expect(unsupported.status).toBe(400);
    expect(unsupported.errorCode).toBe('E0000031');
    const malformed = await oktaError(collect(client().userApi.listUsers({ search: 'status eq' })));
    expect(malformed.errorCode).toBe('E0000031');
  });

  it('q matches the start of first name, last name, email or login, 10 results by default, no DEPROVISIONED', async () => {
    const result = await call<Array<{ profile: { firstName: string; lastName: string } }>>(
      okta.sim,
      'GET',
      '/api/v1/users?q=mar',
    );
    expect(result.body.length).toBeGreaterThan(0);
    for (const u of result.body) {
      expect(`${u.profile.firstName} ${u.profile.lastName}`.toLowerCase()).toMatch(/(^| )mar/);
    }
    expect(result.headers.get('link')).not.toContain('rel="next"');
    const many = await call<unknown[]>(okta.sim, 'GET', '/api/v1/users?q=a');
    expect(many.body).toHaveLength(10);
    const gone = await call<unknown[]>(okta.sim, 'GET', '/api/v1/users?q=kevin');
    expect(gone.body).toEqual([]);
  });
});

describe('getting a user', () => {
  it('finds a user by id, by URL-encoded login and by login short name', async () => {
    const seed = seedUser('sarah.mitchell@acme-demo.example');
    const byId = await client().userApi.getUser({ userId: seed.id });
    const byLogin = await client().userApi.getUser({ userId: 'sarah.mitchell@acme-demo.example' });
    const byShort = await client().userApi.getUser({ userId: 'sarah.mitchell' });
    expect([byId.id, byLogin.id, byShort.id]).toEqual([seed.id, seed.id, seed.id]);
    expect(byId.profile?.department).toBe('IT');
    expect(byId.type?.id).toMatch(/^oty/);
  });

  it('answers 404 E0000007 for an unknown user', async () => {
    const error = await oktaError(client().userApi.getUser({ userId: '00u000000000000notme' }));
    expect(error.status).toBe(404);
    expect(error.errorCode).toBe('E0000007');
    expect(error.errorSummary).toContain('00u000000000000notme');
  });

  it('returns the full _links for a single user and only self in collections', async () => {
    const single = await call<{ _links: Record<string, unknown> }>(
      okta.sim,
      'GET',
      `/api/v1/users/${seedUser('sarah.mitchell@acme-demo.example').id}`,
    );
    expect(Object.keys(single.body._links)).toEqual(
      expect.arrayContaining(['self', 'suspend', 'deactivate', 'resetPassword', 'expirePassword', 'type', 'schema']),
    );
    expect(single.body._links).not.toHaveProperty('unsuspend');
    expect(single.headers.get('etag')).toMatch(/^W\/"/);
    const list = await call<Array<{ _links: Record<string, unknown> }>>(okta.sim, 'GET', '/api/v1/users?limit=3');
    for (const u of list.body) expect(Object.keys(u._links)).toEqual(['self']);
  });

  it('resolves /api/v1/users/me to the API token owner', async () => {
    const me = await client().userApi.getUser({ userId: 'me' });
    expect(me.id).toBe(okta.sim.seed.apiToken.ownerId);
  });
});

describe('creating users', () => {
  it('creates STAGED with activate=false, ACTIVE with a password, PROVISIONED without one', async () => {
    const staged = await client().userApi.createUser({ body: { profile: newProfile('stan.staged') }, activate: false });
    expect(staged.status).toBe('STAGED');
    expect(staged.activated).toBeNull();
    const active = await client().userApi.createUser({
      body: { profile: newProfile('ada.active'), credentials: { password: { value: 'Corr3ct-Horse-Battery' } } },
      activate: true,
    });
    expect(active.status).toBe('ACTIVE');
    expect(active.activated).not.toBeNull();
    expect(active.credentials?.password).toEqual({});
    const provisioned = await client().userApi.createUser({ body: { profile: newProfile('pat.provisioned') } });
    expect(provisioned.status).toBe('PROVISIONED');

    const raw = await call<Record<string, unknown>>(okta.sim, 'GET', `/api/v1/users/${active.id}`);
    expect(UserSchema.parse(raw.body).credentials.password).toEqual({});
    expect(JSON.stringify(raw.body)).not.toContain('Corr3ct-Horse-Battery');
    expect(raw.body.transitioningToStatus).toBeNull();

    const events = okta.sim.logs.find({ targetId: active.id });
    expect(events.slice(0, 2).map((e) => e.eventType)).toEqual(['user.lifecycle.create', 'user.lifecycle.activate']);
    // Everyone's apps come with the account, and are logged as app assignments.
    const everyoneApps = okta.sim.seed.apps.filter((a) =>
      a.groups.includes(okta.sim.seed.groups.find((g) => g.type === 'BUILT_IN')?.id ?? ''),
    );
    expect(events.slice(2).map((e) => [e.eventType, e.target[0]?.id])).toEqual(
      everyoneApps.map((a) => ['application.user_membership.add', a.id]),
    );
    expect(okta.sim.logs.find({ targetId: staged.id })[0]?.eventType).toBe('user.lifecycle.create');
  });

  it('expires the password on creation with nextLogin=changePassword, and enforces its preconditions', async () => {
    const user = await client().userApi.createUser({
      body: { profile: newProfile('eve.expired'), credentials: { password: { value: 'Passw0rd-Expire' } } },
      activate: true,
      nextLogin: 'changePassword',
    });
    expect(user.status).toBe('PASSWORD_EXPIRED');
    const noPassword = await oktaError(
      client().userApi.createUser({ body: { profile: newProfile('no.password') }, nextLogin: 'changePassword' }),
    );
    expect(noPassword.errorCode).toBe('E0000124');
    const notActivated = await oktaError(
      client().userApi.createUser({
        body: { profile: newProfile('not.activated'), credentials: { password: { value: 'Passw0rd-Expire' } } },
        activate: false,
        nextLogin: 'changePassword',
      }),
    );
    expect(notActivated.errorCode).toBe('E0000125');
  });

  it('adds the new user to groupIds (OKTA_GROUP only) and logs each membership', async () => {
    const group = okta.sim.seed.groups.find((g) => g.profile.name === 'dept-finance');
    const appGroup = okta.sim.seed.groups.find((g) => g.type === 'APP_GROUP');
    if (!group || !appGroup) throw new Error('seed groups missing');
    const user = await client().userApi.createUser({
      body: { profile: newProfile('gus.grouped'), groupIds: [group.id] },
      activate: false,
    });
    expect(okta.sim.state.groupMembers(group.id)).toContain(user.id);
    expect(okta.sim.logs.find({ targetId: user.id, eventType: 'group.user_membership.add' })).toHaveLength(1);
    const refused = await oktaError(
      client().userApi.createUser({ body: { profile: newProfile('ann.appgroup'), groupIds: [appGroup.id] } }),
    );
    expect([refused.status, refused.errorCode]).toEqual([403, 'E0000006']);
    expect(okta.sim.state.user('ann.appgroup@acme-demo.example')).toBeUndefined();
  });

  it('refuses invalid input with 400 E0000001 and the causes Okta gives', async () => {
    const duplicate = await oktaError(client().userApi.createUser({ body: { profile: newProfile('sarah.mitchell') } }));
    expect(duplicate.status).toBe(400);
    expect(duplicate.errorCode).toBe('E0000001');
    expect(duplicate.errorCauses?.map((c) => c.errorSummary)).toEqual([
      'login: An object with this field already exists in the current organization',
    ]);
    const missing = await oktaError(
      client().userApi.createUser({ body: { profile: { login: 'x.y@acme-demo.example' } as never } }),
    );
    expect(missing.errorCauses?.map((c) => c.errorSummary)).toEqual([
      'email: The field cannot be left blank',
      'firstName: The field cannot be left blank',
      'lastName: The field cannot be left blank',
    ]);
    const badLogin = await oktaError(
      client().userApi.createUser({ body: { profile: { ...newProfile('bad.login'), login: 'not-an-email' } } }),
    );
    expect(badLogin.errorSummary).toBe('Api validation failed: login');
    const weak = await oktaError(
      client().userApi.createUser({
        body: { profile: newProfile('weak.password'), credentials: { password: { value: 'short' } } },
      }),
    );
    expect(weak.errorSummary).toBe('Api validation failed: password');
    expect(okta.sim.state.user('weak.password@acme-demo.example')).toBeUndefined();
  });
});

describe('updating users', () => {
  let user: User;
  beforeAll(async () => {
    user = await client().userApi.createUser({
      body: { profile: { ...newProfile('uma.update'), title: 'Analyst', department: 'Finance', city: 'London' } },
      activate: false,
    });
  });

  it('merges a partial update (POST) into the profile and logs the changed attributes', async () => {
    const updated = await client().userApi.updateUser({
      userId: user.id ?? '',
      user: { profile: { title: 'Senior Analyst', department: 'Finance', costCenter: 'CC-400' } as never },
    });
    expect(updated.profile?.title).toBe('Senior Analyst');
    expect(updated.profile?.city).toBe('London');
    const event = okta.sim.logs.find({ targetId: user.id ?? '', eventType: 'user.account.update_profile' }).at(-1);
    expect(String(event?.debugContext.debugData.changedAttributes).split(',').sort()).toEqual(['costCenter', 'title']);
  });

  it('replaces the whole profile with PUT (unspecified attributes are removed)', async () => {
    const replaced = await client().userApi.replaceUser({
      userId: user.id ?? '',
      user: { profile: { ...newProfile('uma.update'), title: 'Manager' } },
    });
    expect(replaced.profile?.title).toBe('Manager');
    expect(replaced.profile?.city).toBeUndefined();
    const stored = okta.sim.state.user(user.id ?? '') as { profile: Record<string, unknown> };
    expect(stored.profile.city).toBeUndefined();
  });

  it('refuses to take a login another user has', async () => {
    const error = await oktaError(
      client().userApi.updateUser({
        userId: user.id ?? '',
        user: { profile: { login: 'sarah.mitchell@acme-demo.example' } as never },
      }),
    );
    expect(error.errorCode).toBe('E0000001');
  });

  it('does not log an update that changes nothing', async () => {
    const count = okta.sim.logs.find({ targetId: user.id ?? '' }).length;
    await client().userApi.updateUser({ userId: user.id ?? '', user: { profile: { title: 'Manager' } as never } });
    expect(okta.sim.logs.find({ targetId: user.id ?? '' })).toHaveLength(count);
  });
});
