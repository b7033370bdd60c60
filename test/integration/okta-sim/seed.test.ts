import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSeed, parseSeed, SeedError, type SeedInput, startOktaSim } from '../../../local/okta-sim/index.ts';
import { collect, startTestSim } from '../../support/okta-sim.ts';

const seed = loadSeed(undefined);

describe('the bundled seed org (local/okta-sim/seed-org.json)', () => {
  it('is a believable company: ~60 people across departments and offices, with managers', () => {
    expect(seed.users.length).toBeGreaterThanOrEqual(55);
    const departments = new Set(seed.users.map((u) => u.profile.department));
    for (const d of ['Engineering', 'Product', 'Sales', 'Marketing', 'Finance', 'People', 'IT', 'Security', 'Legal']) {
      expect(departments).toContain(d);
    }
    expect(new Set(seed.users.map((u) => u.profile.city))).toEqual(
      new Set(['London', 'New York', 'San Francisco', 'Berlin', 'Singapore']),
    );
    const employeeNumbers = new Set(seed.users.map((u) => u.profile.employeeNumber));
    const withoutManager = seed.users.filter((u) => !u.profile.managerId);
    expect(withoutManager.map((u) => u.profile.title)).toEqual(['Chief Executive Officer']);
    for (const u of seed.users) if (u.profile.managerId) expect(employeeNumbers).toContain(u.profile.managerId);
    expect(seed.users.filter((u) => String(u.profile.title).startsWith('Chief')).length).toBeGreaterThanOrEqual(5);
  });

  it('has users in every status, privileged groups, app groups, group-assigned apps and admin roles', () => {
    const statuses = new Set(seed.users.map((u) => u.status));
    for (const s of [
      'ACTIVE',
      'STAGED',
      'PROVISIONED',
      'SUSPENDED',
      'DEPROVISIONED',
      'LOCKED_OUT',
      'RECOVERY',
      'PASSWORD_EXPIRED',
    ]) {
      expect(statuses).toContain(s);
    }
    const names = seed.groups.map((g) => g.profile.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'dept-engineering',
        'loc-london',
        'aws-prod-admin',
        'Okta Admins',
        'finance-approvers',
        'github-org-owners',
      ]),
    );
    expect(seed.groups.filter((g) => g.type === 'APP_GROUP').length).toBeGreaterThanOrEqual(1);
    expect(seed.apps.map((a) => a.label)).toEqual(
      expect.arrayContaining([
        'Slack',
        'GitHub Enterprise Cloud',
        'Google Workspace',
        'Salesforce',
        'Jira Software Cloud',
        'AWS IAM Identity Center',
        'Workday',
      ]),
    );
    expect(seed.apps.filter((a) => a.groups.length > 0).length).toBeGreaterThan(5);
    const superAdmins = seed.adminRoles.filter((r) => r.type === 'SUPER_ADMIN' && r.userId);
    expect(superAdmins.length).toBeGreaterThanOrEqual(1);
    expect(superAdmins.length).toBeLessThanOrEqual(2);
    for (const r of superAdmins) expect(seed.users.find((u) => u.id === r.userId)?.profile.department).toBe('IT');
    expect(seed.adminRoles.map((r) => r.type)).toEqual(expect.arrayContaining(['USER_ADMIN', 'HELP_DESK_ADMIN']));
  });

  it("uses Okta's 20-character id formats", () => {
    for (const u of seed.users) expect(u.id).toMatch(/^00u[0-9A-Za-z]{17}$/);
    for (const g of seed.groups) expect(g.id).toMatch(/^00g[0-9A-Za-z]{17}$/);
    for (const a of seed.apps) expect(a.id).toMatch(/^0oa[0-9A-Za-z]{17}$/);
  });
});

const tiny: SeedInput = {
  org: { name: 'Tiny Co' },
  apiToken: { id: '00T0000000000000tiny', name: 'test', ownerId: '00u00000000000000001' },
  users: [
    {
      id: '00u00000000000000001',
      profile: { login: 'ada@tiny.example', email: 'ada@tiny.example', firstName: 'Ada', lastName: 'Admin' },
    },
    {
      id: '00u00000000000000002',
      status: 'STAGED',
      profile: { login: 'bob@tiny.example', email: 'bob@tiny.example', firstName: 'Bob', lastName: 'New' },
    },
  ],
  groups: [{ id: '00g00000000000000001', profile: { name: 'staff' }, members: ['00u00000000000000001'] }],
  apps: [
    {
      id: '0oa00000000000000001',
      name: 'wiki',
      label: 'Wiki',
      signOnMode: 'BOOKMARK',
      groups: ['00g00000000000000001'],
    },
  ],
};

describe('custom seeds', () => {
  it('starts from a seed object, adding the built-in Everyone group', async () => {
    const okta = await startTestSim({ seed: tiny });
    try {
      const users = await collect(okta.client().userApi.listUsers({}));
      expect(users.map((u) => u.profile?.login).sort()).toEqual(['ada@tiny.example', 'bob@tiny.example']);
      const groups = await collect(okta.client().groupApi.listGroups({}));
      expect(groups.map((g) => [g.profile?.name, g.type])).toEqual([
        ['Everyone', 'BUILT_IN'],
        ['staff', 'OKTA_GROUP'],
      ]);
      expect(okta.sim.state.userApps('ada@tiny.example').map((a) => a.name)).toEqual(['wiki']);
      expect(okta.sim.schemaViolations()).toEqual([]);
    } finally {
      await okta.stop();
    }
  });

  it('starts from a seed file path', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'okta-sim-')), 'org.json');
    writeFileSync(path, JSON.stringify(tiny));
    const sim = await startOktaSim({ seed: path });
    try {
      expect(sim.state.users()).toHaveLength(2);
    } finally {
      await sim.stop();
    }
  });

  it('rejects an invalid seed with every problem and where it is', () => {
    const bad = structuredClone(tiny) as {
      users: Array<Record<string, unknown>>;
      groups: Array<Record<string, unknown>>;
    };
    bad.users.push({
      id: 'user-3',
      profile: { login: 'ada@tiny.example', email: 'nope', firstName: 'A', lastName: 'B' },
    });
    let error: unknown;
    try {
      parseSeed(bad, 'test seed');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SeedError);
    const message = (error as Error).message;
    expect(message).toContain('Invalid Okta simulator seed (test seed)');
    expect(message).toContain('users[2].id: must be an Okta user id');
    expect(message).toContain('users[2].profile.email');
  });

  it('reports cross-reference problems (duplicate logins, unknown members)', () => {
    const bad = structuredClone(tiny) as {
      users: Array<Record<string, unknown>>;
      groups: Array<Record<string, unknown>>;
    };
    bad.users.push({
      id: '00u00000000000000004',
      profile: { login: 'ADA@tiny.example', email: 'a@b.co', firstName: 'A', lastName: 'B' },
    });
    (bad.groups[0] as { members: string[] }).members.push('00u0000000000000nope');
    expect(() => parseSeed(bad)).toThrow(/users\[2\]\.profile\.login: login ADA@tiny\.example is also users\[0\]/);
    expect(() => parseSeed(bad)).toThrow(/groups\[0\]\.members\[1\]: no user with id 00u0000000000000nope/);
  });

  it('names the file when it is missing or not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okta-sim-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "org": ');
    await expect(startOktaSim({ seed: broken })).rejects.toThrow(
      `The Okta simulator seed file ${broken} is not valid JSON`,
    );
    await expect(startOktaSim({ seed: join(dir, 'missing.json') })).rejects.toThrow(
      /Cannot read the Okta simulator seed file/,
    );
  });
});
