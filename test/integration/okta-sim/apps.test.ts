import type { Client } from '@okta/okta-sdk-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppUserSchema, AssignedAppLinkSchema } from '../../../local/okta-sim/okta-schemas.ts';
import { call, collect, oktaError, startTestSim, useTestSim } from '../../support/okta-sim.ts';

const okta = useTestSim();
let client: Client;

const app = (name: string) => okta.seedApp(name);
const userId = (login: string) => okta.seedUser(login).id;

/** The SDK types `name` only on the sign-on-mode subclasses of Application. */
const nameOf = (application: object) => (application as { name?: string }).name;

beforeAll(() => {
  client = okta.client();
});

describe('applications', () => {
  it('lists and gets apps as minimal Application objects', async () => {
    const apps = await collect(client.applicationApi.listApplications({ limit: 5 }));
    expect(apps.map((a) => a.label).sort()).toEqual(okta.sim.seed.apps.map((a) => a.label).sort());
    const slack = await client.applicationApi.getApplication({ appId: app('slack').id });
    expect([nameOf(slack), slack.signOnMode, slack.status]).toEqual(['slack', 'SAML_2_0', 'ACTIVE']);
    const q = await collect(client.applicationApi.listApplications({ q: 'Sales' }));
    expect(q.map(nameOf)).toEqual(['salesforce']);
    const forUser = await collect(
      client.applicationApi.listApplications({ filter: `user.id eq "${userId('grace.kim@acme-demo.example')}"` }),
    );
    expect(forUser.map(nameOf)).toEqual(expect.arrayContaining(['slack', 'github', 'jira']));
    expect(forUser.map(nameOf)).not.toContain('netsuite');
  });

  it('lists app users (direct and through groups) across pages, with expand=user', async () => {
    const jira = app('jira');
    const users = await collect(client.applicationApi.listApplicationUsers({ appId: jira.id, limit: 6 }));
    const expected = okta.sim.state.appAssignments(jira.id);
    expect(users.map((u) => u.id).sort()).toEqual(expected.map((a) => a.userId).sort());
    expect(new Set(users.map((u) => u.scope))).toEqual(new Set(['GROUP']));
    const raw = await call<Array<{ _embedded: { user: { id: string } }; id: string }>>(
      okta.sim,
      'GET',
      `/api/v1/apps/${jira.id}/users?expand=user&limit=2`,
    );
    expect(raw.body.map((u) => u._embedded.user.id)).toEqual(raw.body.map((u) => u.id));
  });
});

