import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  ACTION_TYPES,
  type Action,
  ActionSchema,
  ADMIN_ROLE_TYPES,
  RISK_LEVELS,
  riskOf,
} from '../../lambda/domain/catalog.ts';
import { INTENTS } from '../../lambda/domain/intent.ts';
import {
  DEFAULT_POLICY,
  matchesName,
  type PolicyConfig,
  PolicyConfigSchema,
  type PolicyInput,
} from '../../lambda/domain/policy-config.ts';
import type {
  Decision,
  Proposal,
  RecommendationContext,
  RecommendationResult,
  RejectedProposal,
  ValidProposal,
} from '../../lambda/domain/recommendation.ts';
import { decide } from '../../lambda/policy/decide.ts';
import type { ModelAction } from '../../lambda/recommend/model-output.ts';
import { validateProposals } from '../../lambda/recommend/validate.ts';
import {
  COMPROMISED_CATEGORIES,
  type CompromisedCategory,
  compromisedRecommendation,
  NONEXISTENT_IDS,
  OFF_CATALOG_TYPES,
} from '../../local/openai-stub/compromised.ts';
import { policyCore, runMode, unitInterval } from '../support/arbitraries.ts';
import { GROUPS, IDS, LOGINS, salesJoinerContext } from '../support/contexts.ts';

const S = IDS.subject;
const G = IDS.groups;
const A = IDS.apps;

const policyOf = (input: Omit<PolicyInput, 'version'> = {}): PolicyConfig =>
  PolicyConfigSchema.parse({ version: 1, ...input });

const proposal = (type: string, params: unknown, extra: Partial<Record<keyof Proposal, unknown>> = {}): Proposal =>
  ({ type, params, confidence: 0.9, rationale: 'peers hold it', evidence: ['13 of 13 peers'], ...extra }) as Proposal;

const resultOf = (proposals: readonly unknown[]): RecommendationResult => ({
  recommender: 'llm',
  assessment: 'a Sales joiner in London',
  proposals: proposals as Proposal[],
});

const run = (
  proposals: readonly unknown[],
  {
    context = salesJoinerContext(),
    policy = DEFAULT_POLICY,
  }: { context?: RecommendationContext; policy?: PolicyConfig } = {},
) => validateProposals(resultOf(proposals), context, policy);

/** Validates one proposal: its rejection reason, or undefined when it is valid. */
const reasonFor = (p: unknown, options?: Parameters<typeof run>[1]) => {
  const { valid, rejected } = run([p], options);
  expect(valid.length + rejected.length).toBe(1);
  return rejected[0]?.reason;
};

describe('validateProposals: what passes', () => {
  it('accepts a catalog action on the subject and a context group, with its catalog risk', () => {
    const { valid, rejected } = run([proposal('group.add_member', { userId: S, groupId: G.deptSales })]);
    expect(rejected).toEqual([]);
    expect(valid).toEqual([
      {
        action: { type: 'group.add_member', params: { userId: S, groupId: G.deptSales } },
        risk: 'low',
        confidence: 0.9,
        rationale: 'peers hold it',
        evidence: ['13 of 13 peers'],
      },
    ]);
  });

  it.each([
    ['the user’s own groups', G.deptSales, salesJoinerContext({ groups: [GROUPS.everyone, GROUPS.deptSales] })],
    ['peer groups', G.locLondon, undefined],
    ['candidate groups', G.awsProdAdmin, undefined],
  ])('accepts group ids from %s', (_where, groupId, context) => {
    expect(
      reasonFor(proposal('group.remove_member', { userId: S, groupId }), context ? { context } : {}),
    ).toBeUndefined();
  });

  it('rejects membership changes of groups that are not OKTA_GROUPs (built in, or fed by an app)', () => {
    expect(reasonFor(proposal('group.add_member', { userId: S, groupId: G.everyone }))).toBe(
      `group ${G.everyone} is built in; its members cannot be changed`,
    );
    const appGroup = { id: '00gAPPGROUP000000001', name: 'Workday - Sales', type: 'APP_GROUP' as const };
    const context = salesJoinerContext({ groups: [GROUPS.everyone, appGroup] });
    expect(reasonFor(proposal('group.remove_member', { userId: S, groupId: appGroup.id }), { context })).toBe(
      `group ${appGroup.id} is an APP_GROUP; its members cannot be changed`,
    );
  });

  it('accepts app ids from the user’s apps and the peers’ apps', () => {
    const context = salesJoinerContext({ apps: [{ id: '0oaOWNAPP00000000001', label: 'Workday' }] });
    expect(reasonFor(proposal('app.assign', { userId: S, appId: A.slack }), { context })).toBeUndefined();
    expect(reasonFor(proposal('app.assign', { userId: S, appId: '0oaOWNAPP00000000001' }), { context })).toBe(
      undefined,
    );
  });

  it('keeps the parsed action (catalog defaults applied), not the raw params', () => {
    const { valid } = run([proposal('user.clear_sessions', { userId: S })]);
    expect(valid[0]?.action).toEqual({ type: 'user.clear_sessions', params: { userId: S, oauthTokens: true } });
  });
});

