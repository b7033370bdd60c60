import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ADMIN_ROLE_TYPES } from '../../lambda/domain/catalog.ts';
import { type PolicyConfig, PolicyConfigSchema, type PolicyInput } from '../../lambda/domain/policy-config.ts';
import type {
  GroupFact,
  Proposal,
  RecommendationContext,
  RecommendationResult,
  TimelineEntry,
} from '../../lambda/domain/recommendation.ts';
import { USER_STATUSES } from '../../lambda/ports.ts';
import { MAX_REMOVAL_CONFIDENCE, RulesRecommender, riskLevelOf } from '../../lambda/recommend/rules-recommender.ts';
import { validateProposals } from '../../lambda/recommend/validate.ts';
import { oktaId } from '../support/arbitraries.ts';
import { GROUPS, IDS, salesJoinerContext } from '../support/contexts.ts';

/** The rules recommender: every intent and threshold, from the Sales joiner in London and variations of it. */

const rules = new RulesRecommender();

const policy = (input: Partial<PolicyInput> = {}): PolicyConfig =>
  PolicyConfigSchema.parse({
    version: 1,
    birthright: [
      { when: { department: 'Sales' }, groups: ['dept-sales'] },
      { when: { department: 'Marketing' }, groups: ['dept-marketing'] },
      { when: { city: 'London' }, groups: ['loc-london'] },
    ],
    privilegedGroups: ['*admin*', '*Admin*', '*-owners', '*-prod-*', 'finance-approvers'],
    toxicCombinations: [['finance-approvers', 'aws-prod-admin']],
    ...input,
  });

const POLICY = policy();

const group = (id: string, name: string, type: GroupFact['type'] = 'OKTA_GROUP'): GroupFact => ({ id, name, type });
const MARKETING = {
  deptMarketing: group('00gDEPTMARKETING00001', 'dept-marketing'),
  campaigns: group('00gMKTCAMPAIGNS000001', 'mkt-campaigns'),
  brandTools: group('00gBRANDTOOLS0000001', 'brand-tools'),
  hubspotUsers: group('00gHUBSPOTAPPGROUP01', 'HubSpot Users', 'APP_GROUP'),
};

const find = (result: RecommendationResult, type: string, key?: string, value?: string): Proposal | undefined =>
  result.proposals.find((p) => p.type === type && (key === undefined || p.params[key] === value));

const summary = (result: RecommendationResult) =>
  result.proposals.map((p) => [p.type, p.params.groupId ?? p.params.appId ?? p.params.roleType ?? '', p.confidence]);