describe('assigning and unassigning users', () => {
  it('assigns a user (AppUser, scope USER), shows it in appLinks, logs it, and unassigns it', async () => {
    const netsuite = app('netsuite');
    const user = userId('grace.kim@acme-demo.example');
    const appUser = await client.applicationApi.assignUserToApplication({
      appId: netsuite.id,
      appUser: { id: user, scope: 'USER', profile: { role: 'Viewer' } },
    });
    expect([appUser.id, appUser.scope, appUser.status]).toEqual([user, 'USER', 'ACTIVE']);
    const raw = await call(okta.sim, 'GET', `/api/v1/apps/${netsuite.id}/users/${user}`);
    expect(AppUserSchema.parse(raw.body).profile).toMatchObject({ role: 'Viewer' });

    const links = await collect(client.userApi.listAppLinks({ userId: user }));
    const link = links.find((l) => l.appInstanceId === netsuite.id);
    expect(link?.appName).toBe('netsuite');
    expect(link?.appAssignmentId).toMatch(/^0ua/);

    const [event] = okta.sim.logs.find({ eventType: 'application.user_membership.add', targetId: user });
    expect(event?.target.map((t) => t.type)).toEqual(['AppInstance', 'AppUser', 'User']);
    expect(event?.target[1]?.id).toBe(link?.appAssignmentId);

    await client.applicationApi.unassignUserFromApplication({ appId: netsuite.id, userId: user });
    expect(okta.sim.state.userApps(user).map((a) => a.name)).not.toContain('netsuite');
    expect(okta.sim.logs.find({ eventType: 'application.user_membership.remove', targetId: user })).toHaveLength(1);
    const missing = await oktaError(
      client.applicationApi.unassignUserFromApplication({ appId: netsuite.id, userId: user }),
    );
    expect([missing.status, missing.errorCode]).toEqual([404, 'E0000007']);
  });

  it('treats a repeated assignment as idempotent (200, no second add event) by default', async () => {
    const docusign = app('docusign');
    const user = userId('liam.murphy@acme-demo.example');
    await client.applicationApi.assignUserToApplication({ appId: docusign.id, appUser: { id: user } });
    const again = await client.applicationApi.assignUserToApplication({ appId: docusign.id, appUser: { id: user } });
    expect(again.id).toBe(user);
    expect(okta.sim.logs.find({ eventType: 'application.user_membership.add', targetId: user })).toHaveLength(1);
  });

  it('answers 409 E0000062 for a repeated assignment when configured to', async () => {
    const strict = await startTestSim({ duplicateAppAssignment: 'conflict' });
    try {
      const c = strict.client();
      const docusign = app('docusign');
      const user = userId('liam.murphy@acme-demo.example');
      await c.applicationApi.assignUserToApplication({ appId: docusign.id, appUser: { id: user } });
      const error = await oktaError(
        c.applicationApi.assignUserToApplication({ appId: docusign.id, appUser: { id: user } }),
      );
      expect([error.status, error.errorCode]).toEqual([409, 'E0000062']);
      expect(strict.sim.schemaViolations()).toEqual([]);
    } finally {
      await strict.stop();
    }
  });

  it('turns a group-based assignment into a direct one (scope update), and refuses to unassign group-only access', async () => {
    const github = app('github');
    const user = userId('priya.nair@acme-demo.example');
    const groupOnly = await oktaError(
      client.applicationApi.unassignUserFromApplication({ appId: github.id, userId: user }),
    );
    expect([groupOnly.status, groupOnly.errorCode]).toEqual([403, 'E0000006']);
    const appUser = await client.applicationApi.assignUserToApplication({ appId: github.id, appUser: { id: user } });
    expect(appUser.scope).toBe('USER');
    expect(okta.sim.logs.find({ eventType: 'application.user_membership.update', targetId: user })).toHaveLength(1);
    expect(okta.sim.logs.find({ eventType: 'application.user_membership.add', targetId: user })).toEqual([]);
    await client.applicationApi.unassignUserFromApplication({ appId: github.id, userId: user });
    expect(okta.sim.state.userApps(user)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'github', scope: 'GROUP' })]),
    );
  });

  it('refuses to assign an app to a DEPROVISIONED user with 403 E0000117', async () => {
    const user = okta.sim.seed.users.find((u) => u.status === 'DEPROVISIONED');
    const error = await oktaError(
      client.applicationApi.assignUserToApplication({ appId: app('slack').id, appUser: { id: user?.id ?? '' } }),
    );
    expect([error.status, error.errorCode]).toEqual([403, 'E0000117']);
    expect(await collect(client.userApi.listAppLinks({ userId: user?.id ?? '' }))).toEqual([]);
  });

  it("lists a user's app links from direct and group assignments", async () => {
    const user = userId('michael.russo@acme-demo.example');
    const raw = await call<unknown[]>(okta.sim, 'GET', `/api/v1/users/${user}/appLinks`);
    const links = raw.body.map((l) => AssignedAppLinkSchema.parse(l));
    const names = links.map((l) => l.appName);
    expect(names).toEqual(expect.arrayContaining(['docusign', 'salesforce', 'slack', 'google', 'workday']));
    expect(okta.sim.state.userApps(user).find((a) => a.name === 'docusign')?.scope).toBe('USER');
    expect(links.map((l) => l.sortOrder)).toEqual(links.map((_, i) => i));
  });

  it('pages the group assignments of an app one at a time, each group once', async () => {
    // github's seed lists its groups out of id order: paging must not depend on the order they were assigned in.
    const github = app('github');
    const assignments = await collect(
      client.applicationApi.listApplicationGroupAssignments({ appId: github.id, limit: 1 }),
    );
    expect(assignments.map((a) => a.id)).toEqual([...github.groups].sort());
  });

  it('assigns and removes a group, granting and revoking the app for its members', async () => {
    const pagerduty = app('pagerduty');
    const group = okta.sim.seed.groups.find((g) => g.profile.name === 'dept-legal');
    if (!group) throw new Error('no dept-legal');
    await client.applicationApi.assignGroupToApplication({
      appId: pagerduty.id,
      groupId: group.id,
      applicationGroupAssignment: {},
    });
    for (const member of group.members)
      expect(okta.sim.state.userApps(member).map((a) => a.name)).toContain('pagerduty');
    const assignments = await collect(client.applicationApi.listApplicationGroupAssignments({ appId: pagerduty.id }));
    expect(assignments.map((a) => a.id)).toContain(group.id);
    await client.applicationApi.unassignApplicationFromGroup({ appId: pagerduty.id, groupId: group.id });
    for (const member of group.members)
      expect(okta.sim.state.userApps(member).map((a) => a.name)).not.toContain('pagerduty');
    expect(okta.sim.logs.find({ eventType: 'group.application_assignment.add', targetId: group.id })).toHaveLength(1);
  });
});