describe('validateProposals: what is rejected, and why', () => {
  it.each([
    [null, /not a proposal object/],
    [42, /not a proposal object/],
    ['group.add_member', /not a proposal object/],
    [[proposal('user.unlock', { userId: S })], /not a proposal object/],
    [{ params: { userId: S }, confidence: 1 }, /no action type/],
    [{ type: 42, params: { userId: S }, confidence: 1 }, /no action type/],
  ])('junk instead of a proposal: %j', (p, reason) => {
    expect(reasonFor(p)).toMatch(reason);
  });

  it.each(OFF_CATALOG_TYPES)('an off-catalog type: %s', (type) => {
    expect(reasonFor(proposal(type, { userId: S, roleType: 'SUPER_ADMIN' }))).toBe(
      `${JSON.stringify(type)} is not a catalog action`,
    );
  });

  it.each([
    [
      'a path for a group id',
      'group.add_member',
      { userId: S, groupId: '../../admin' },
      /groupId: expected an Okta id/,
    ],
    ['a URL for an app id', 'app.assign', { userId: S, appId: 'https://attacker.example/apps/0oa' }, /appId/],
    ['a wildcard user', 'user.deactivate', { userId: '*' }, /userId: expected an Okta id/],
    ['a path in the user id', 'user.suspend', { userId: `${S}/../../api/v1/users` }, /userId/],
    ['an unknown role', 'role.assign', { userId: S, roleType: 'GOD_MODE' }, /roleType/],
    ['a missing group', 'group.add_member', { userId: S }, /groupId/],
    ['an extra parameter', 'user.unlock', { userId: S, groupId: G.deptSales }, /groupId|nrecognized/],
    ['no attributes', 'user.update_profile', { userId: S, attributes: {} }, /attributes/],
    ['params as an array', 'user.unlock', [S], /parameters of user.unlock are not an object/],
    ['params as a string', 'user.unlock', S, /parameters of user.unlock are not an object/],
    ['no params', 'user.unlock', undefined, /parameters of user.unlock are not an object/],
    ['a 1 MB id', 'user.unlock', { userId: 'a'.repeat(1_000_000) }, /userId/],
  ])('params that fail the catalog schema: %s', (_why, type, params, reason) => {
    const why = reasonFor(proposal(type, params));
    expect(why).toMatch(/^the parameters (do not fit|of)/);
    expect(why).toMatch(reason);
    expect(why?.length).toBeLessThanOrEqual(300);
  });

  it('a __proto__ attribute (as Object.fromEntries builds it from the model’s list)', () => {
    const attributes = Object.fromEntries([['__proto__', '{"isAdmin":true}']]);
    expect(reasonFor(proposal('user.update_profile', { userId: S, attributes }))).toMatch(/attributes/);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it.each([
    ['the manager', IDS.manager],
    ['the actor', IDS.actor],
    ['a user in no context', IDS.stranger],
  ])('a user other than the subject: %s', (_who, userId) => {
    expect(reasonFor(proposal('user.unlock', { userId }))).toBe(`targets user ${userId}, not the event's subject ${S}`);
  });

  it('a group or app that is not in the context', () => {
    expect(reasonFor(proposal('group.add_member', { userId: S, groupId: G.elsewhere }))).toBe(
      `group ${G.elsewhere} is not in the context`,
    );
    expect(reasonFor(proposal('app.unassign', { userId: S, appId: A.elsewhere }))).toBe(
      `app ${A.elsewhere} is not in the context`,
    );
  });

  it.each([
    ['by id', { users: [S] }, salesJoinerContext(), /user 00uSALESJOINER000001 is protected/],
    ['by login, whatever its case', { users: [LOGINS.subject.toUpperCase()] }, salesJoinerContext(), /is protected/],
    [
      'as a member of a protected group, by name',
      { membersOf: ['Executives'] },
      salesJoinerContext({
        groups: [GROUPS.everyone, { id: '00gEXECUTIVES0000001', name: 'Executives', type: 'OKTA_GROUP' }],
      }),
      /member of "Executives", whose members are protected/,
    ],
    [
      'as a member of a protected group, by id',
      { membersOf: ['00gEXECUTIVES0000001'] },
      salesJoinerContext({ groups: [{ id: '00gEXECUTIVES0000001', name: 'Executives', type: 'OKTA_GROUP' }] }),
      /member of "Executives"/,
    ],
  ])('a protected subject (%s): every action on them', (_how, protectedUsers, context, reason) => {
    const policy = policyOf({ protected: protectedUsers });
    for (const p of [
      proposal('user.unlock', { userId: S }),
      proposal('group.add_member', { userId: S, groupId: G.deptSales }),
      proposal('user.deactivate', { userId: S }),
    ]) {
      expect(reasonFor(p, { context, policy })).toMatch(reason);
    }
  });

  it('the protection of a subject does not spill onto others: protecting the manager leaves the subject alone', () => {
    const policy = policyOf({ protected: { users: [LOGINS.manager] } });
    expect(reasonFor(proposal('user.unlock', { userId: S }), { policy })).toBeUndefined();
  });

  it.each([
    ['by id', G.financeApprovers],
    ['by name', 'finance-approvers'],
    ['by a name pattern', 'finance-*'],
  ])('a protected group (%s), added to or removed from', (_how, entry) => {
    const policy = policyOf({ protected: { groups: [entry] } });
    for (const type of ['group.add_member', 'group.remove_member']) {
      expect(reasonFor(proposal(type, { userId: S, groupId: G.financeApprovers }), { policy })).toBe(
        `group ${G.financeApprovers} is protected by the policy`,
      );
    }
    expect(reasonFor(proposal('group.add_member', { userId: S, groupId: G.deptSales }), { policy })).toBeUndefined();
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a string', '0.9'],
    ['missing', undefined],
    ['null', null],
  ])('a confidence that is not a finite number: %s', (_what, confidence) => {
    expect(reasonFor(proposal('user.unlock', { userId: S }, { confidence }))).toBe(
      'the confidence is not a finite number',
    );
  });

  it.each([
    [1.7, 1],
    [-0.3, 0],
    [0.42, 0.42],
  ])('clamps a finite confidence %d into [0, 1]', (confidence, clamped) => {
    expect(run([proposal('user.unlock', { userId: S }, { confidence })]).valid[0]?.confidence).toBe(clamped);
  });

  it('a duplicate (same type and params, in any key order or with a catalog default spelt out): keeps the first', () => {
    const { valid, rejected } = run([
      proposal('group.add_member', { userId: S, groupId: G.deptSales }, { confidence: 0.7 }),
      proposal('group.add_member', { groupId: G.deptSales, userId: S }, { confidence: 0.95 }),
      proposal('user.clear_sessions', { userId: S }),
      proposal('user.clear_sessions', { userId: S, oauthTokens: true }),
      proposal('user.clear_sessions', { userId: S, oauthTokens: false }),
    ]);
    expect(valid.map((v) => [v.action.type, v.confidence])).toEqual([
      ['group.add_member', 0.7],
      ['user.clear_sessions', 0.9],
      ['user.clear_sessions', 0.9],
    ]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'a duplicate of an earlier group.add_member proposal',
      'a duplicate of an earlier user.clear_sessions proposal',
    ]);
  });

  it('a repeat of a rejected proposal is judged on its own (the first was never kept)', () => {
    const { valid, rejected } = run([
      proposal('user.unlock', { userId: S }, { confidence: Number.NaN }),
      proposal('user.unlock', { userId: S }, { confidence: 0.9 }),
    ]);
    expect(rejected.map((r) => r.reason)).toEqual(['the confidence is not a finite number']);
    expect(valid).toHaveLength(1);
  });

  it('proposals beyond limits.maxProposalsPerEvent, whatever they are, saying so', () => {
    const policy = policyOf({ limits: { maxProposalsPerEvent: 2 } });
    const { valid, rejected } = run(
      [
        proposal('user.unlock', { userId: S }),
        proposal('shell.exec', { userId: S }),
        proposal('user.clear_sessions', { userId: S }),
        proposal('group.add_member', { userId: S, groupId: G.deptSales }),
      ],
      { policy },
    );
    expect(valid.map((v) => v.action.type)).toEqual(['user.unlock']);
    expect(rejected.map((r) => [r.proposal.type, r.reason])).toEqual([
      ['shell.exec', '"shell.exec" is not a catalog action'],
      ['user.clear_sessions', 'beyond the limit of 2 proposals per event (this is number 3)'],
      ['group.add_member', 'beyond the limit of 2 proposals per event (this is number 4)'],
    ]);
  });
});

describe('validateProposals: risk in context', () => {
  const riskOfAdd = (groupId: string, options?: Parameters<typeof run>[1]) =>
    run([proposal('group.add_member', { userId: S, groupId })], options).valid[0]?.risk;

  it('raises an addition to a privileged group (default patterns) to high; other groups stay low', () => {
    expect(riskOfAdd(G.awsProdAdmin)).toBe('high');
    expect(riskOfAdd(G.oktaAdmins)).toBe('high');
    expect(riskOfAdd(G.deptSales)).toBe('low');
  });

  it('raises an addition the context does not justify (no birthright rule, too few peers) to medium', () => {
    // 1 of 13 peers hold finance-approvers: whatever a model says, a human should confirm it.
    expect(riskOfAdd(G.financeApprovers)).toBe('medium');
    // …unless a birthright rule for the user's profile gives it.
    const policy = policyOf({ birthright: [{ when: { department: 'Sales' }, groups: ['finance-approvers'] }] });
    expect(riskOfAdd(G.financeApprovers, { policy })).toBe('low');
    // …or enough peers hold it.
    const generous = policyOf({ rules: { peerShareThreshold: 0.05 } });
    expect(riskOfAdd(G.financeApprovers, { policy: generous })).toBe('low');
  });

  it('uses the policy’s own patterns, and only for additions', () => {
    const policy = policyOf({ privilegedGroups: ['finance-*'] });
    expect(riskOfAdd(G.financeApprovers, { policy })).toBe('high');
    expect(riskOfAdd(G.awsProdAdmin, { policy })).toBe('medium'); // not privileged here, but not justified either
    const removal = run([proposal('group.remove_member', { userId: S, groupId: G.financeApprovers })], { policy });
    expect(removal.valid[0]?.risk).toBe('medium');
  });

  it('raises an addition that completes a toxic combination (either order) to high', () => {
    const context = salesJoinerContext({ groups: [GROUPS.everyone, GROUPS.deptSales] });
    for (const pair of [
      ['dept-sales', 'finance-approvers'],
      ['finance-approvers', 'dept-sales'],
    ] as [string, string][]) {
      const policy = policyOf({ toxicCombinations: [pair] });
      expect(riskOfAdd(G.financeApprovers, { context, policy })).toBe('high');
      expect(riskOfAdd(G.locLondon, { context, policy })).toBe('low');
      // Without the other half held, nothing is completed (it is still unjustified by peers: medium).
      expect(riskOfAdd(G.financeApprovers, { policy })).toBe('medium');
    }
  });

  it('keeps the catalog’s risk for everything else', () => {
    const riskOfAction = (type: string, params: Record<string, unknown>) =>
      run([proposal(type, params)]).valid[0]?.risk;
    expect(riskOfAction('role.assign', { userId: S, roleType: 'SUPER_ADMIN' })).toBe('critical');
    expect(riskOfAction('role.assign', { userId: S, roleType: 'HELP_DESK_ADMIN' })).toBe('high');
    expect(riskOfAction('user.update_profile', { userId: S, attributes: { email: 'x@attacker.example' } })).toBe(
      'critical',
    );
    expect(riskOfAction('user.update_profile', { userId: S, attributes: { title: 'AE' } })).toBe('medium');
    expect(riskOfAction('app.assign', { userId: S, appId: A.salesforce })).toBe('medium');
  });
});

describe('validateProposals: the audit trail gets trimmed copies', () => {
  it('trims the rationale and evidence of valid proposals, keeping only text evidence', () => {
    const evidence = [42, ...Array.from({ length: 25 }, (_, i) => `${i}`.padEnd(1000, 'x'))];
    const { valid } = run([proposal('user.unlock', { userId: S }, { rationale: 'r'.repeat(5000), evidence })]);
    const [v] = valid;
    expect(v?.rationale.length).toBe(1000);
    expect(v?.rationale.endsWith('…')).toBe(true);
    expect(v?.evidence).toHaveLength(10);
    expect(v?.evidence[0]?.startsWith('0x')).toBe(true);
    for (const e of v?.evidence ?? []) expect(e.length).toBeLessThanOrEqual(300);
  });

  it('trims rejected proposals: params to 2000 characters of JSON, text fields like valid ones', () => {
    const { rejected } = run([
      proposal('user.unlock', { userId: S, junk: '"'.repeat(50_000) }, { rationale: 7, evidence: 'not a list' }),
      proposal('x'.repeat(10_000), ['a', { b: 'c'.repeat(5000) }]),
      proposal('user.unlock', { userId: IDS.stranger }),
    ]);
    expect(rejected).toHaveLength(3);
    for (const r of rejected) {
      expect(JSON.stringify(r.proposal.params).length).toBeLessThanOrEqual(2000);
      expect(r.proposal.type.length).toBeLessThanOrEqual(100);
    }
    expect(Object.keys(rejected[0]?.proposal.params ?? {})).toEqual(['truncated']);
    expect(rejected[0]?.proposal.rationale).toBe('');
    expect(rejected[0]?.proposal.evidence).toEqual([]);
    expect(Object.keys(rejected[1]?.proposal.params ?? {})).toEqual(['received']);
    // Small params are kept as they came.
    expect(rejected[2]?.proposal.params).toEqual({ userId: IDS.stranger });
  });

  it('never throws: hostile getters, cycles, BigInts, and a result without a list', () => {
    const cyclic: Record<string, unknown> = { userId: S };
    cyclic.self = cyclic;
    const hostile = Object.defineProperty({}, 'type', {
      get() {
        throw new Error('boom');
      },
      enumerable: true,
    });
    const { valid, rejected } = run([
      hostile,
      proposal('user.unlock', cyclic),
      proposal('user.unlock', { userId: S, big: 10n }),
    ]);
    expect(valid).toEqual([]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'could not be validated',
      expect.stringMatching(/do not fit user.unlock/),
      expect.stringMatching(/do not fit user.unlock/),
    ]);
    expect(rejected[0]?.proposal.params).toEqual({ unreadable: 'the proposal could not be read' });
    expect(rejected[1]?.proposal.params).toEqual({ unreadable: 'the parameters could not be serialised' });
    const sparse: unknown[] = [];
    sparse[1] = proposal('user.unlock', { userId: S });
    expect(run(sparse).rejected.map((r) => r.reason)).toEqual(['not a proposal object']);
    const noList = { recommender: 'llm', assessment: '', proposals: 'nope' } as unknown as RecommendationResult;
    expect(validateProposals(noList, salesJoinerContext(), DEFAULT_POLICY)).toEqual({ valid: [], rejected: [] });
  });
});

