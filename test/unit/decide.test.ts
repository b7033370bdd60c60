import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  ACTION_TYPES,
  type Action,
  ActionSchema,
  ADMIN_ROLE_TYPES,
  RISK_LEVELS,
  type RiskLevel,
  riskOf,
} from '../../lambda/domain/catalog.ts';
import { INTENTS } from '../../lambda/domain/intent.ts';
import type { Mode } from '../../lambda/domain/policy-config.ts';
import {
  DEFAULT_POLICY,
  MODES,
  type PolicyConfig,
  PolicyConfigSchema,
  type PolicyInput,
} from '../../lambda/domain/policy-config.ts';
import type { Decision, ValidProposal } from '../../lambda/domain/recommendation.ts';
import { decide, demote, RULES } from '../../lambda/policy/decide.ts';
import { oktaId, policyCore, runMode, unitInterval } from '../support/arbitraries.ts';
import { IDS } from '../support/contexts.ts';

const S = IDS.subject;

/**
 * The tests of thresholds, modes and caps below are about those rules alone: they open every intent's scope (the scopes
 * have their own tests) and decide as for a mover.
 */
const OPEN_SCOPES = Object.fromEntries(INTENTS.map((i) => [i, [...ACTION_TYPES]])) as PolicyConfig['intentScopes'];
const decideOpen = (proposals: readonly ValidProposal[], options: { mode: Mode; policy: PolicyConfig }) =>
  decide(proposals, { ...options, policy: { ...options.policy, intentScopes: OPEN_SCOPES }, intent: 'mover' });

const policyOf = (input: Omit<PolicyInput, 'version'> = {}): PolicyConfig =>
  PolicyConfigSchema.parse({ version: 1, ...input });

const PARAMS: Record<string, Record<string, unknown>> = {
  'group.add_member': { groupId: IDS.groups.deptSales },
  'group.remove_member': { groupId: IDS.groups.deptSales },
  'app.assign': { appId: IDS.apps.slack },
  'app.unassign': { appId: IDS.apps.slack },
  'role.assign': { roleType: 'HELP_DESK_ADMIN' },
  'role.unassign': { roleType: 'HELP_DESK_ADMIN' },
  'user.update_profile': { attributes: { title: 'Account Executive' } },
};

/** A valid proposal of a catalog type, its risk from the catalog unless given. */
function valid(type: string, confidence: number, risk?: RiskLevel, params?: Record<string, unknown>): ValidProposal {
  const action = ActionSchema.parse({ type, params: { userId: S, ...(params ?? PARAMS[type]) } });
  return { action, risk: risk ?? riskOf(action), confidence, rationale: 'because', evidence: [] };
}

const one = (p: ValidProposal, mode: Mode, policy: PolicyConfig = DEFAULT_POLICY) => {
  const [decision, ...rest] = decideOpen([p], { mode, policy });
  expect(rest).toEqual([]);
  return decision;
};
const summary = (d: Decision | undefined) => d && [d.outcome, d.rule];

