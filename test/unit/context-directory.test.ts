import { describe, expect, it } from 'vitest';
import { MemoryAuditLog } from '../../eval/harness.ts';
import { type PolicyConfig, PolicyConfigSchema } from '../../lambda/domain/policy-config.ts';
import type { LogEvent } from '../../lambda/okta/event-hook.ts';
import type { OktaDirectory, OktaGroup, OktaRoleAssignment, OktaUser } from '../../lambda/ports.ts';
import { buildContext } from '../../lambda/recommend/context.ts';

/**
 * The context builder over a directory in memory: what it reads is the directory's own (two orgs never share a cached
 * peer), groups the policy names survive trimming, and a role held through a group says so.
 */

interface Org {
  users: OktaUser[];
  groups: Record<string, OktaGroup[]>;
  roles?: Record<string, OktaRoleAssignment[]>;
}

/** A directory holding one org (enough of the port for the context builder). */
function directory(org: Org): OktaDirectory {
  const all = () => Object.values(org.groups).flat();
  return {
    getUser: async (ref) => org.users.find((u) => u.id === ref || u.profile.login === ref),
    getGroup: async (id) => all().find((g) => g.id === id),
    findGroupByName: async (name) => all().find((g) => g.name === name),
    listUserGroups: async (id) => org.groups[id] ?? [],
    listAppLinks: async () => [],
    getAppAssignment: async () => undefined,
    listRoles: async (id) => org.roles?.[id] ?? [],
    searchUsers: async (search) => {
      const department = /profile\.department eq "([^"]+)"/.exec(search)?.[1];
      return org.users.filter((u) => u.profile.department === department && u.status === 'ACTIVE');
    },
    listLogEvents: async () => [],
  };
}

const user = (id: string, department: string, city = 'London'): OktaUser => ({
  id,
  status: 'ACTIVE',
  profile: { login: `${id}@example.com`, department, city },
});
const group = (n: number, name: string): OktaGroup => ({
  id: `00g${String(n).padStart(17, '0')}`,
  type: 'OKTA_GROUP',
  name,
});

const event = (userId: string): LogEvent =>
  ({
    uuid: 'a1b2c3d4-0000-4000-8000-000000000001',
    published: '2026-11-29T12:00:00.000Z',
    eventType: 'user.lifecycle.activate',
    target: [{ id: userId, type: 'User' }],
  }) as LogEvent;

const policy = (input: Record<string, unknown> = {}): PolicyConfig =>
  PolicyConfigSchema.parse({
    version: 1,
    birthright: [{ when: { city: 'London' }, groups: ['loc-london'] }],
    ...input,
  });

const SUBJECT = '00u00000000000000001';
const PEER = '00u00000000000000002';

describe('buildContext', () => {
  it('reads peers from its own directory: two orgs with the same user ids never share what a peer holds', async () => {
    const subject = user(SUBJECT, 'Sales');
    const peer = user(PEER, 'Sales');
    const sales = group(1, 'dept-sales');
    const finance = group(2, 'dept-finance');
    const one = directory({ users: [subject, peer], groups: { [PEER]: [sales] } });
    const two = directory({ users: [subject, peer], groups: { [PEER]: [finance] } });
    const input = { intent: 'joiner' as const, event: event(SUBJECT), subjectUserId: SUBJECT, policy: policy() };
    const first = await buildContext(input, { okta: one, audit: new MemoryAuditLog() });
    const second = await buildContext(input, { okta: two, audit: new MemoryAuditLog() });
    expect(first?.peers.groups.map((g) => g.name)).toEqual(['dept-sales']);
    expect(second?.peers.groups.map((g) => g.name)).toEqual(['dept-finance']);
  });

  it('keeps the groups the policy names when a user in hundreds of groups is trimmed', async () => {
    const subject = user(SUBJECT, 'Sales');
    const many = Array.from({ length: 400 }, (_, i) => group(100 + i, `deal-room-${String(i).padStart(3, '0')}`));
    const london = group(3, 'loc-london');
    const admins = group(4, 'salesforce-admins');
    const okta = directory({ users: [subject], groups: { [SUBJECT]: [...many, london, admins] } });
    const context = await buildContext(
      {
        intent: 'mover',
        event: event(SUBJECT),
        subjectUserId: SUBJECT,
        policy: policy({ privilegedGroups: ['*-admins'], context: { maxChars: 4000 } }),
      },
      { okta, audit: new MemoryAuditLog() },
    );
    const names = context?.groups.map((g) => g.name) ?? [];
    expect(names.length).toBeLessThan(402); // trimmed…
    expect(context?.truncated.join(' ')).toMatch(/of the user's groups/);
    expect(names.slice(0, 2)).toEqual(['salesforce-admins', 'loc-london']); // …privileged first, then birthright
  });

  it('says when an admin role is held through a group', async () => {
    const subject = user(SUBJECT, 'IT');
    const okta = directory({
      users: [subject],
      groups: {},
      roles: {
        [SUBJECT]: [
          { id: 'ra1', type: 'USER_ADMIN', assignmentType: 'USER' },
          { id: 'ra2', type: 'HELP_DESK_ADMIN', assignmentType: 'GROUP' },
        ],
      },
    });
    const context = await buildContext(
      { intent: 'leaver', event: event(SUBJECT), subjectUserId: SUBJECT, policy: policy() },
      { okta, audit: new MemoryAuditLog() },
    );
    expect(context?.roles).toEqual([{ type: 'USER_ADMIN' }, { type: 'HELP_DESK_ADMIN', viaGroup: true }]);
  });
});
