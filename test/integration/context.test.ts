import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivileged, parsePolicy } from '../../lambda/domain/policy-config.ts';
import type { LogEvent } from '../../lambda/okta/event-hook.ts';
import { OktaSdkAdapter } from '../../lambda/okta/okta-sdk-adapter.ts';
import { buildContext } from '../../lambda/recommend/context.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { ROOT } from '../../local/stack.ts';
import { freshResources, testClients } from '../support/emulators.ts';
import { startTestSim, type TestSim } from '../support/okta-sim.ts';
import { groupNamed, newUser, simSettings } from '../support/okta-users.ts';

/** The context builder against the Okta simulator: what a careful admin would look at, and nothing an attacker can steer. */
let okta: TestSim;
let adapter: OktaSdkAdapter;
let audit: DynamoAuditLog;
const policy = parsePolicy(JSON.parse(readFileSync(`${ROOT}/policy/hookpilot.policy.json`, 'utf8')), 'policy');
const { documents } = testClients();

beforeAll(async () => {
  const [resources, sim] = await Promise.all([freshResources(), startTestSim()]);
  okta = sim;
  adapter = new OktaSdkAdapter(simSettings(okta));
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
});

afterAll(async () => {
  await okta?.stop();
});

const eventAbout = (userId: string, eventType = 'user.lifecycle.create'): LogEvent => ({
  uuid: `ctx-${userId}-${eventType}`,
  published: new Date().toISOString(),
  eventType,
  actor: { id: userId, type: 'User' },
  target: [{ id: userId, type: 'User' }],
});