describe('decide: table', () => {
  it.each(MODES)('drops a disabled action type in %s mode, however confident', (mode) => {
    const policy = policyOf({ actions: { 'user.unlock': { disabled: true, minConfidence: 0 } } });
    const d = one(valid('user.unlock', 1), mode, policy);
    expect(summary(d)).toEqual(['drop', 'action-disabled']);
    expect(d?.reason).toMatch(/user.unlock is disabled by the policy/);
    expect(summary(one(valid('user.clear_sessions', 1), mode, policy))).not.toEqual(['drop', 'action-disabled']);
  });

  it.each(MODES)('drops a proposal below dropBelowConfidence in %s mode (the floor itself is kept)', (mode) => {
    expect(summary(one(valid('user.unlock', 0.19), mode))).toEqual(['drop', 'confidence-below-floor']);
    expect(one(valid('user.unlock', 0.19), mode)?.reason).toMatch(/confidence 0.19 is below the policy's floor of 0.2/);
    expect(one(valid('user.unlock', 0.2), mode)?.outcome).not.toBe('drop');
  });

  it('assisted mode: every kept proposal goes to a human, whatever its risk or confidence', () => {
    for (const type of ACTION_TYPES) {
      const d = one(valid(type, 1), 'assisted');
      expect(summary(d)).toEqual(['approval', 'mode-assisted']);
      expect(d).toMatchObject({ mode: 'assisted', observed: false });
    }
  });

  it.each([
    ['user.suspend', 'high'],
    ['app.unassign', 'high'],
    ['user.reset_factors', 'high'],
    ['role.unassign', 'high'],
    ['user.deactivate', 'critical'],
    ['user.delete', 'critical'],
  ])('autonomous: %s (%s) is never auto, even with a per-type threshold of 0', (type, risk) => {
    const policy = policyOf({ actions: { [type]: { mode: 'autonomous', minConfidence: 0 } } });
    const d = one(valid(type, 1), 'autonomous', policy);
    expect(summary(d)).toEqual(['approval', 'risk-never-auto']);
    expect(d?.reason).toContain(`${risk}-risk actions are never automatic`);
  });

  it('autonomous: an addition raised to high by the validator (privileged group) is never auto', () => {
    const policy = policyOf({ actions: { 'group.add_member': { minConfidence: 0 } } });
    expect(summary(one(valid('group.add_member', 1, 'high'), 'autonomous', policy))).toEqual([
      'approval',
      'risk-never-auto',
    ]);
  });

  it('autonomous: a proposal cannot understate its risk below the catalog’s', () => {
    const forged = valid('role.assign', 1, 'low', { roleType: 'SUPER_ADMIN' });
    const policy = policyOf({ autoApprove: { low: { minConfidence: 0 }, medium: { minConfidence: 0 } } });
    const d = one(forged, 'autonomous', policy);
    expect(summary(d)).toEqual(['approval', 'risk-never-auto']);
    expect(d?.reason).toMatch(/critical/);
    const unknown = { ...valid('user.unlock', 1), risk: 'negligible' } as unknown as ValidProposal;
    expect(summary(one(unknown, 'autonomous', policy))).toEqual(['approval', 'risk-never-auto']);
  });

  it('autonomous, low risk: auto from the threshold (0.8 by default), approval below it', () => {
    const at = one(valid('user.unlock', 0.8), 'autonomous');
    expect(summary(at)).toEqual(['auto', 'confidence-meets-auto']);
    expect(at?.reason).toBe('user.unlock is low risk and confidence 0.8 meets the automatic threshold of 0.8');
    expect(at).toMatchObject({ mode: 'autonomous', observed: false });
    const below = one(valid('user.unlock', 0.79), 'autonomous');
    expect(summary(below)).toEqual(['approval', 'confidence-below-auto']);
    expect(below?.reason).toMatch(/confidence 0.79 is below the automatic threshold of 0.8/);
  });

  it('autonomous, medium risk: no threshold by default, so a human decides; one in the policy makes it auto', () => {
    expect(summary(one(valid('app.assign', 1), 'autonomous'))).toEqual(['approval', 'no-auto-threshold']);
    const policy = policyOf({ autoApprove: { medium: { minConfidence: 0.9 } } });
    expect(summary(one(valid('app.assign', 0.95), 'autonomous', policy))).toEqual(['auto', 'confidence-meets-auto']);
    expect(summary(one(valid('app.assign', 0.85), 'autonomous', policy))).toEqual([
      'approval',
      'confidence-below-auto',
    ]);
  });

  it('a null low threshold means approval for every low-risk action', () => {
    const policy = policyOf({ autoApprove: { low: null } });
    expect(summary(one(valid('user.unlock', 1), 'autonomous', policy))).toEqual(['approval', 'no-auto-threshold']);
  });

  it('a per-type minConfidence replaces the risk level’s threshold, both ways', () => {
    const policy = policyOf({
      actions: { 'user.unlock': { minConfidence: 0.95 }, 'group.remove_member': { minConfidence: 0.5 } },
    });
    expect(summary(one(valid('user.unlock', 0.9), 'autonomous', policy))).toEqual([
      'approval',
      'confidence-below-auto',
    ]);
    expect(summary(one(valid('user.clear_sessions', 0.9), 'autonomous', policy))).toEqual([
      'auto',
      'confidence-meets-auto',
    ]);
    // Medium risk has no threshold, but the type's own applies.
    expect(summary(one(valid('group.remove_member', 0.6), 'autonomous', policy))).toEqual([
      'auto',
      'confidence-meets-auto',
    ]);
  });

  it('a per-type mode replaces the mode in effect', () => {
    const policy = policyOf({
      actions: { 'user.unlock': { mode: 'autonomous' }, 'user.clear_sessions': { mode: 'assisted' } },
    });
    expect(one(valid('user.unlock', 0.9), 'assisted', policy)).toMatchObject({ outcome: 'auto', mode: 'autonomous' });
    expect(one(valid('user.clear_sessions', 0.9), 'autonomous', policy)).toMatchObject({
      outcome: 'approval',
      rule: 'mode-assisted',
      mode: 'assisted',
    });
  });

  it('caps automatic actions per event, in proposal order; approvals and drops do not count', () => {
    const policy = policyOf({ limits: { maxAutoActionsPerEvent: 2 } });
    const proposals = [
      valid('group.add_member', 0.9, undefined, { groupId: IDS.groups.deptSales }),
      valid('user.suspend', 1), // approval
      valid('user.unlock', 0.1), // drop
      valid('group.add_member', 0.9, undefined, { groupId: IDS.groups.locLondon }),
      valid('user.clear_sessions', 0.9),
      valid('user.unlock', 0.9),
    ];
    const decisions = decideOpen(proposals, { mode: 'autonomous', policy });
    expect(decisions.map(summary)).toEqual([
      ['auto', 'confidence-meets-auto'],
      ['approval', 'risk-never-auto'],
      ['drop', 'confidence-below-floor'],
      ['auto', 'confidence-meets-auto'],
      ['approval', 'cap-per-event'],
      ['approval', 'cap-per-event'],
    ]);
    expect(decisions[4]?.reason).toMatch(
      /already has 2 automatic actions, the most the policy allows: a human decides/,
    );
    const none = decideOpen(proposals, {
      mode: 'autonomous',
      policy: policyOf({ limits: { maxAutoActionsPerEvent: 0 } }),
    });
    expect(none.some((d) => d.outcome === 'auto')).toBe(false);
  });

  it('observe: what autonomous mode would do, every decision marked observed', () => {
    const proposals = [valid('user.unlock', 0.9), valid('user.deactivate', 1), valid('app.assign', 0.9)];
    const observed = decideOpen(proposals, { mode: 'observe', policy: DEFAULT_POLICY });
    const autonomous = decideOpen(proposals, { mode: 'autonomous', policy: DEFAULT_POLICY });
    expect(observed.map((d) => [d.outcome, d.rule])).toEqual(autonomous.map((d) => [d.outcome, d.rule]));
    expect(observed.every((d) => d.observed && d.mode === 'observe')).toBe(true);
    expect(observed[0]?.reason).toMatch(/\(observe mode: nothing is done\)$/);
  });

  it('observe wins over a per-type mode: a dry run cannot be bypassed by configuration', () => {
    const policy = policyOf({ actions: { 'user.unlock': { mode: 'autonomous' }, 'app.assign': { mode: 'assisted' } } });
    const [unlock, assign] = decideOpen([valid('user.unlock', 0.9), valid('app.assign', 0.9)], {
      mode: 'observe',
      policy,
    });
    expect(unlock).toMatchObject({ outcome: 'auto', observed: true, mode: 'observe' });
    // The type's own mode is what the observation shows.
    expect(assign).toMatchObject({ outcome: 'approval', rule: 'mode-assisted', observed: true });
  });

  it('a per-type observe mode observes that type only, and its observed autos do not use up the real cap', () => {
    const policy = policyOf({
      actions: { 'user.clear_sessions': { mode: 'observe' } },
      limits: { maxAutoActionsPerEvent: 1 },
    });
    const decisions = decideOpen(
      [valid('user.clear_sessions', 0.9), valid('user.unlock', 0.9), valid('user.unlock', 0.95)],
      {
        mode: 'autonomous',
        policy,
      },
    );
    expect(decisions.map((d) => [d.outcome, d.rule, d.observed])).toEqual([
      ['auto', 'confidence-meets-auto', true],
      ['auto', 'confidence-meets-auto', false],
      ['approval', 'cap-per-event', false],
    ]);
  });

  it('is pure: the input is not changed, and the same input gives the same decisions', () => {
    const proposals = Object.freeze([valid('user.unlock', 0.9), valid('user.suspend', 1)].map((p) => Object.freeze(p)));
    const options = Object.freeze({ mode: 'autonomous' as const, policy: DEFAULT_POLICY });
    const first = decideOpen(proposals, options);
    expect(decideOpen(structuredClone(proposals), options)).toEqual(first);
    expect(first[0]?.proposal).toBe(proposals[0]);
  });
});

describe('demote (the pipeline’s per-hour cap)', () => {
  it('exports the stable rule ids', () => {
    expect(Object.values(RULES).sort()).toEqual(
      [
        'action-disabled',
        'cap-approvals-per-event',
        'cap-approvals-per-user',
        'cap-per-event',
        'cap-per-hour',
        'confidence-below-auto',
        'confidence-below-floor',
        'confidence-meets-auto',
        'mode-assisted',
        'no-auto-threshold',
        'out-of-intent',
        'risk-never-auto',
      ].sort(),
    );
    expect(RULES.capPerHour).toBe('cap-per-hour');
  });

  it('turns an automatic decision into an approval, naming the rule', () => {
    const auto = one(valid('user.unlock', 0.9), 'autonomous');
    expect(auto?.outcome).toBe('auto');
    const demoted = auto && demote(auto, RULES.capPerHour, '50 automatic actions in the last hour: a human decides');
    expect(demoted).toEqual({
      ...auto,
      outcome: 'approval',
      rule: 'cap-per-hour',
      reason: '50 automatic actions in the last hour: a human decides',
    });
  });

  it('leaves approvals and drops alone, and keeps an observation observed', () => {
    const approval = one(valid('user.suspend', 1), 'autonomous');
    const drop = one(valid('user.unlock', 0), 'autonomous');
    for (const d of [approval, drop]) if (d) expect(demote(d, RULES.capPerHour, 'x')).toBe(d);
    const observed = one(valid('user.unlock', 0.9), 'observe');
    expect(observed && demote(observed, RULES.capPerHour, 'hourly cap')).toMatchObject({
      outcome: 'approval',
      observed: true,
      reason: 'hourly cap (observe mode: nothing is done)',
    });
  });
});

// --- Properties ----------------------------------------------------------------------------------------------------

/** Any catalog action on the subject. */
const arbAction: fc.Arbitrary<Action> = fc
  .record({
    type: fc.constantFrom(...ACTION_TYPES),
    groupId: oktaId('00g'),
    appId: oktaId('0oa'),
    roleType: fc.constantFrom(...ADMIN_ROLE_TYPES),
    attributes: fc.dictionary(
      fc.constantFrom('title', 'department', 'city', 'email', 'login', 'mobilePhone'),
      fc.string(),
      {
        minKeys: 1,
        maxKeys: 3,
      },
    ),
  })
  .map(({ type, groupId, appId, roleType, attributes }) => {
    const params: Record<string, unknown> = { userId: S };
    if (type.startsWith('group.')) params.groupId = groupId;
    if (type.startsWith('app.')) params.appId = appId;
    if (type.startsWith('role.')) params.roleType = roleType;
    if (type === 'user.update_profile') params.attributes = attributes;
    return ActionSchema.parse({ type, params });
  });

/**
 * Any valid proposal, with a risk that may be the catalog's, raised (as the validator does for privileged groups), or
 * even forged lower (a buggy recommender that skipped the validator).
 */
const arbValid: fc.Arbitrary<ValidProposal> = fc
  .record({
    action: arbAction,
    risk: fc.option(fc.constantFrom(...RISK_LEVELS), { nil: undefined }),
    confidence: unitInterval,
  })
  .map(({ action, risk, confidence }) => ({
    action,
    risk: risk ?? riskOf(action),
    confidence,
    rationale: 'because',
    evidence: [],
  }));

const arbPolicy: fc.Arbitrary<PolicyConfig> = fc
  .record({
    ...policyCore({ maxActionOverrides: 8 }),
    limits: fc.record({ maxAutoActionsPerEvent: fc.nat(6), maxAutoActionsPerHour: fc.nat(100) }),
  })
  .map((input) => PolicyConfigSchema.parse({ version: 1, ...input }));

const worst = (d: Decision): RiskLevel =>
  RISK_LEVELS[Math.max(RISK_LEVELS.indexOf(d.proposal.risk), RISK_LEVELS.indexOf(riskOf(d.proposal.action)))] ??
  'critical';

describe('decide: properties', () => {
  test.prop([fc.array(arbValid, { maxLength: 20 }), arbPolicy, runMode], { numRuns: 500 })(
    'no high or critical action is ever auto; observe observes; caps hold; one decision per proposal, in order',
    (proposals, policy, mode) => {
      const decisions = decideOpen(proposals, { mode, policy });
      expect(decisions.map((d) => d.proposal)).toEqual(proposals);
      for (const d of decisions) {
        if (d.outcome === 'auto') expect(['low', 'medium']).toContain(worst(d));
        if (mode === 'observe') expect(d).toMatchObject({ observed: true, mode: 'observe' });
        const override = policy.actions[d.proposal.action.type];
        if (!d.observed) expect(d.mode).toBe(override?.mode ?? mode);
        if (override?.disabled) expect(d.rule).toBe('action-disabled');
        if (d.outcome === 'drop') {
          expect(override?.disabled || d.proposal.confidence < policy.dropBelowConfidence).toBe(true);
        }
        if (d.mode === 'assisted') expect(d.outcome).not.toBe('auto');
        expect(Object.values(RULES)).toContain(d.rule);
        expect(d.reason.length).toBeGreaterThan(0);
      }
      const cap = policy.limits.maxAutoActionsPerEvent;
      expect(decisions.filter((d) => d.outcome === 'auto' && !d.observed).length).toBeLessThanOrEqual(cap);
      expect(decisions.filter((d) => d.outcome === 'auto' && d.observed).length).toBeLessThanOrEqual(cap);
    },
  );

  test.prop([fc.array(arbValid, { maxLength: 20 }), arbPolicy, runMode])(
    'is deterministic and leaves its input alone',
    (proposals, policy, mode) => {
      const before = structuredClone({ proposals, policy });
      const first = decideOpen(proposals, { mode, policy });
      expect(decideOpen(structuredClone(proposals), { mode, policy: structuredClone(policy) })).toEqual(first);
      expect({ proposals, policy }).toEqual(before);
    },
  );

  test.prop([fc.array(arbValid, { minLength: 1, maxLength: 20 }), arbPolicy])(
    'observe decides exactly what autonomous mode would (no per-type modes), caps included',
    (proposals, withModes) => {
      const actions = Object.fromEntries(
        Object.entries(withModes.actions).map(([type, { mode: _mode, ...rest }]) => [type, rest]),
      );
      const policy: PolicyConfig = { ...withModes, actions };
      const observed = decideOpen(proposals, { mode: 'observe', policy });
      const autonomous = decideOpen(proposals, { mode: 'autonomous', policy });
      expect(observed.map((d) => [d.outcome, d.rule])).toEqual(autonomous.map((d) => [d.outcome, d.rule]));
      expect(autonomous.every((d) => !d.observed)).toBe(true);
    },
  );
});