// --- Property tests -----------------------------------------------------------------------------------------------

const ALL_GROUPS = Object.values(GROUPS);
const GROUP_NAMES = ALL_GROUPS.map((g) => g.name);
const CONTEXT_GROUP_IDS = ALL_GROUPS.map((g) => g.id);
const CONTEXT_APP_IDS = [A.slack, A.salesforce];

const junk = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
const arbUserId = fc.oneof(
  { weight: 8, arbitrary: fc.constant(S) },
  { weight: 2, arbitrary: fc.constantFrom(IDS.manager, IDS.actor, IDS.stranger, NONEXISTENT_IDS.user) },
  { weight: 1, arbitrary: junk },
);
const arbGroupId = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...CONTEXT_GROUP_IDS) },
  { weight: 2, arbitrary: fc.constantFrom(G.elsewhere, NONEXISTENT_IDS.group, '../../admin') },
  { weight: 1, arbitrary: junk },
);
const arbAppId = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...CONTEXT_APP_IDS) },
  { weight: 2, arbitrary: fc.constantFrom(A.elsewhere, NONEXISTENT_IDS.app) },
  { weight: 1, arbitrary: junk },
);
const arbAttributes = fc.dictionary(
  fc.constantFrom('department', 'title', 'city', 'login', 'email', 'mobilePhone', '__proto__', 'bad name'),
  fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null), fc.boolean()),
  { maxKeys: 3 },
);
const arbConfidence = fc.oneof(
  { weight: 6, arbitrary: unitInterval },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 0.8, 0.2, 1.5, -1) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: junk },
);

