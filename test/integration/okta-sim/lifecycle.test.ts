import type { Client } from '@okta/okta-sdk-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UserStatus } from '../../../local/okta-sim/index.ts';
import { call, oktaError, useTestSim } from '../../support/okta-sim.ts';

/**
 * Every lifecycle operation from every status (docs/okta-protocol.md §3.1 and the choices in docs/okta-simulator.md),
 * through the SDK. Each user is brought to its starting status through the API itself (and the control API for
 * LOCKED_OUT).
 */

type Operation =
  | 'activate'
  | 'reactivate'
  | 'deactivate'
  | 'suspend'
  | 'unsuspend'
  | 'unlock'
  | 'expire_password'
  | 'reset_password'
  | 'reset_factors'
  | 'delete';

const STATUSES: UserStatus[] = [
  'STAGED',
  'PROVISIONED',
  'ACTIVE',
  'RECOVERY',
  'LOCKED_OUT',
  'PASSWORD_EXPIRED',
  'SUSPENDED',
  'DEPROVISIONED',
];

/** status the operation leads to, from each status it is allowed in; `gone` = deleted. Written out, not derived. */
const VALID: Record<Operation, Partial<Record<UserStatus, UserStatus | 'gone'>>> = {
  activate: { STAGED: 'PROVISIONED', DEPROVISIONED: 'PROVISIONED' },
  reactivate: { PROVISIONED: 'PROVISIONED', RECOVERY: 'PROVISIONED' },
  deactivate: {
    STAGED: 'DEPROVISIONED',
    PROVISIONED: 'DEPROVISIONED',
    ACTIVE: 'DEPROVISIONED',
    RECOVERY: 'DEPROVISIONED',
    LOCKED_OUT: 'DEPROVISIONED',
    PASSWORD_EXPIRED: 'DEPROVISIONED',
    SUSPENDED: 'DEPROVISIONED',
  },
  suspend: { ACTIVE: 'SUSPENDED' },
  unsuspend: { SUSPENDED: 'ACTIVE' },
  unlock: { LOCKED_OUT: 'ACTIVE', ACTIVE: 'ACTIVE' },
  expire_password: {
    ACTIVE: 'PASSWORD_EXPIRED',
    PASSWORD_EXPIRED: 'PASSWORD_EXPIRED',
    LOCKED_OUT: 'PASSWORD_EXPIRED',
    RECOVERY: 'PASSWORD_EXPIRED',
  },
  reset_password: { ACTIVE: 'RECOVERY', RECOVERY: 'RECOVERY', PASSWORD_EXPIRED: 'RECOVERY', LOCKED_OUT: 'RECOVERY' },
  reset_factors: {
    PROVISIONED: 'PROVISIONED',
    ACTIVE: 'ACTIVE',
    RECOVERY: 'RECOVERY',
    LOCKED_OUT: 'LOCKED_OUT',
    PASSWORD_EXPIRED: 'PASSWORD_EXPIRED',
    SUSPENDED: 'SUSPENDED',
  },
  delete: {
    STAGED: 'DEPROVISIONED',
    PROVISIONED: 'DEPROVISIONED',
    ACTIVE: 'DEPROVISIONED',
    RECOVERY: 'DEPROVISIONED',
    LOCKED_OUT: 'DEPROVISIONED',
    PASSWORD_EXPIRED: 'DEPROVISIONED',
    SUSPENDED: 'DEPROVISIONED',
    DEPROVISIONED: 'gone',
  },
};

/** The error code for an operation refused in the user's status. */
const REFUSAL: Record<Operation, string> = {
  activate: 'E0000016',
  reactivate: 'E0000038',
  deactivate: 'E0000038',
  suspend: 'E0000038',
  unsuspend: 'E0000038',
  unlock: 'E0000032',
  expire_password: 'E0000038',
  reset_password: 'E0000038',
  reset_factors: 'E0000038',
  delete: 'E0000038',
};

