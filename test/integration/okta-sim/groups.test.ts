import type { Client } from '@okta/okta-sdk-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, collect, oktaError, useTestSim } from '../../support/okta-sim.ts';

const okta = useTestSim();
let client: Client;

const seedGroup = (name: string) => okta.seedGroup(name);
const seedUserId = (login: string) => okta.seedUser(login).id;

beforeAll(() => {
  client = okta.client();
});

describe('listing and finding groups', () => {
  it('lists every group, with the built-in Everyone group, and pages with limit', async () => {
    const groups = await collect(client.groupApi.listGroups({ limit: 5 }));
    expect(groups).toHaveLength(okta.sim.seed.groups.length);
    const everyone = groups.find((g) => g.profile?.name === 'Everyone');
    expect(everyone?.type).toBe('BUILT_IN');
    const pages = okta.sim.requests().filter((r) => r.path === '/api/v1/groups');
    expect(pages).toHaveLength(Math.ceil(okta.sim.seed.groups.length / 5));
  });

  it('finds groups by name prefix (q), search on type and profile.name, and filter on type', async () => {
    const dept = await collect(client.groupApi.listGroups({ q: 'dept-' }));
    expect(dept.length).toBe(11);
    expect(dept.every((g) => g.profile?.name?.startsWith('dept-'))).toBe(true);
    const appGroups = await collect(client.groupApi.listGroups({ search: 'type eq "APP_GROUP"' }));
    expect(appGroups.map((g) => g.type)).toEqual(['APP_GROUP', 'APP_GROUP']);
    const named = await collect(client.groupApi.listGroups({ search: 'profile.name eq "aws-prod-admin"' }));
    expect(named.map((g) => g.id)).toEqual([seedGroup('aws-prod-admin').id]);
    const fromWorkday = await collect(
      client.groupApi.listGroups({
        search: `source.id eq "${okta.sim.seed.apps.find((a) => a.name === 'workday')?.id}"`,
      }),
    );
    expect(fromWorkday).toHaveLength(2);
    const filtered = await collect(client.groupApi.listGroups({ filter: 'type eq "OKTA_GROUP"' }));
    expect(filtered.every((g) => g.type === 'OKTA_GROUP')).toBe(true);
    expect(filtered.length).toBe(okta.sim.seed.groups.filter((g) => g.type === 'OKTA_GROUP').length);
    const refused = await oktaError(collect(client.groupApi.listGroups({ filter: 'profile.name eq "x"' })));
    expect(refused.errorCode).toBe('E0000031');
  });

  it('gets a group with Okta links, and its member counts with expand=stats', async () => {
    const group = seedGroup('finance-approvers');
    const fetched = await client.groupApi.getGroup({ groupId: group.id });
    expect(fetched.profile?.name).toBe('finance-approvers');
    const raw = await call<{ _links: Record<string, unknown>; objectClass: string[] }>(
      okta.sim,
      'GET',
      `/api/v1/groups/${group.id}`,
    );
    expect(Object.keys(raw.body._links).sort()).toEqual(['apps', 'logo', 'users']);
    expect(raw.body.objectClass).toEqual(['okta:user_group']);
    const stats = await call<{ _embedded: { stats: { usersCount: number } } }>(
      okta.sim,
      'GET',
      `/api/v1/groups/${group.id}?expand=stats`,
    );
    expect(stats.body._embedded.stats.usersCount).toBe(group.members.length);
  });

  it("lists a user's groups, always including Everyone", async () => {
    const groups = await collect(client.userApi.listUserGroups({ userId: 'victoria.sterling@acme-demo.example' }));
    const names = groups.map((g) => g.profile?.name);
    expect(names).toEqual(expect.arrayContaining(['Everyone', 'dept-finance', 'loc-london', 'finance-approvers']));
  });

  it('lists members across pages', async () => {
    const group = seedGroup('dept-engineering');
    const members = await collect(client.groupApi.listGroupUsers({ groupId: group.id, limit: 4 }));
    expect(members.map((m) => m.id).sort()).toEqual([...group.members].sort());
    const everyone = await collect(client.groupApi.listGroupUsers({ groupId: seedGroup('Everyone').id }));
    expect(everyone).toHaveLength(okta.sim.seed.users.length);
  });
});