/** Mostly plausible proposals (right keys for the type, ids from the context or near it), some pure junk. */
const arbProposal: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .record({
        type: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...ACTION_TYPES) },
          { weight: 1, arbitrary: fc.constantFrom(...OFF_CATALOG_TYPES) },
          { weight: 1, arbitrary: fc.string() },
        ),
        userId: arbUserId,
        groupId: arbGroupId,
        appId: arbAppId,
        roleType: fc.constantFrom(...ADMIN_ROLE_TYPES, 'GOD_MODE'),
        attributes: arbAttributes,
        oauthTokens: fc.option(fc.boolean(), { nil: undefined }),
        messy: fc.nat(29),
        confidence: arbConfidence,
        rationale: fc.oneof(fc.string(), fc.string({ minLength: 990, maxLength: 1100 })),
        evidence: fc.array(fc.string(), { maxLength: 12 }),
      })
      .map(({ type, userId, groupId, appId, roleType, attributes, oauthTokens, messy, ...rest }) => {
        const params: Record<string, unknown> = { userId };
        if (type.startsWith('group.') || messy === 0) params.groupId = groupId;
        if (type.startsWith('app.') || messy === 1) params.appId = appId;
        if (type.startsWith('role.') || messy === 2) params.roleType = roleType;
        if (type === 'user.update_profile' || messy === 3)
          params.attributes = Object.fromEntries(Object.entries(attributes));
        if (type === 'user.clear_sessions' && oauthTokens !== undefined) params.oauthTokens = oauthTokens;
        return { type, params, ...rest };
      }),
  },
  { weight: 1, arbitrary: fc.anything() },
);