function expectWellFormed(result: RecommendationResult, context: RecommendationContext, p = POLICY) {
  expect(result.recommender).toBe('rules');
  expect(result.assessment).toMatch(/\.$/);
  for (const proposal of result.proposals) {
    expect(proposal.rationale.length).toBeGreaterThan(0);
    expect(proposal.evidence.length).toBeGreaterThan(0);
    expect(proposal.confidence).toBeGreaterThanOrEqual(0);
    expect(proposal.confidence).toBeLessThanOrEqual(1);
  }
  // The validator (catalog schema, subject, ids from the context) accepts every proposal.
  const { rejected } = validateProposals(result, context, {
    ...p,
    protected: { users: [], groups: [], membersOf: [] },
  });
  expect(rejected).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------------------

describe('joiner', () => {
  it('proposes the birthright groups (1.0) and what most peers hold (the share), citing the facts', async () => {
    const context = salesJoinerContext();
    const result = await rules.recommend(context, POLICY);
    expect(summary(result)).toEqual([
      ['group.add_member', IDS.groups.deptSales, 1],
      ['group.add_member', IDS.groups.locLondon, 1],
      ['app.assign', IDS.apps.slack, 1],
      ['app.assign', IDS.apps.salesforce, Math.round((12 / 13) * 10_000) / 10_000],
    ]);
    const sales = find(result, 'group.add_member', 'groupId', IDS.groups.deptSales);
    expect(sales?.params).toEqual({ userId: IDS.subject, groupId: IDS.groups.deptSales });
    expect(sales?.rationale).toContain('Birthright');
    expect(sales?.evidence).toEqual(
      expect.arrayContaining([
        'profile.department = "Sales"',
        'policy birthright rule #1 (department = "Sales") includes "dept-sales"',
        // the peer rule proposed the same action: its evidence is merged in
        '13 of 13 peers (department "Sales", city "London") are in "dept-sales"',
      ]),
    );
    expect(find(result, 'app.assign', 'appId', IDS.apps.salesforce)?.evidence).toContain(
      '12 of 13 peers (department "Sales", city "London") have app "Salesforce"',
    );
    expect(result.assessment).toBe(
      'New user sam.taylor@example.com (peers: department "Sales", city "London") needs 2 birthright groups and 2 groups or apps most peers hold.',
    );
    expectWellFormed(result, context);
  });

  it('uses peerShareThreshold inclusively (a share equal to it is proposed)', async () => {
    const context = salesJoinerContext();
    const at = await rules.recommend(context, policy({ birthright: [], rules: { peerShareThreshold: 12 / 13 } }));
    expect(summary(at).map(([, id]) => id)).toEqual([
      IDS.groups.deptSales,
      IDS.groups.locLondon,
      IDS.apps.slack,
      IDS.apps.salesforce,
    ]);
    const above = await rules.recommend(context, policy({ birthright: [], rules: { peerShareThreshold: 0.95 } }));
    expect(summary(above).map(([, id]) => id)).toEqual([IDS.groups.deptSales, IDS.apps.slack]);
    const low = await rules.recommend(context, policy({ birthright: [], rules: { peerShareThreshold: 0.05 } }));
    expect(find(low, 'group.add_member', 'groupId', IDS.groups.locLondon)?.confidence).toBe(
      Math.round((12 / 13) * 10_000) / 10_000,
    );
  });

  it('never proposes a privileged group, or half of a toxic combination, because peers hold it (and says so)', async () => {
    const low = policy({ birthright: [], rules: { peerShareThreshold: 0.05 } });
    // finance-approvers is privileged: held by 1 of 13 peers, it is still not inherited
    const privileged = await rules.recommend(salesJoinerContext(), low);
    expect(find(privileged, 'group.add_member', 'groupId', IDS.groups.financeApprovers)).toBeUndefined();
    expect(privileged.assessment).toContain('"finance-approvers" is held by 8% of peers but is privileged');
    expectWellFormed(privileged, salesJoinerContext(), low);

    // not privileged here, but the user holds aws-prod-admin: with it, finance-approvers is a forbidden combination
    const notPrivileged = policy({
      birthright: [],
      rules: { peerShareThreshold: 0.05 },
      privilegedGroups: ['*-owners'],
    });
    expect(
      find(
        await rules.recommend(salesJoinerContext(), notPrivileged),
        'group.add_member',
        'groupId',
        IDS.groups.financeApprovers,
      ),
    ).toBeDefined(); // (control) an ordinary group many enough peers hold is proposed
    const holdsAwsAdmin = salesJoinerContext({ groups: [GROUPS.everyone, GROUPS.awsProdAdmin] });
    const toxic = await rules.recommend(holdsAwsAdmin, notPrivileged);
    expect(find(toxic, 'group.add_member', 'groupId', IDS.groups.financeApprovers)).toBeUndefined();
    expect(toxic.assessment).toContain(
      '"finance-approvers" is held by 8% of peers but, with "aws-prod-admin", is a combination the policy forbids',
    );
  });

  it('skips what the user already holds and never touches APP_GROUP or BUILT_IN groups', async () => {
    const appGroup = group('00gSALESFORCEUSERS01', 'Salesforce Users', 'APP_GROUP');
    const context = salesJoinerContext({
      groups: [GROUPS.everyone, GROUPS.deptSales],
      apps: [{ id: IDS.apps.slack, label: 'Slack' }],
      candidateGroups: [GROUPS.locLondon, GROUPS.awsProdAdmin, GROUPS.oktaAdmins],
      peers: {
        ...salesJoinerContext().peers,
        groups: [
          { ...GROUPS.everyone, holders: 13, share: 1 },
          { ...appGroup, holders: 13, share: 1 },
          { ...GROUPS.deptSales, holders: 13, share: 1 },
        ],
      },
    });
    const result = await rules.recommend(context, POLICY);
    expect(summary(result)).toEqual([
      ['group.add_member', IDS.groups.locLondon, 1],
      ['app.assign', IDS.apps.salesforce, 0.9231],
    ]);
    expectWellFormed(result, context);
  });

  it('says so when a birthright group is missing from the context or cannot be joined', async () => {
    const p = policy({
      birthright: [{ when: { department: 'Sales' }, groups: ['dept-sales-emea', 'Everyone'] }],
    });
    const context = salesJoinerContext({ peers: { basis: {}, sampled: 0, groups: [], apps: [] } });
    const result = await rules.recommend(context, p);
    expect(result.proposals).toEqual([]);
    expect(result.assessment).toBe(
      'New user sam.taylor@example.com (no peers to compare with) already has every birthright group and everything most peers hold: no action; birthright group "dept-sales-emea" is not in the context; birthright group "Everyone" is built in.',
    );
  });

  it('matches birthright rules on every attribute of `when`', async () => {
    const p = policy({ birthright: [{ when: { department: 'Sales', city: 'Paris' }, groups: ['dept-sales'] }] });
    const result = await rules.recommend(
      salesJoinerContext({ peers: { basis: {}, sampled: 0, groups: [], apps: [] } }),
      p,
    );
    expect(result.proposals).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

/** Sam moves from Marketing to Sales: holds Marketing's groups, and the new (Sales) peers hold what Sales holds. */
function moverContext(overrides: Partial<RecommendationContext> = {}): RecommendationContext {
  const base = salesJoinerContext();
  return salesJoinerContext({
    intent: 'mover',
    event: {
      ...base.event,
      eventType: 'user.account.update_profile',
      changedAttributes: ['department', 'title'],
    },
    previousProfile: { ...base.user.profile, department: 'Marketing', title: 'Campaign Manager' },
    groups: [
      GROUPS.everyone,
      MARKETING.deptMarketing,
      MARKETING.campaigns,
      MARKETING.brandTools,
      MARKETING.hubspotUsers,
      GROUPS.locLondon,
    ],
    peers: {
      ...base.peers,
      groups: [
        { ...GROUPS.deptSales, holders: 13, share: 1 },
        { ...GROUPS.locLondon, holders: 1, share: 1 / 13 },
        { ...MARKETING.campaigns, holders: 1, share: 1 / 13 },
        { ...MARKETING.brandTools, holders: 2, share: 2 / 13 },
      ],
    },
    ...overrides,
  });
}

describe('mover', () => {
  it('adds what the new role needs and proposes removing what the new peers do not hold (capped at 0.9)', async () => {
    const context = moverContext();
    const result = await rules.recommend(context, POLICY);
    expect(summary(result)).toEqual([
      ['group.add_member', IDS.groups.deptSales, 1],
      ['app.assign', IDS.apps.slack, 1],
      ['app.assign', IDS.apps.salesforce, 0.9231],
      // held by 0 of 13 new peers, and given by the old profile's birthright rule
      ['group.remove_member', MARKETING.deptMarketing.id, MAX_REMOVAL_CONFIDENCE],
      // 1 of 13 (7.7%) is at most the 10% removal threshold: 1 − 0.077 = 0.923, capped at 0.9
      ['group.remove_member', MARKETING.campaigns.id, MAX_REMOVAL_CONFIDENCE],
    ]);
    // brand-tools (2 of 13 = 15%) stays; loc-london stays (a birthright rule for the new profile gives it, however
    // few peers hold it); HubSpot Users (APP_GROUP) and Everyone (BUILT_IN) are never touched.
    const removal = find(result, 'group.remove_member', 'groupId', MARKETING.deptMarketing.id);
    expect(removal?.rationale).toContain('profile.department changed from "Marketing" to "Sales"');
    expect(removal?.evidence).toEqual([
      '0 of 13 peers (department "Sales", city "London") are in "dept-marketing"',
      'profile.department changed from "Marketing" to "Sales"',
      'profile.title changed from "Campaign Manager" to "Account Executive"',
      'no birthright rule matching the current profile includes "dept-marketing"',
      'birthright rule #2 (department = "Marketing") gave it for the previous profile',
    ]);
    expect(result.assessment).toMatch(
      /^User sam\.taylor@example\.com moved \(profile\.department changed .*\): 3 additions for the new role and 2 groups the new peers do not hold proposed for removal\.$/,
    );
    expectWellFormed(result, context);
  });

  it('removes at exactly peerRemovalThreshold, not above it; confidence 1 − share below the cap', async () => {
    const context = moverContext();
    const at = await rules.recommend(context, policy({ rules: { peerRemovalThreshold: 2 / 13 } }));
    expect(find(at, 'group.remove_member', 'groupId', MARKETING.brandTools.id)?.confidence).toBe(
      Math.round((1 - 2 / 13) * 10_000) / 10_000,
    );
    const below = await rules.recommend(context, policy({ rules: { peerRemovalThreshold: 0.05 } }));
    expect(summary(below).filter(([type]) => type === 'group.remove_member')).toEqual([
      ['group.remove_member', MARKETING.deptMarketing.id, 0.9],
    ]);
  });

  it('removes nothing it cannot judge: no peers, or peer statistics trimmed', async () => {
    const noPeers = await rules.recommend(
      moverContext({ peers: { basis: {}, sampled: 0, groups: [], apps: [] } }),
      POLICY,
    );
    expect(noPeers.proposals.filter((p) => p.type === 'group.remove_member')).toEqual([]);
    expect(noPeers.assessment).toContain('no peers to compare with, so nothing is proposed for removal');

    const trimmed = await rules.recommend(moverContext({ truncated: ['left out 40 groups few peers hold'] }), POLICY);
    // dept-marketing is not in the (trimmed) peer statistics: absence proves nothing; mkt-campaigns is listed.
    expect(summary(trimmed).filter(([type]) => type === 'group.remove_member')).toEqual([
      ['group.remove_member', MARKETING.campaigns.id, 0.9],
    ]);
  });

  it('names only the mover attributes that changed when Okta does not list them (the record holds only those)', async () => {
    const base = moverContext();
    // What the pipeline records as the baseline: the mover attributes only, null where the profile had none.
    const { profile } = base.user;
    const context = moverContext({
      event: { ...base.event, changedAttributes: undefined },
      previousProfile: {
        department: 'Marketing',
        title: 'Campaign Manager',
        city: 'London',
        countryCode: 'GB',
        managerId: profile.managerId ?? null,
        manager: profile.manager ?? null,
        division: null,
      },
    });
    const result = await rules.recommend(context, POLICY);
    const removal = find(result, 'group.remove_member', 'groupId', MARKETING.deptMarketing.id);
    expect(removal?.evidence.filter((e) => e.startsWith('profile.'))).toEqual([
      'profile.department changed from "Marketing" to "Sales"',
      'profile.title changed from "Campaign Manager" to "Account Executive"',
    ]);
    expect(result.assessment).not.toContain('from nothing');
    expectWellFormed(result, context);
  });

  it('works without a previous profile (the rationale then says less)', async () => {
    const context = moverContext({ previousProfile: undefined });
    const result = await rules.recommend(context, POLICY);
    const removal = find(result, 'group.remove_member', 'groupId', MARKETING.deptMarketing.id);
    expect(removal?.rationale).toMatch(/^User sam\.taylor@example\.com moved; only 0% of the new peers/);
    expectWellFormed(result, context);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

function leaverContext(eventType: string, overrides: Partial<RecommendationContext> = {}): RecommendationContext {
  const base = salesJoinerContext();
  return salesJoinerContext({
    intent: 'leaver',
    event: { ...base.event, eventType },
    user: { ...base.user, status: eventType === 'user.lifecycle.suspend' ? 'SUSPENDED' : 'DEPROVISIONED' },
    groups: [GROUPS.everyone, GROUPS.deptSales, GROUPS.locLondon, GROUPS.awsProdAdmin, MARKETING.hubspotUsers],
    apps: [
      { id: IDS.apps.slack, label: 'Slack' },
      { id: IDS.apps.salesforce, label: 'Salesforce' },
    ],
    roles: [{ type: 'APP_ADMIN' }, { type: 'CUSTOM' }],
    ...overrides,
  });
}

describe('leaver', () => {
  it('deactivate: every OKTA_GROUP (0.9), the apps (0.8), admin roles (0.95); Okta itself ended the sessions', async () => {
    const context = leaverContext('user.lifecycle.deactivate');
    const result = await rules.recommend(context, POLICY);
    expect(summary(result)).toEqual([
      ['group.remove_member', IDS.groups.deptSales, 0.9],
      ['group.remove_member', IDS.groups.locLondon, 0.9],
      ['group.remove_member', IDS.groups.awsProdAdmin, 0.9],
      ['app.unassign', IDS.apps.slack, 0.8],
      ['app.unassign', IDS.apps.salesforce, 0.8],
      ['role.unassign', 'APP_ADMIN', 0.95],
    ]);
    expect(result.assessment).toBe(
      'User sam.taylor@example.com left (deactivated): 3 group memberships, 2 apps, 1 admin role proposed for removal; 1 custom role cannot be removed by hookpilot.',
    );
    expectWellFormed(result, context);
  });

  it('deactivate event for a user who is somehow still active: sessions are cleared too (1.0)', async () => {
    const base = leaverContext('user.lifecycle.deactivate');
    const context = { ...base, user: { ...base.user, status: 'ACTIVE' as const } };
    const result = await rules.recommend(context, POLICY);
    expect(find(result, 'user.clear_sessions')?.params).toEqual({ userId: IDS.subject, oauthTokens: true });
    expect(find(result, 'user.clear_sessions')?.confidence).toBe(1);
  });

  it('deactivate: an app the context marks as assigned through a group goes with the group', async () => {
    const apps = [
      { id: IDS.apps.slack, label: 'Slack', scope: 'GROUP' as const },
      { id: IDS.apps.salesforce, label: 'Salesforce', scope: 'USER' as const },
    ];
    const result = await rules.recommend(leaverContext('user.lifecycle.deactivate', { apps }), POLICY);
    expect(result.proposals.filter((p) => p.type === 'app.unassign').map((p) => p.params.appId)).toEqual([
      IDS.apps.salesforce,
    ]);
    expect(result.assessment).toContain('1 app assigned through groups go with the groups');
  });

  it('suspend: only sessions, admin roles and privileged groups (a suspension may be temporary)', async () => {
    const context = leaverContext('user.lifecycle.suspend');
    const result = await rules.recommend(context, POLICY);
    expect(summary(result)).toEqual([
      ['user.clear_sessions', '', 1],
      ['role.unassign', 'APP_ADMIN', 0.95],
      ['group.remove_member', IDS.groups.awsProdAdmin, 0.9],
    ]);
    expectWellFormed(result, context);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

function membershipContext(
  target: GroupFact,
  overrides: Partial<RecommendationContext> = {},
  share?: { holders: number; share: number },
): RecommendationContext {
  const base = salesJoinerContext();
  return salesJoinerContext({
    intent: 'membership',
    event: {
      ...base.event,
      eventType: 'group.user_membership.add',
      displayMessage: 'Add user to group membership',
      targets: [
        { id: IDS.subject, type: 'User', name: 'Sam Taylor' },
        { id: target.id, type: 'UserGroup', name: target.name },
      ],
    },
    groups: [GROUPS.everyone, GROUPS.deptSales, GROUPS.locLondon, target],
    candidateGroups: [...base.candidateGroups, target],
    peers: {
      ...base.peers,
      groups: [...base.peers.groups.filter((g) => g.id !== target.id), ...(share ? [{ ...target, ...share }] : [])],
    },
    ...overrides,
  });
}

describe('membership', () => {
  it('a privileged group few peers hold: removal, confidence 1 − share (at most 0.9)', async () => {
    const context = membershipContext(GROUPS.awsProdAdmin);
    const result = await rules.recommend(context, POLICY);
    expect(summary(result)).toEqual([['group.remove_member', IDS.groups.awsProdAdmin, 0.9]]);
    expect(result.proposals[0]?.evidence).toEqual([
      'event group.user_membership.add added user sam.taylor@example.com to "aws-prod-admin"',
      '"aws-prod-admin" matches the policy\'s privileged groups',
      '0 of 13 peers (department "Sales", city "London") are in "aws-prod-admin"',
    ]);
    expectWellFormed(result, context);

    const some = await rules.recommend(
      membershipContext(GROUPS.awsProdAdmin, {}, { holders: 4, share: 4 / 13 }),
      policy({ rules: { peerRemovalThreshold: 0.5 } }),
    );
    expect(summary(some)).toEqual([['group.remove_member', IDS.groups.awsProdAdmin, 0.6923]]);
  });

  it('a privileged group many peers hold (at or above the threshold): no action, and the assessment says why', async () => {
    const result = await rules.recommend(
      membershipContext(GROUPS.awsProdAdmin, {}, { holders: 2, share: 2 / 13 }),
      POLICY,
    );
    expect(result.proposals).toEqual([]);
    expect(result.assessment).toBe(
      'User sam.taylor@example.com was added to "aws-prod-admin"; 15% of peers hold it, above the 10% at which it looks unusual: no action.',
    );
  });

  it('a group that completes a toxic combination: removal at 0.85, citing both groups', async () => {
    const context = membershipContext(GROUPS.financeApprovers, {
      groups: [GROUPS.everyone, GROUPS.awsProdAdmin, GROUPS.financeApprovers],
    });
    const p = policy({ privilegedGroups: ['*-prod-*'] }); // finance-approvers is not privileged here
    const result = await rules.recommend(context, p);
    expect(summary(result)).toEqual([['group.remove_member', IDS.groups.financeApprovers, 0.85]]);
    expect(result.proposals[0]?.evidence).toContain('user sam.taylor@example.com is also in "aws-prod-admin"');
    expectWellFormed(result, context, p);
  });

  it('an ordinary group, an APP_GROUP, a built-in group or no group: no action', async () => {
    const ordinary = await rules.recommend(membershipContext(GROUPS.deptSales), POLICY);
    expect(ordinary.proposals).toEqual([]);
    expect(ordinary.assessment).toContain('it is not a privileged group and completes no forbidden combination');

    const appAdmins = group('00gSFADMINSAPPGRP001', 'salesforce-admins', 'APP_GROUP');
    expect((await rules.recommend(membershipContext(appAdmins), POLICY)).proposals).toEqual([]);
    expect((await rules.recommend(membershipContext(GROUPS.everyone), POLICY)).proposals).toEqual([]);

    const none = membershipContext(GROUPS.awsProdAdmin);
    const noTarget = { ...none, event: { ...none.event, targets: none.event.targets.slice(0, 1) } };
    expect((await rules.recommend(noTarget, POLICY)).proposals).toEqual([]);
  });

  it('a target group the context does not describe: no action (its id could not be validated)', async () => {
    const stranger = group(IDS.groups.elsewhere, 'org-admins');
    const context = membershipContext(stranger, { groups: [GROUPS.everyone], candidateGroups: [] });
    const result = await rules.recommend(context, POLICY);
    expect(result.proposals).toEqual([]);
    expect(result.assessment).toContain('which the context does not describe');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

const signIn = (minute: number, outcome: string, country = 'United Kingdom'): TimelineEntry => ({
  published: `2026-03-02T10:${String(minute).padStart(2, '0')}:00.000Z`,
  eventType: 'user.session.start',
  outcome,
  reason: outcome === 'FAILURE' ? 'INVALID_CREDENTIALS' : undefined,
  ipAddress: '198.51.100.7',
  country,
});

function securityContext(
  eventType: string,
  timeline: TimelineEntry[],
  event: Partial<RecommendationContext['event']> = {},
): RecommendationContext {
  const base = salesJoinerContext();
  return salesJoinerContext({
    intent: 'security',
    event: {
      ...base.event,
      eventType,
      published: '2026-03-02T10:59:00.000Z',
      outcome: 'FAILURE',
      actorId: IDS.subject,
      ...event,
    },
    timeline,
  });
}

const failures = (n: number, countries: string[] = ['United Kingdom']) =>
  Array.from({ length: n }, (_, i) => signIn(i, 'FAILURE', countries[i % countries.length]));

describe('security: failed sign-ins', () => {
  it('below failedSignInsToClearSessions: no action, with the reason', async () => {
    // 3 in the timeline + the event itself = 4 < 5
    const result = await rules.recommend(
      securityContext('user.session.start', [...failures(3), signIn(30, 'SUCCESS')]),
      POLICY,
    );
    expect(result.proposals).toEqual([]);
    expect(result.assessment).toBe(
      'Security signal user.session.start for user sam.taylor@example.com: 4 failed sign-ins in the window, below the 5 at which the policy clears sessions; no action.',
    );
  });

  it('at the threshold: clear sessions (0.85); the event counts once even when the timeline lists it', async () => {
    const context = securityContext('user.session.start', failures(4));
    const result = await rules.recommend(context, POLICY);
    expect(summary(result)).toEqual([['user.clear_sessions', '', 0.85]]);
    expect(result.proposals[0]?.evidence[0]).toBe(
      '5 failed sign-ins (user.session.start FAILURE) in the timeline window',
    );
    expectWellFormed(result, context);

    const listed = failures(4);
    const withEvent = securityContext('user.session.start', [...listed, { ...signIn(59, 'FAILURE') }]);
    expect(summary(await rules.recommend(withEvent, POLICY))).toEqual([['user.clear_sessions', '', 0.85]]);
  });

  it('at failedSignInsToSuspend: also suspend (0.7)', async () => {
    const result = await rules.recommend(securityContext('user.session.start', failures(9)), POLICY);
    expect(summary(result)).toEqual([
      ['user.clear_sessions', '', 0.85],
      ['user.suspend', '', 0.7],
    ]);
  });

  it('failures from several countries: also suspend, even below failedSignInsToSuspend', async () => {
    const result = await rules.recommend(
      securityContext('user.session.start', failures(5, ['United Kingdom', 'Brazil'])),
      POLICY,
    );
    expect(summary(result)).toEqual([
      ['user.clear_sessions', '', 0.85],
      ['user.suspend', '', 0.7],
    ]);
    expect(find(result, 'user.suspend')?.evidence).toContain('failures came from "Brazil", "United Kingdom"');
  });

  it('follows the policy’s thresholds', async () => {
    const p = policy({ rules: { failedSignInsToClearSessions: 2, failedSignInsToSuspend: 3 } });
    expect(summary(await rules.recommend(securityContext('user.session.start', failures(1)), p))).toEqual([
      ['user.clear_sessions', '', 0.85],
    ]);
    expect(summary(await rules.recommend(securityContext('user.session.start', failures(2)), p))).toEqual([
      ['user.clear_sessions', '', 0.85],
      ['user.suspend', '', 0.7],
    ]);
  });
});

describe('security: other signals', () => {
  it('user.account.lock: clear sessions (0.8) and a password reset (0.6)', async () => {
    const context = securityContext('user.account.lock', failures(2), { outcome: 'SUCCESS' });
    const result = await rules.recommend(context, POLICY);
    expect(summary(result)).toEqual([
      ['user.clear_sessions', '', 0.8],
      ['user.reset_password', '', 0.6],
    ]);
    expectWellFormed(result, context);
  });

  it('a lock after many failures keeps the stronger confidence and both rules’ evidence', async () => {
    const result = await rules.recommend(securityContext('user.account.lock', failures(6)), POLICY);
    expect(summary(result)).toEqual([
      ['user.clear_sessions', '', 0.85],
      ['user.reset_password', '', 0.6],
    ]);
    expect(find(result, 'user.clear_sessions')?.evidence).toContain('event user.account.lock (FAILURE)');
  });

  it('user.mfa.factor.reset_all: clear sessions (0.8)', async () => {
    const result = await rules.recommend(securityContext('user.mfa.factor.reset_all', []), POLICY);
    expect(summary(result)).toEqual([['user.clear_sessions', '', 0.8]]);
  });

  it('security.breached_credential.detected: clear sessions and expire the password (0.9 each)', async () => {
    const result = await rules.recommend(securityContext('security.breached_credential.detected', []), POLICY);
    expect(summary(result)).toEqual([
      ['user.clear_sessions', '', 0.9],
      ['user.expire_password', '', 0.9],
    ]);
  });

  it.each([
    ['reason', 'riskLevel=HIGH'],
    ['displayMessage', 'User risk level changed from LOW to HIGH'],
    ['reason', '{reasons=Anomalous Location, level=HIGH}'],
    ['displayMessage', 'high risk sign-in'],
  ] as const)('user.risk.* with %s %j: clear sessions (0.9) and suspend (0.6)', async (field, text) => {
    const result = await rules.recommend(securityContext('user.risk.detect', [], { [field]: text }), POLICY);
    expect(summary(result)).toEqual([
      ['user.clear_sessions', '', 0.9],
      ['user.suspend', '', 0.6],
    ]);
  });

  it.each([
    ['User risk level changed from HIGH to LOW', 'LOW'],
    ['{reasons=Anomalous Device, level=MEDIUM}', 'MEDIUM'],
    ['User risk changed', 'not stated'],
  ])('user.risk.* with %j: no action (risk %s)', async (text, level) => {
    const result = await rules.recommend(securityContext('user.risk.change', [], { displayMessage: text }), POLICY);
    expect(result.proposals).toEqual([]);
    expect(result.assessment).toContain(`the risk level is ${level}, not HIGH`);
  });

  it('reads the risk level leniently', () => {
    const event = salesJoinerContext().event;
    expect(riskLevelOf({ ...event, reason: 'Risk level: "high"', displayMessage: undefined })).toBe('HIGH');
    expect(riskLevelOf({ ...event, reason: undefined, displayMessage: undefined })).toBeUndefined();
  });

  it('another security event: no action, and the assessment says the rules have nothing for it', async () => {
    const result = await rules.recommend(securityContext('security.threat.detected', []), POLICY);
    expect(result.proposals).toEqual([]);
    expect(result.assessment).toContain('the rules have nothing for security.threat.detected');
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Properties over arbitrary contexts: deterministic, only ids from the context, never APP_GROUP/BUILT_IN changes.

const groupArb = fc.record({
  id: oktaId('00g'),
  name: fc.oneof(
    fc.constantFrom('dept-sales', 'loc-london', 'aws-prod-admin', 'Okta Admins', 'finance-approvers', 'Everyone'),
    fc.string({ maxLength: 20 }),
  ),
  type: fc.constantFrom('OKTA_GROUP', 'APP_GROUP', 'BUILT_IN') as fc.Arbitrary<GroupFact['type']>,
});
const appArb = fc.record({ id: oktaId('0oa'), label: fc.string({ maxLength: 20 }) });
const shareArb = fc.nat({ max: 20 }).map((h) => ({ holders: h, share: Math.round((h / 20) * 100) / 100 }));
const eventTypeArb = fc.constantFrom(
  'user.lifecycle.create',
  'user.lifecycle.activate',
  'user.account.update_profile',
  'user.lifecycle.deactivate',
  'user.lifecycle.suspend',
  'group.user_membership.add',
  'user.session.start',
  'user.account.lock',
  'user.mfa.factor.reset_all',
  'user.risk.detect',
  'security.breached_credential.detected',
);
const INTENT_OF: Record<string, RecommendationContext['intent']> = {
  'user.lifecycle.create': 'joiner',
  'user.lifecycle.activate': 'joiner',
  'user.account.update_profile': 'mover',
  'user.lifecycle.deactivate': 'leaver',
  'user.lifecycle.suspend': 'leaver',
  'group.user_membership.add': 'membership',
};

const contextArb = fc
  .record({
    eventType: eventTypeArb,
    status: fc.constantFrom(...USER_STATUSES),
    department: fc.constantFrom('Sales', 'Marketing', 'Engineering'),
    city: fc.constantFrom('London', 'Berlin'),
    groups: fc.uniqueArray(groupArb, { maxLength: 8, selector: (g) => g.id }),
    candidateGroups: fc.uniqueArray(groupArb, { maxLength: 4, selector: (g) => g.id }),
    peerGroups: fc.uniqueArray(fc.tuple(groupArb, shareArb), { maxLength: 8, selector: ([g]) => g.id }),
    apps: fc.uniqueArray(appArb, { maxLength: 4, selector: (a) => a.id }),
    peerApps: fc.uniqueArray(fc.tuple(appArb, shareArb), { maxLength: 4, selector: ([a]) => a.id }),
    sampled: fc.constantFrom(0, 20),
    roles: fc.subarray([...ADMIN_ROLE_TYPES, 'CUSTOM']),
    failures: fc.nat({ max: 12 }),
    countries: fc.subarray(['United Kingdom', 'Brazil', 'Japan'], { minLength: 1 }),
    riskText: fc.constantFrom('level=HIGH', 'level=LOW', 'from LOW to HIGH', ''),
    targetIndex: fc.nat({ max: 10 }),
    truncated: fc.constantFrom([], ['left out 3 groups few peers hold']),
  })
  .map((r): RecommendationContext => {
    const base = salesJoinerContext();
    const held = [...r.groups, ...r.peerGroups.map(([g]) => g)];
    const target = held[r.targetIndex % Math.max(1, held.length)];
    return {
      ...base,
      intent: INTENT_OF[r.eventType] ?? 'security',
      event: {
        ...base.event,
        eventType: r.eventType,
        outcome: 'FAILURE',
        reason: r.riskText,
        targets: [
          { id: IDS.subject, type: 'User' },
          ...(target ? [{ id: target.id, type: 'UserGroup', name: target.name }] : []),
        ],
      },
      user: {
        ...base.user,
        status: r.status,
        profile: { ...base.user.profile, department: r.department, city: r.city },
      },
      previousProfile: { ...base.user.profile, department: 'Marketing' },
      groups: r.groups,
      apps: r.apps,
      roles: r.roles.map((type) => ({ type })),
      peers: {
        basis: { department: r.department },
        sampled: r.sampled,
        groups: r.sampled ? r.peerGroups.map(([g, s]) => ({ ...g, ...s })) : [],
        apps: r.sampled ? r.peerApps.map(([a, s]) => ({ ...a, ...s })) : [],
      },
      candidateGroups: r.candidateGroups,
      timeline: failures(r.failures, r.countries),
      truncated: r.truncated,
    };
  });

const policyArb = fc
  .record({
    peerShareThreshold: fc.constantFrom(0, 0.3, 0.6, 1),
    peerRemovalThreshold: fc.constantFrom(0, 0.1, 0.5),
    failedSignInsToClearSessions: fc.nat({ max: 8 }),
    failedSignInsToSuspend: fc.nat({ max: 12 }),
  })
  .map((thresholds) =>
    policy({
      rules: thresholds,
      birthright: [
        { when: { department: 'Sales' }, groups: ['dept-sales', 'Everyone'] },
        { when: { city: 'London' }, groups: ['loc-london', 'missing-group'] },
      ],
    }),
  );

describe('properties', () => {
  test.prop([contextArb, policyArb])(
    'only catalog-shaped proposals on ids from the context, never an APP_GROUP or BUILT_IN group, deterministic',
    async (context, p) => {
      const result = await rules.recommend(context, p);
      const again = await rules.recommend(structuredClone(context), structuredClone(p));
      expect(again).toEqual(result);

      const groupTypes = new Map<string, string>();
      for (const g of [...context.groups, ...context.candidateGroups, ...context.peers.groups]) {
        if (!groupTypes.has(g.id)) groupTypes.set(g.id, g.type);
      }
      const appIds = new Set([...context.apps, ...context.peers.apps].map((a) => a.id));
      const roleTypes = new Set(context.roles.map((r) => r.type));
      for (const proposal of result.proposals) {
        expect(proposal.params.userId).toBe(context.user.id);
        const { groupId, appId, roleType } = proposal.params as Record<string, string | undefined>;
        if (groupId !== undefined) expect(groupTypes.get(groupId)).toBe('OKTA_GROUP');
        if (appId !== undefined) expect(appIds.has(appId)).toBe(true);
        if (roleType !== undefined) expect(roleTypes.has(roleType)).toBe(true);
      }
      expectWellFormed(result, context, p);
    },
  );
});