describe('group membership', () => {
  it('adds a member (204), logs group.user_membership.add with User and UserGroup targets, and grants group apps', async () => {
    const group = seedGroup('dept-engineering');
    const userId = seedUserId('grace.kim@acme-demo.example');
    expect(okta.sim.state.userApps(userId).map((a) => a.name)).not.toContain('pagerduty');
    const response = await call(okta.sim, 'PUT', `/api/v1/groups/${group.id}/users/${userId}`);
    expect(response.status).toBe(204);
    expect(okta.sim.state.groupMembers(group.id)).toContain(userId);
    const [event] = okta.sim.logs.find({ eventType: 'group.user_membership.add', targetId: userId });
    expect(event?.target.map((t) => [t.type, t.id])).toEqual([
      ['User', userId],
      ['UserGroup', group.id],
    ]);
    expect(event?.legacyEventType).toBe('core.user_group_member.user_add');
    expect(okta.sim.state.userApps(userId)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'github', scope: 'GROUP' })]),
    );
  });

  it('treats adding an existing member as success without a second event', async () => {
    const group = seedGroup('incident-responders');
    const userId = seedUserId('daniel.okafor@acme-demo.example');
    expect(okta.sim.state.groupMembers(group.id)).toContain(userId);
    await client.groupApi.assignUserToGroup({ groupId: group.id, userId });
    await client.groupApi.assignUserToGroup({ groupId: group.id, userId });
    expect(okta.sim.logs.find({ eventType: 'group.user_membership.add', targetId: userId })).toEqual([]);
  });

  it('removes a member, logs it, and takes away apps that came only from that group', async () => {
    const group = seedGroup('aws-prod-admin');
    const userId = seedUserId('tomas.herrera@acme-demo.example');
    expect(okta.sim.state.userApps(userId).map((a) => a.name)).toContain('amazon_aws_sso');
    await client.groupApi.unassignUserFromGroup({ groupId: group.id, userId });
    expect(okta.sim.state.groupMembers(group.id)).not.toContain(userId);
    expect(okta.sim.logs.find({ eventType: 'group.user_membership.remove', targetId: userId })).toHaveLength(1);
    expect(okta.sim.state.userApps(userId).map((a) => a.name)).not.toContain('amazon_aws_sso');
    expect(okta.sim.logs.find({ eventType: 'application.user_membership.remove', targetId: userId })).toHaveLength(1);
    await client.groupApi.unassignUserFromGroup({ groupId: group.id, userId }); // not a member any more: still 204
    expect(okta.sim.logs.find({ eventType: 'group.user_membership.remove', targetId: userId })).toHaveLength(1);
  });

  it('refuses membership changes on APP_GROUP and BUILT_IN groups with 403 E0000006', async () => {
    const appGroup = okta.sim.seed.groups.find((g) => g.type === 'APP_GROUP');
    if (!appGroup) throw new Error('no APP_GROUP in the seed');
    const userId = seedUserId('grace.kim@acme-demo.example');
    for (const groupId of [appGroup.id, seedGroup('Everyone').id]) {
      const add = await oktaError(client.groupApi.assignUserToGroup({ groupId, userId }));
      expect([add.status, add.errorCode]).toEqual([403, 'E0000006']);
      const remove = await oktaError(
        client.groupApi.unassignUserFromGroup({ groupId, userId: appGroup.members[0] ?? '' }),
      );
      expect([remove.status, remove.errorCode]).toEqual([403, 'E0000006']);
    }
    expect(okta.sim.state.groupMembers(appGroup.id)).toEqual(appGroup.members);
  });

  it('answers 404 for an unknown group or user', async () => {
    const group = await oktaError(client.groupApi.assignUserToGroup({ groupId: '00g00000000000000000', userId: 'x' }));
    expect([group.status, group.errorCode]).toEqual([404, 'E0000007']);
    const user = await oktaError(
      client.groupApi.assignUserToGroup({ groupId: seedGroup('dept-it').id, userId: '00u00000000000000000' }),
    );
    expect(user.errorSummary).toContain('(User)');
  });
});

describe('creating and deleting groups', () => {
  it('creates an OKTA_GROUP, renames it, and deletes it, logging each step', async () => {
    const created = await client.groupApi.createGroup({
      group: { profile: { name: 'project-phoenix', description: 'Temp' } },
    });
    expect(created.type).toBe('OKTA_GROUP');
    const duplicate = await oktaError(client.groupApi.createGroup({ group: { profile: { name: 'Project-Phoenix' } } }));
    expect(duplicate.errorCode).toBe('E0000001');
    await client.groupApi.replaceGroup({
      groupId: created.id ?? '',
      group: { profile: { name: 'project-phoenix-2' } },
    });
    expect(okta.sim.state.group(created.id ?? '')?.profile).toMatchObject({ name: 'project-phoenix-2' });
    await client.groupApi.deleteGroup({ groupId: created.id ?? '' });
    expect(okta.sim.state.group(created.id ?? '')).toBeUndefined();
    expect(okta.sim.logs.find({ targetId: created.id ?? '' }).map((e) => e.eventType)).toEqual([
      'group.lifecycle.create',
      'group.profile.update',
      'group.lifecycle.delete',
    ]);
    const builtIn = await oktaError(client.groupApi.deleteGroup({ groupId: seedGroup('Everyone').id }));
    expect(builtIn.errorCode).toBe('E0000006');
  });
});