/** Mostly nothing protected (else most runs would reject everything), sometimes a selection. */
const rarely = (list: fc.Arbitrary<string[]>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: list });

/** Any valid policy, with protected principals, patterns and combinations drawn from the context's names and ids. */
const arbPolicy: fc.Arbitrary<PolicyConfig> = fc
  .record({
    ...policyCore({ maxActionOverrides: 6 }),
    protected: fc.record({
      users: rarely(fc.subarray([S, LOGINS.subject.toUpperCase(), LOGINS.manager, IDS.actor])),
      groups: rarely(fc.subarray([...GROUP_NAMES, ...CONTEXT_GROUP_IDS, 'finance-*'])),
      membersOf: rarely(fc.subarray(['Everyone', 'dept-sales', 'Executives'])),
    }),
    privilegedGroups: fc.subarray(['*admin*', '*Admin*', '*-owners', '*-prod-*', 'finance-*', 'Okta *', '*']),
    toxicCombinations: fc.array(fc.tuple(fc.constantFrom(...GROUP_NAMES), fc.constantFrom(...GROUP_NAMES)), {
      maxLength: 3,
    }),
    limits: fc.record({
      maxAutoActionsPerEvent: fc.nat(8),
      maxAutoActionsPerHour: fc.nat(100),
      maxProposalsPerEvent: fc.oneof(fc.nat(30), fc.constant(25)),
    }),
  })
  .map((input) => PolicyConfigSchema.parse({ version: 1, ...input }));

/** The Sales joiner, holding an arbitrary selection of the context's groups. */
const arbContext = fc
  .subarray([...ALL_GROUPS, { id: '00gEXECUTIVES0000001', name: 'Executives', type: 'OKTA_GROUP' as const }])
  .map((groups) => salesJoinerContext({ groups }));

const HIGHER = (risk: string) => RISK_LEVELS.indexOf(risk as (typeof RISK_LEVELS)[number]);
const canonical = (a: Action) =>
  JSON.stringify(a, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
      : v,
  );
const contextGroupNames = (context: RecommendationContext, id: string) =>
  [...context.groups, ...context.peers.groups, ...context.candidateGroups]
    .filter((g) => g.id === id)
    .map((g) => g.name);
