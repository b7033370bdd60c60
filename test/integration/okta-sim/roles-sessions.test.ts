import type { Client } from '@okta/okta-sdk-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RoleAssignmentSchema } from '../../../local/okta-sim/okta-schemas.ts';
import { call, collect, oktaError, useTestSim } from '../../support/okta-sim.ts';

const okta = useTestSim();
let client: Client;
const userId = (login: string) => okta.seedUser(login).id;
type Role = { id: string; type: string; assignmentType: string; label: string };

beforeAll(() => {
  client = okta.client();
});

describe('admin roles', () => {
  it("lists a user's roles, direct and through a group", async () => {
    const roles = await call<Role[]>(
      okta.sim,
      'GET',
      `/api/v1/users/${userId('sarah.mitchell@acme-demo.example')}/roles`,
    );
    expect(roles.body.map((r) => [r.type, r.assignmentType]).sort()).toEqual([
      ['ORG_ADMIN', 'GROUP'],
      ['SUPER_ADMIN', 'USER'],
    ]);
    for (const role of roles.body) RoleAssignmentSchema.parse(role);
    const viaSdk = await collect(
      client.roleAssignmentApi.listAssignedRolesForUser({ userId: userId('julia.novak@acme-demo.example') }),
    );
    expect(viaSdk.map((r) => r.type).sort()).toEqual(['READ_ONLY_ADMIN', 'REPORT_ADMIN']);
  });

  it('assigns a role (201), refuses the same role again (409 E0000090), and unassigns it (204)', async () => {
    const user = userId('connor.walsh@acme-demo.example');
    const assigned = await client.roleAssignmentApi.assignRoleToUser({
      userId: user,
      assignRoleRequest: { type: 'USER_ADMIN' },
    });
    expect(assigned.type).toBe('USER_ADMIN');
    expect(assigned.label).toBe('Group Administrator');
    const grant = okta.sim.logs.find({ eventType: 'user.account.privilege.grant', targetId: user });
    expect(grant).toHaveLength(1);
    expect(grant[0]?.debugContext.debugData.privilegeGranted).toBe('Group Administrator');

    const duplicate = await oktaError(
      client.roleAssignmentApi.assignRoleToUser({ userId: user, assignRoleRequest: { type: 'USER_ADMIN' } }),
    );
    expect([duplicate.status, duplicate.errorCode]).toEqual([409, 'E0000090']);

    await client.roleAssignmentApi.unassignRoleFromUser({ userId: user, roleId: assigned.id ?? '' });
    expect(okta.sim.state.roles(user).map((r) => r.type)).toEqual(['HELP_DESK_ADMIN']);
    expect(okta.sim.logs.find({ eventType: 'user.account.privilege.revoke', targetId: user })).toHaveLength(1);
    const gone = await oktaError(
      client.roleAssignmentApi.unassignRoleFromUser({ userId: user, roleId: assigned.id ?? '' }),
    );
    expect([gone.status, gone.errorCode]).toEqual([404, 'E0000007']);
  });

  it('returns 201 with the assignment over raw HTTP, and 400 E0000001 for an unknown role type', async () => {
    const user = userId('ben.foster@acme-demo.example');
    const created = await call<Role>(okta.sim, 'POST', `/api/v1/users/${user}/roles`, {
      body: { type: 'HELP_DESK_ADMIN' },
    });
    expect(created.status).toBe(201);
    const one = await call<Role>(okta.sim, 'GET', `/api/v1/users/${user}/roles/${created.body.id}`);
    expect(one.body).toEqual(created.body);
    const bad = await call<{ errorCode: string }>(okta.sim, 'POST', `/api/v1/users/${user}/roles`, {
      body: { type: 'KING_OF_EVERYTHING' },
    });
    expect([bad.status, bad.body.errorCode]).toEqual([400, 'E0000001']);
  });

  it('cannot remove a group-granted role through the user', async () => {
    const user = userId('james.carter@acme-demo.example');
    const viaGroup = okta.sim.state.roles(user).find((r) => r.assignmentType === 'GROUP');
    const error = await oktaError(
      client.roleAssignmentApi.unassignRoleFromUser({ userId: user, roleId: String(viaGroup?.id) }),
    );
    expect(error.status).toBe(404);
  });
});

describe('sessions', () => {
  it('clears sessions (204) and logs user.session.clear', async () => {
    const user = userId('grace.kim@acme-demo.example');
    expect(okta.sim.signIn(user).result).toBe('SUCCESS');
    expect(okta.sim.signIn(user).result).toBe('SUCCESS');
    expect(okta.sim.state.sessions(user)).toBe(2);
    const start = okta.sim.logs.find({ eventType: 'user.session.start', actorId: user });
    expect(start.map((e) => e.outcome.result)).toEqual(['SUCCESS', 'SUCCESS']);
    expect((await client.userApi.getUser({ userId: user })).lastLogin).not.toBeNull();

    await client.userApi.revokeUserSessions({ userId: user });
    expect(okta.sim.state.sessions(user)).toBe(0);
    const [clear] = okta.sim.logs.find({ eventType: 'user.session.clear', targetId: user });
    expect(clear?.actor.id).toBe(okta.sim.seed.apiToken.ownerId);
    expect(clear?.transaction.detail).toEqual({ requestApiTokenId: okta.sim.seed.apiToken.id });
  });

  it('answers 404 for an unknown user', async () => {
    const error = await oktaError(client.userApi.revokeUserSessions({ userId: '00u00000000000000000' }));
    expect([error.status, error.errorCode]).toEqual([404, 'E0000007']);
  });
});