/** The System Log event a successful operation writes (null: none, e.g. unlocking an ACTIVE user). */
const EVENT: Record<Operation, (from: UserStatus) => string | null> = {
  activate: () => 'user.lifecycle.activate',
  reactivate: () => 'user.lifecycle.reactivate',
  deactivate: () => 'user.lifecycle.deactivate',
  suspend: () => 'user.lifecycle.suspend',
  unsuspend: () => 'user.lifecycle.unsuspend',
  unlock: (from) => (from === 'LOCKED_OUT' ? 'user.account.unlock_by_admin' : null),
  expire_password: () => 'user.account.expire_password',
  reset_password: () => 'user.account.reset_password',
  reset_factors: () => null, // fresh users have no factors: nothing to reset
  delete: (from) => (from === 'DEPROVISIONED' ? 'user.lifecycle.delete.completed' : 'user.lifecycle.deactivate'),
};

const okta = useTestSim({ rateLimits: { users: 10_000 }, lockoutAttempts: 3 });
let client: Client;
let counter = 0;

beforeAll(() => {
  client = okta.client();
});

/** A new user, brought to `status` through the API. */
async function userIn(status: UserStatus): Promise<string> {
  counter += 1;
  const name = `life.${status.toLowerCase().replace('_', '')}${counter}`;
  const profile = {
    login: `${name}@acme-demo.example`,
    email: `${name}@acme-demo.example`,
    firstName: 'Life',
    lastName: `Cycle${counter}`,
  };
  const withPassword = { profile, credentials: { password: { value: `Lifecycle-Pa55-${counter}` } } };
  if (status === 'STAGED') return (await client.userApi.createUser({ body: { profile }, activate: false })).id ?? '';
  if (status === 'PROVISIONED') return (await client.userApi.createUser({ body: { profile } })).id ?? '';
  const id = (await client.userApi.createUser({ body: withPassword })).id ?? '';
  if (status === 'RECOVERY') await client.userApi.generateResetPasswordToken({ userId: id, sendEmail: false });
  if (status === 'LOCKED_OUT') expect(okta.sim.failSignIn(id, { count: 3 }).locked).toBe(true);
  if (status === 'PASSWORD_EXPIRED') await client.userApi.expirePassword({ userId: id });
  if (status === 'SUSPENDED') await client.userApi.suspendUser({ userId: id });
  if (status === 'DEPROVISIONED') await client.userApi.deactivateUser({ userId: id });
  const user = await client.userApi.getUser({ userId: id });
  expect(user.status).toBe(status);
  return id;
}

function run(operation: Operation, userId: string): Promise<unknown> {
  switch (operation) {
    case 'activate':
      return client.userApi.activateUser({ userId, sendEmail: false });
    case 'reactivate':
      return client.userApi.reactivateUser({ userId, sendEmail: false });
    case 'deactivate':
      return client.userApi.deactivateUser({ userId });
    case 'suspend':
      return client.userApi.suspendUser({ userId });
    case 'unsuspend':
      return client.userApi.unsuspendUser({ userId });
    case 'unlock':
      return client.userApi.unlockUser({ userId });
    case 'expire_password':
      return client.userApi.expirePassword({ userId });
    case 'reset_password':
      return client.userApi.generateResetPasswordToken({ userId, sendEmail: false });
    case 'reset_factors':
      return client.userApi.resetFactors({ userId });
    case 'delete':
      return client.userApi.deleteUser({ userId });
  }
}

const cases = (Object.keys(VALID) as Operation[]).flatMap((operation) =>
  STATUSES.map((from) => ({ operation, from, to: VALID[operation][from] })),
);