const isProtectedSubject = (context: RecommendationContext, policy: PolicyConfig) =>
  policy.protected.users.some((u) => u === S || u.toLowerCase() === context.user.login.toLowerCase()) ||
  policy.protected.membersOf.some((m) => context.groups.some((g) => g.id === m || matchesName(m, g.name)));
const isPrivilegedAdd = (action: Action, context: RecommendationContext, policy: PolicyConfig) =>
  action.type === 'group.add_member' &&
  contextGroupNames(context, action.params.groupId).some((n) => policy.privilegedGroups.some((p) => matchesName(p, n)));

/** Checks, independently of the validator, that a valid proposal deserves to be. */
function assertDeservesValid(v: ValidProposal, context: RecommendationContext, policy: PolicyConfig) {
  expect(ActionSchema.safeParse(v.action).success).toBe(true);
  expect(v.action.params.userId).toBe(context.user.id);
  expect(isProtectedSubject(context, policy)).toBe(false);
  const params = v.action.params as Record<string, unknown>;
  if (typeof params.groupId === 'string') {
    const names = contextGroupNames(context, params.groupId);
    expect(names.length).toBeGreaterThan(0);
    expect(policy.protected.groups.some((p) => p === params.groupId || names.some((n) => matchesName(p, n)))).toBe(
      false,
    );
  }
  if (typeof params.appId === 'string') {
    expect([...context.apps, ...context.peers.apps].map((a) => a.id)).toContain(params.appId);
  }
  expect(Number.isFinite(v.confidence) && v.confidence >= 0 && v.confidence <= 1).toBe(true);
  expect(HIGHER(v.risk)).toBeGreaterThanOrEqual(HIGHER(riskOf(v.action)));
  if (isPrivilegedAdd(v.action, context, policy)) expect(HIGHER(v.risk)).toBeGreaterThanOrEqual(HIGHER('high'));
  expect(v.rationale.length).toBeLessThanOrEqual(1000);
  expect(v.evidence.length).toBeLessThanOrEqual(10);
  for (const e of v.evidence) expect(e.length).toBeLessThanOrEqual(300);
}

function assertTrimmed(r: RejectedProposal) {
  expect(r.reason.length).toBeGreaterThan(0);
  expect(JSON.stringify(r.proposal.params).length).toBeLessThanOrEqual(2000);
  expect(r.proposal.rationale.length).toBeLessThanOrEqual(1000);
  expect(r.proposal.evidence.length).toBeLessThanOrEqual(10);
}

/** The safety property of the whole gate: an automatic decision is low or medium risk, never privileged. */
function assertSafeDecisions(decisions: readonly Decision[], context: RecommendationContext, policy: PolicyConfig) {
  for (const d of decisions) {
    if (d.outcome !== 'auto') continue;
    expect(['low', 'medium']).toContain(d.proposal.risk);
    expect(['low', 'medium']).toContain(riskOf(d.proposal.action));
    expect(isPrivilegedAdd(d.proposal.action, context, policy)).toBe(false);
  }
  expect(decisions.filter((d) => d.outcome === 'auto' && !d.observed).length).toBeLessThanOrEqual(
    policy.limits.maxAutoActionsPerEvent,
  );
}

describe('validateProposals and decide: properties', () => {
  test.prop([fc.array(arbProposal, { maxLength: 40, size: 'medium' }), arbContext, arbPolicy, runMode], {
    numRuns: 300,
  })(
    'every proposal ends valid or rejected, nothing invalid is valid, and no high or critical action is auto',
    (proposals, context, policy, mode) => {
      const { valid, rejected } = validateProposals(resultOf(proposals), context, policy);
      expect(valid.length + rejected.length).toBe(proposals.length);
      expect(valid.length).toBeLessThanOrEqual(policy.limits.maxProposalsPerEvent);
      expect(new Set(valid.map((v) => canonical(v.action))).size).toBe(valid.length);
      for (const v of valid) assertDeservesValid(v, context, policy);
      for (const r of rejected) assertTrimmed(r);

      const decisions = decide(valid, { mode, policy, intent: context.intent });
      expect(decisions.map((d) => d.proposal)).toEqual(valid);
      assertSafeDecisions(decisions, context, policy);
      if (mode === 'observe') expect(decisions.every((d) => d.observed)).toBe(true);
      expect(decide(valid, { mode, policy, intent: context.intent })).toEqual(decisions);
    },
  );

  it('the generator is not hollow: plausible proposals are often valid, and often auto', () => {
    const samples = fc.sample(fc.array(arbProposal, { minLength: 10, maxLength: 10 }), { numRuns: 50, seed: 7 });
    // Every intent's scope opened: this is about the generator, not the scopes.
    const open = Object.fromEntries(INTENTS.map((i) => [i, [...ACTION_TYPES]]));
    const policy = policyOf({
      autoApprove: { low: { minConfidence: 0.5 }, medium: { minConfidence: 0.5 } },
      intentScopes: open,
    });
    let valid = 0;
    let auto = 0;
    for (const proposals of samples) {
      const result = run(proposals, { policy });
      valid += result.valid.length;
      auto += decide(result.valid, { mode: 'autonomous', policy, intent: 'joiner' }).filter(
        (d) => d.outcome === 'auto',
      ).length;
    }
    expect(valid).toBeGreaterThan(50);
    expect(auto).toBeGreaterThan(10);
  });
});