describe('buildContext', () => {
  it('gathers the user, their manager, what peers in the same department hold, and the groups the policy names', async () => {
    const seeded = okta.sim.state
      .users()
      .find(
        (u) =>
          u.status === 'ACTIVE' &&
          (u.profile as { department?: string; managerId?: string }).department === 'Sales' &&
          (u.profile as { managerId?: string }).managerId,
      );
    const id = String(seeded?.id);
    // Besides their ordinary groups, the user holds two privileged ones (per the policy's privilegedGroups: an exact
    // name and a `*admin*` match), both sorting after `dept-sales` by name.
    const heldBefore = okta.sim.state
      .userGroups(id)
      .map((g) => String((okta.sim.state.group(g)?.profile as { name?: string } | undefined)?.name));
    expect(heldBefore).toContain('dept-sales');
    expect(heldBefore.filter((n) => isPrivileged(n, policy))).toEqual([]); // no privileged group until now
    for (const name of ['incident-responders', 'salesforce-admins']) {
      await okta.client().groupApi.assignUserToGroup({ groupId: groupNamed(okta, name), userId: id });
    }
    const context = await buildContext(
      { intent: 'joiner', event: eventAbout(id), subjectUserId: id, policy },
      { okta: adapter, audit },
    );
    expect(context?.user).toMatchObject({ id, status: 'ACTIVE', profile: { department: 'Sales' } });
    // managerId holds an employee number in this org: resolved to the manager
    const managerNumber = (seeded?.profile as { managerId?: string } | undefined)?.managerId;
    const manager = okta.sim.state
      .users()
      .find((u) => (u.profile as { employeeNumber?: string }).employeeNumber === managerNumber);
    expect(context?.manager?.id).toBe(manager?.id);
    // peers: Sales colleagues, with shares
    expect(context?.peers.basis.department).toBe('Sales');
    expect(context?.peers.sampled).toBeGreaterThan(3);
    const deptSales = context?.peers.groups.find((g) => g.name === 'dept-sales');
    expect(deptSales?.share).toBeGreaterThan(0.6);
    expect(deptSales?.holders).toBeLessThanOrEqual(context?.peers.sampled ?? 0);
    // the policy's birthright and toxic-combination groups, resolved to ids
    expect(context?.candidateGroups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['dept-sales', 'finance-approvers', 'aws-prod-admin']),
    );
    // the user's groups: the privileged ones first (by name), then the ordinary ones
    const names = context?.groups.map((g) => g.name) ?? [];
    expect(names.slice(0, 2)).toEqual(['incident-responders', 'salesforce-admins']);
    expect(names.slice(2)).toEqual(expect.arrayContaining(['Everyone', 'dept-sales']));
    expect(names.slice(2).filter((n) => isPrivileged(n, policy))).toEqual([]);
  });

  it('never lets profile text widen the peer search (Okta search syntax is escaped)', async () => {
    const { id } = await newUser(okta, 'ACTIVE', { department: 'Sales" or status eq "ACTIVE', city: 'London' });
    const context = await buildContext(
      { intent: 'joiner', event: eventAbout(id), subjectUserId: id, policy },
      { okta: adapter, audit },
    );
    expect(context?.peers.sampled).toBe(0); // nobody's department is that string
    const searches = okta.sim.requests().filter((r) => r.path === '/api/v1/users' && r.query.includes('search='));
    const last = decodeURIComponent(searches.at(-1)?.query.replace(/\+/g, ' ') ?? '');
    expect(last).toContain('profile.department eq "Sales\\" or status eq \\"ACTIVE"');
  });

  it('for a security signal: the user’s recent System Log, oldest first', async () => {
    const { id } = await newUser(okta);
    okta.sim.failSignIn(id, { count: 3, ipAddress: '203.0.113.9' });
    const context = await buildContext(
      { intent: 'security', event: eventAbout(id, 'user.session.start'), subjectUserId: id, policy },
      { okta: adapter, audit },
    );
    const failures = context?.timeline.filter((e) => e.eventType === 'user.session.start' && e.outcome === 'FAILURE');
    expect(failures).toHaveLength(3);
    expect(failures?.[0]).toMatchObject({ ipAddress: '203.0.113.9', uuid: expect.any(String) });
    expect(context?.timeline.map((e) => e.published)).toEqual(
      [...(context?.timeline.map((e) => e.published) ?? [])].sort(),
    );
  });

  it('for a mover: the profile the audit trail last recorded', async () => {
    const { id } = await newUser(okta, 'ACTIVE', { department: 'Engineering' });
    await audit.append([
      {
        correlationId: `earlier-${id}`,
        recordKey: 'recommendation',
        kind: 'recommendation.made',
        at: new Date(Date.now() - 60_000).toISOString(),
        actor: 'events-consumer',
        summary: 'an earlier recommendation',
        subjectUserId: id,
        detail: { profile: { department: 'Engineering', title: 'Engineer' } },
      },
    ]);
    const context = await buildContext(
      { intent: 'mover', event: eventAbout(id, 'user.account.update_profile'), subjectUserId: id, policy },
      { okta: adapter, audit },
    );
    expect(context?.previousProfile).toEqual({ department: 'Engineering', title: 'Engineer' });
  });

  it('for a leaver: whether each app is assigned directly or through a group', async () => {
    const { id } = await newUser(okta);
    await adapter.assignApp(String(okta.sim.state.apps().find((a) => a.label === 'DocuSign')?.id), id);
    const context = await buildContext(
      { intent: 'leaver', event: eventAbout(id, 'user.lifecycle.deactivate'), subjectUserId: id, policy },
      { okta: adapter, audit },
    );
    expect(context?.apps.find((a) => a.label === 'DocuSign')?.scope).toBe('USER');
    expect(context?.apps.find((a) => a.label === 'Slack')?.scope).toBe('GROUP');
  });

  it('answers undefined for a user who no longer exists', async () => {
    const missing = '00uDOESNOTEXIST00001';
    expect(
      await buildContext(
        { intent: 'joiner', event: eventAbout(missing), subjectUserId: missing, policy },
        { okta: adapter, audit },
      ),
    ).toBeUndefined();
    // Okta said 404 to the lookup, and nothing else was asked about that user (no groups, apps or roles).
    const about = okta.sim.requests().filter((r) => r.path.startsWith(`/api/v1/users/${missing}`));
    expect(about.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`GET /api/v1/users/${missing} 404`]);
  });
});