describe('valid transitions', () => {
  it.each(cases.filter((c) => c.to !== undefined))('$operation from $from → $to', async ({ operation, from, to }) => {
    const userId = await userIn(from);
    const before = okta.sim.logs.all().length;
    await run(operation, userId);
    if (to === 'gone') {
      const error = await oktaError(client.userApi.getUser({ userId }));
      expect(error.status).toBe(404);
    } else {
      const user = await client.userApi.getUser({ userId });
      expect(user.status).toBe(to);
      expect(user.transitioningToStatus).toBeNull();
      if (to !== from)
        expect((user.statusChanged as unknown as Date).getTime()).toBeGreaterThanOrEqual(Date.now() - 5000);
    }
    const written = okta.sim.logs
      .all()
      .slice(before)
      .filter((e) => e.target.some((t) => t.id === userId))
      .map((e) => e.eventType);
    const expected = EVENT[operation](from);
    if (expected) expect(written).toContain(expected);
    else expect(written).toEqual([]);
  });
});

describe('invalid transitions', () => {
  it.each(cases.filter((c) => c.to === undefined))('$operation from $from is refused', async ({ operation, from }) => {
    const userId = await userIn(from);
    const before = okta.sim.logs.all().length;
    const error = await oktaError(run(operation, userId));
    expect(error.status).toBe(403);
    expect(error.errorCode).toBe(REFUSAL[operation]);
    expect(error.errorId).toMatch(/^oae/);
    expect((await client.userApi.getUser({ userId })).status).toBe(from);
    expect(okta.sim.logs.all().slice(before)).toEqual([]);
  });
});