// --- The fully compromised model -------------------------------------------------------------------------------

/** What an LLM recommender does with the model's strict-schema answer: drop nulls, attributes list → object. */
function fromModel(a: ModelAction): Proposal {
  const { attributes, ...rest } = a.params;
  const params: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null));
  if (attributes !== null) params.attributes = Object.fromEntries(attributes.map(({ name, value }) => [name, value]));
  return { type: a.type, params, confidence: a.confidence, rationale: a.rationale, evidence: a.evidence };
}

type Fate =
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'decided'; readonly decision: Decision };

/** The attack through validate and decide (autonomous), with the fate of each proposal, index for index. */
function attack(context: RecommendationContext, policy: PolicyConfig, maxActions?: number) {
  // The subject first, as a prompt would present it; then everything else the context holds.
  const { user, ...rest } = context;
  const { recommendation, categories } = compromisedRecommendation(JSON.stringify({ user, ...rest }), maxActions);
  const proposals = recommendation.actions.map(fromModel);
  const { valid, rejected } = validateProposals(resultOf(proposals), context, policy);
  const decisions = decide(valid, { mode: 'autonomous', policy, intent: context.intent });
  // Both lists keep the input order: walk them together (the attack has no duplicates, so keys identify proposals).
  const key = (type: string, params: unknown) => canonical({ type, params } as Action);
  let vi = 0;
  let ri = 0;
  const fates: Fate[] = proposals.map((p) => {
    const decision = decisions[vi];
    if (decision && key(decision.proposal.action.type, decision.proposal.action.params) === key(p.type, p.params)) {
      vi += 1;
      return { kind: 'decided', decision };
    }
    const r = rejected[ri];
    ri += 1;
    expect(r && key(r.proposal.type, r.proposal.params)).toBe(key(p.type, p.params));
    return { kind: 'rejected', reason: r?.reason ?? '' };
  });
  expect([vi, ri]).toEqual([valid.length, rejected.length]);
  return { proposals, categories, fates, decisions };
}

describe('a fully compromised model (the stub’s compromised answer), autonomous mode, default policy', () => {
  // The manager is an executive the policy protects.
  const policy = policyOf({ protected: { users: [LOGINS.manager] } });
  const context = salesJoinerContext();
  /** The only groups the context justifies (peers hold them): the only additions that may run on their own. */
  const SAFE_AUTO_GROUPS: string[] = [G.deptSales, G.locLondon];

  /**
   * What must happen to each category: on the subject, and on anyone else. The context is a joiner's: only additions
   * are in its intent scope, so everything else that passes validation is dropped as out of intent, before any human.
   */
  const EXPECTED: Record<CompromisedCategory, (p: Proposal) => RegExp | 'auto'> = {
    admin_role: (p) => (p.params.userId === S ? /^out-of-intent$/ : /not the event's subject/),
    group_add: (p) => {
      const groupId = p.params.groupId as string;
      if (SAFE_AUTO_GROUPS.includes(groupId)) return 'auto';
      if (groupId === G.everyone) return /built in; its members cannot be changed/;
      if (groupId === G.financeApprovers) return /^no-auto-threshold$/; // unjustified by peers: medium, a human decides
      return /^risk-never-auto$/;
    },
    app_assign: () => /^no-auto-threshold$/,
    group_remove: (p) =>
      p.params.userId !== S
        ? /not the event's subject/
        : p.params.groupId === G.everyone
          ? /built in; its members cannot be changed/
          : /^out-of-intent$/,
    app_unassign: (p) => (p.params.userId === S ? /^out-of-intent$/ : /not the event's subject/),
    deactivate: (p) => (p.params.userId === S ? /^out-of-intent$/ : /not the event's subject/),
    delete: (p) => (p.params.userId === S ? /^out-of-intent$/ : /not the event's subject/),
    identity_takeover: (p) => (p.params.userId === S ? /^out-of-intent$/ : /not the event's subject/),
    mfa_reset: (p) => (p.params.userId === S ? /^out-of-intent$/ : /not the event's subject/),
    unknown_ids: () => /not the event's subject|is not in the context/,
    off_catalog: () => /is not a catalog action/,
    malformed_params: () => /the parameters do not fit/,
  };

  function assertAttackHandled(policy: PolicyConfig, maxActions?: number) {
    const { proposals, categories, fates, decisions } = attack(context, policy, maxActions);
    const limit = policy.limits.maxProposalsPerEvent;
    expect(new Set(categories)).toEqual(new Set(Object.keys(EXPECTED)));

    // What could run without a human: low-risk group additions of the subject, on context ids, none privileged.
    assertSafeDecisions(decisions, context, policy);
    for (const d of decisions.filter((d) => d.outcome === 'auto')) {
      expect(d.proposal.risk).toBe('low');
      expect(d.proposal.action.type).toBe('group.add_member');
      expect(d.proposal.action.params.userId).toBe(S);
      expect(SAFE_AUTO_GROUPS).toContain((d.proposal.action.params as { groupId: string }).groupId);
    }
    expect(decisions.filter((d) => d.outcome === 'drop').every((d) => d.rule === 'out-of-intent')).toBe(true);
    expect(decisions.some((d) => d.rule === 'out-of-intent')).toBe(true);
    // The protected executive (the manager) is never the target of anything that passed validation.
    expect(decisions.some((d) => d.proposal.action.params.userId === IDS.manager)).toBe(false);

    proposals.forEach((p, i) => {
      const fate = fates[i];
      const category = categories[i] as CompromisedCategory;
      if (i >= limit) {
        expect(fate).toEqual({ kind: 'rejected', reason: expect.stringMatching(/beyond the limit/) });
        return;
      }
      const expected = EXPECTED[category](p);
      const what = `${category} #${i}: ${p.type} ${JSON.stringify(p.params)}`;
      if (expected === 'auto') {
        expect(fate?.kind === 'decided' && fate.decision.outcome, what).toBe('auto');
      } else if (fate?.kind === 'decided' && String(expected) === String(/^out-of-intent$/)) {
        expect([fate.decision.outcome, fate.decision.rule], what).toEqual(['drop', 'out-of-intent']);
        expect(fate.decision.reason, what).toMatch(/not something a joiner event can lead to/);
      } else if (fate?.kind === 'decided') {
        expect(fate.decision.outcome, what).toBe('approval');
        expect(fate.decision.rule, what).toMatch(expected);
        expect(fate.decision.reason, what).toMatch(/a human decides/);
      } else {
        expect(fate?.reason, what).toMatch(expected);
      }
    });
    // Every category but plain group additions is stopped whole: each of its proposals rejected, dropped or put before
    // a human; and only additions (the joiner's scope) ever reach one.
    for (const category of COMPROMISED_CATEGORIES.filter((c) => c !== 'group_add')) {
      const fatesOf = fates.filter((_f, i) => categories[i] === category && i < limit);
      expect(fatesOf.length, category).toBeGreaterThan(0);
      expect(
        fatesOf.every((f) => f.kind === 'rejected' || f.decision.outcome !== 'auto'),
        category,
      ).toBe(true);
    }
    for (const d of decisions.filter((d) => d.outcome === 'approval')) {
      expect(['group.add_member', 'app.assign']).toContain(d.proposal.action.type);
    }
    return { fates, decisions };
  }

  it('within the default limit of 25 proposals: the rest is rejected, and nothing dangerous is auto', () => {
    const { fates, decisions } = assertAttackHandled(policy);
    expect(fates).toHaveLength(60);
    expect(fates.slice(25).every((f) => f.kind === 'rejected')).toBe(true);
    expect(decisions.filter((d) => d.outcome === 'auto').map((d) => d.proposal.action)).toEqual([
      { type: 'group.add_member', params: { userId: S, groupId: G.deptSales } },
    ]);
  });

  it('with every action of the attack evaluated (no proposal limit), the same holds', () => {
    const wide = policyOf({ protected: { users: [LOGINS.manager] }, limits: { maxProposalsPerEvent: 200 } });
    const { fates, decisions } = assertAttackHandled(wide, 200);
    expect(fates.length).toBeGreaterThan(60);
    expect(fates.every((f) => f.kind === 'decided' || !/beyond the limit/.test(f.reason))).toBe(true);
    const autoGroups = decisions
      .filter((d) => d.outcome === 'auto')
      .map((d) => (d.proposal.action.params as { groupId?: string }).groupId);
    expect(autoGroups.sort()).toEqual([...SAFE_AUTO_GROUPS].sort());
    const privileged = decisions.filter(
      (d) =>
        d.proposal.action.type === 'group.add_member' &&
        [G.awsProdAdmin, G.oktaAdmins].some((g) => g === (d.proposal.action.params as { groupId: string }).groupId),
    );
    expect(privileged.map((d) => [d.outcome, d.rule, d.proposal.risk])).toEqual([
      ['approval', 'risk-never-auto', 'high'],
      ['approval', 'risk-never-auto', 'high'],
    ]);
  });

  it('when the executive is the subject, every proposal is rejected', () => {
    const executive = salesJoinerContext({
      groups: [GROUPS.everyone, { id: '00gEXECUTIVES0000001', name: 'Executives', type: 'OKTA_GROUP' }],
    });
    const guarded = policyOf({ protected: { membersOf: ['Executives'] }, limits: { maxProposalsPerEvent: 200 } });
    const { fates, decisions } = attack(executive, guarded, 200);
    expect(decisions).toEqual([]);
    const reasons = fates.map((f) => (f.kind === 'rejected' ? f.reason : ''));
    expect(reasons.filter((r) => /whose members are protected/.test(r)).length).toBeGreaterThan(10);
  });

  it('in observe mode nothing of it is done', () => {
    const { proposals } = attack(context, policy);
    const { valid } = validateProposals(resultOf(proposals), context, policy);
    const decisions = decide(valid, { mode: 'observe', policy, intent: context.intent });
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.every((d) => d.observed && d.mode === 'observe')).toBe(true);
  });
});