describe('details of the transitions', () => {
  it('activates a STAGED user who has a password straight to ACTIVE, setting activated', async () => {
    const name = 'staged.withpassword';
    const user = await client.userApi.createUser({
      body: {
        profile: {
          login: `${name}@acme-demo.example`,
          email: `${name}@acme-demo.example`,
          firstName: 'S',
          lastName: 'P',
        },
        credentials: { password: { value: 'Staged-Pa55word' } },
      },
      activate: false,
    });
    expect(user.status).toBe('STAGED');
    const token = await client.userApi.activateUser({ userId: user.id ?? '', sendEmail: false });
    expect(token.activationUrl).toMatch(/^http/);
    const active = await client.userApi.getUser({ userId: user.id ?? '' });
    expect(active.status).toBe('ACTIVE');
    expect(active.activated).not.toBeNull();
  });

  it('returns an empty activation object when the email is sent, a reset link only when it is not', async () => {
    const id = await userIn('STAGED');
    const sent = await call<Record<string, unknown>>(
      okta.sim,
      'POST',
      `/api/v1/users/${id}/lifecycle/activate?sendEmail=true`,
    );
    expect(sent.body).toEqual({});
    const active = await userIn('ACTIVE');
    const link = await client.userApi.generateResetPasswordToken({ userId: active, sendEmail: false });
    expect(link.resetPasswordUrl).toContain('/reset_password/');
  });

  it('requires sendEmail on reset_password', async () => {
    const id = await userIn('ACTIVE');
    const response = await call<{ errorCode: string }>(
      okta.sim,
      'POST',
      `/api/v1/users/${id}/lifecycle/reset_password`,
    );
    expect(response.status).toBe(400);
    expect(response.body.errorCode).toBe('E0000028');
    expect((await client.userApi.getUser({ userId: id })).status).toBe('ACTIVE');
  });

  it('resets enrolled factors (and logs it) only when there are some', async () => {
    const seeded = okta.sim.seed.users.find((u) => u.status === 'ACTIVE' && u.factors.length > 0);
    if (!seeded) throw new Error('no seed user with factors');
    const links = await call<{ _links: Record<string, unknown> }>(okta.sim, 'GET', `/api/v1/users/${seeded.id}`);
    expect(links.body._links).toHaveProperty('resetFactors');
    await client.userApi.resetFactors({ userId: seeded.id });
    expect(okta.sim.state.factors(seeded.id)).toEqual([]);
    expect(okta.sim.logs.find({ targetId: seeded.id, eventType: 'user.mfa.factor.reset_all' })).toHaveLength(1);
    const after = await call<{ _links: Record<string, unknown> }>(okta.sim, 'GET', `/api/v1/users/${seeded.id}`);
    expect(after.body._links).not.toHaveProperty('resetFactors');
  });

  it('expire_password_with_temp_password returns a temporary password', async () => {
    // SDK 8.1.0 deserializes this response as a User and drops `tempPassword`: read it raw.
    const id = await userIn('ACTIVE');
    const result = await call<{ tempPassword: string }>(
      okta.sim,
      'POST',
      `/api/v1/users/${id}/lifecycle/expire_password_with_temp_password`,
    );
    expect(result.body.tempPassword).toMatch(/\S{8,}/);
    expect((await client.userApi.getUser({ userId: id })).status).toBe('PASSWORD_EXPIRED');
    const other = await userIn('ACTIVE');
    await client.userApi.expirePasswordAndGetTemporaryPassword({ userId: other });
    expect((await client.userApi.getUser({ userId: other })).status).toBe('PASSWORD_EXPIRED');
  });

  it('advertises in _links exactly the lifecycle operations the status allows', async () => {
    const linkFor: Partial<Record<Operation, string>> = {
      activate: 'activate',
      reactivate: 'reactivate',
      deactivate: 'deactivate',
      suspend: 'suspend',
      unsuspend: 'unsuspend',
      expire_password: 'expirePassword',
      reset_password: 'resetPassword',
    };
    for (const status of STATUSES) {
      const id = await userIn(status);
      const { body } = await call<{ _links: Record<string, unknown> }>(okta.sim, 'GET', `/api/v1/users/${id}`);
      for (const [operation, link] of Object.entries(linkFor) as Array<[Operation, string]>) {
        expect(link in body._links, `${link} link for a ${status} user`).toBe(VALID[operation][status] !== undefined);
      }
      expect('unlock' in body._links).toBe(status === 'LOCKED_OUT');
    }
  });

  it('locks an ACTIVE user after the configured failed sign-ins, and the end user can finish each credential flow', async () => {
    const id = await userIn('ACTIVE');
    expect(okta.sim.failSignIn(id, { count: 2 }).locked).toBe(false);
    expect(okta.sim.failSignIn(id).locked).toBe(true);
    expect(okta.sim.logs.find({ targetId: id, eventType: 'user.account.lock' })).toHaveLength(1);
    expect(okta.sim.signIn(id)).toEqual({ result: 'FAILURE', reason: 'LOCKED_OUT' });
    for (const status of ['PROVISIONED', 'RECOVERY', 'PASSWORD_EXPIRED'] as const) {
      const user = await userIn(status);
      okta.sim.completePasswordFlow(user);
      expect((await client.userApi.getUser({ userId: user })).status).toBe('ACTIVE');
    }
  });

  it('deactivation removes direct app assignments for good; reactivation restores only group-based apps', async () => {
    const id = await userIn('ACTIVE');
    const slack = okta.sim.seed.apps.find((a) => a.name === 'slack');
    const docusign = okta.sim.seed.apps.find((a) => a.name === 'docusign');
    if (!slack || !docusign) throw new Error('seed apps missing');
    await client.applicationApi.assignUserToApplication({ appId: docusign.id, appUser: { id } });
    expect(
      okta.sim.state
        .userApps(id)
        .map((a) => a.name)
        .sort(),
    ).toEqual(expect.arrayContaining(['docusign', 'slack']));
    await client.userApi.deactivateUser({ userId: id });
    expect(okta.sim.state.userApps(id)).toEqual([]);
    expect(
      okta.sim.logs.find({ targetId: id, eventType: 'application.user_membership.remove' }).length,
    ).toBeGreaterThan(1);
    await client.userApi.activateUser({ userId: id, sendEmail: false });
    const apps = okta.sim.state.userApps(id).map((a) => a.name);
    expect(apps).toContain('slack');
    expect(apps).not.toContain('docusign');
  });
});
