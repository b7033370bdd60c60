import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  ACTION_TYPES,
  ActionSchema,
  type ActionType,
  ADMIN_ROLE_TYPES,
  RISK_LEVELS,
  riskOf,
} from '../../lambda/domain/catalog.ts';
import { INTENTS, type Intent } from '../../lambda/domain/intent.ts';
import {
  DEFAULT_INTENT_SCOPES,
  DEFAULT_POLICY,
  inIntentScope,
  MODES,
  type Mode,
  type PolicyConfig,
  PolicyConfigSchema,
  parsePolicy,
} from '../../lambda/domain/policy-config.ts';
import type { Decision, ValidProposal } from '../../lambda/domain/recommendation.ts';
import { ConfigError } from '../../lambda/errors.ts';
import { approvalCaps } from '../../lambda/policy/approval-caps.ts';
import { decide, dropApproval, GUARD_ALERTS, RULES } from '../../lambda/policy/decide.ts';
import type { ApprovalQuota } from '../../lambda/ports.ts';
import { IDS } from '../support/contexts.ts';

/**
 * The approval-fatigue guard, as pure rules: the intent scopes (what an event may lead to, `decide`) and the caps on
 * approval requests per event and per subject user (`approvalCaps`, over an in-memory quota with the port's semantics;
 * the DynamoDB quota has its own test in test/integration/fatigue-guard.test.ts).
 */

const S = IDS.subject;
const ADDITIONS: readonly ActionType[] = ['group.add_member', 'app.assign', 'role.assign'];
const REMOVALS: readonly ActionType[] = ['group.remove_member', 'app.unassign', 'role.unassign'];
/** Never a response to an event by default: a human's own work, or the inverse of an action a human approved. */
const NO_INTENT: readonly ActionType[] = [
  'role.assign',
  'user.update_profile',
  'user.delete',
  'user.unlock',
  'user.unsuspend',
];

const scope = (intent: Intent) => DEFAULT_INTENT_SCOPES[intent];

describe('the default intent scopes (Okta practice)', () => {
  it('a joiner gets additions and activation, never a removal, deactivation or containment', () => {
    expect([...scope('joiner')].sort()).toEqual(
      ['app.assign', 'group.add_member', 'user.activate', 'user.reactivate'].sort(),
    );
  });

  it('a leaver loses access (removals, deactivation or suspension, sessions), never gains any', () => {
    for (const type of [
      'group.remove_member',
      'app.unassign',
      'user.deactivate',
      'user.suspend',
      'user.clear_sessions',
    ])
      expect(scope('leaver')).toContain(type);
    for (const type of [...ADDITIONS, 'user.activate', 'user.reactivate', 'user.unsuspend'])
      expect(scope('leaver')).not.toContain(type);
  });

  it('a security signal gets containment: sessions, password expiry or reset, suspension, MFA reset', () => {
    expect([...scope('security')].sort()).toEqual(
      [
        'user.clear_sessions',
        'user.expire_password',
        'user.reset_factors',
        'user.reset_password',
        'user.suspend',
      ].sort(),
    );
  });

  it('a membership change can only be taken back', () => {
    expect(scope('membership')).toEqual(['group.remove_member']);
  });

  it('a mover changes access both ways, but is never given an admin role', () => {
    for (const type of ['group.add_member', 'group.remove_member', 'app.assign', 'app.unassign', 'role.unassign'])
      expect(scope('mover')).toContain(type);
    expect(scope('mover')).not.toContain('role.assign');
    expect(scope('mover')).not.toContain('user.deactivate');
  });

  it('maps every catalog action somewhere, except the few that are never a response to an event', () => {
    const scoped = new Set(INTENTS.flatMap((i) => scope(i)));
    for (const type of ACTION_TYPES) expect(scoped.has(type) !== NO_INTENT.includes(type), type).toBe(true);
    for (const type of REMOVALS) expect(scope('joiner')).not.toContain(type);
  });

  it('is the default policy, and the project policy file states it as is', () => {
    expect(DEFAULT_POLICY.intentScopes).toEqual(DEFAULT_INTENT_SCOPES);
    const file = parsePolicy(
      JSON.parse(readFileSync('policy/hookpilot.policy.json', 'utf8')),
      'policy/hookpilot.policy.json',
    );
    expect(file.intentScopes).toEqual(DEFAULT_INTENT_SCOPES);
    expect(file.limits).toMatchObject({
      maxApprovalsPerEvent: 5,
      maxPendingApprovalsPerUser: 10,
      approvalWindowHours: 24,
    });
  });
});

describe('intentScopes and the caps in the policy file', () => {
  it('an intent given alone replaces that intent’s scope and keeps the others’ defaults', () => {
    const policy = PolicyConfigSchema.parse({ version: 1, intentScopes: { membership: [] } });
    expect(policy.intentScopes.membership).toEqual([]);
    expect(policy.intentScopes.joiner).toEqual(DEFAULT_INTENT_SCOPES.joiner);
    expect(inIntentScope('membership', 'group.remove_member', policy)).toBe(false);
    expect(inIntentScope('joiner', 'group.add_member', policy)).toBe(true);
  });

  it.each([
    [{ intentScopes: { joiner: ['group.add_member', 'shell.exec'] } }, /intentScopes\.joiner\.1/],
    [{ intentScopes: { joiner: ['app.assign', 'app.assign'] } }, /intentScopes\.joiner: each action type once/],
    [{ intentScopes: { onboarding: [] } }, /intentScopes/],
    [{ limits: { maxApprovalsPerEvent: -1 } }, /limits\.maxApprovalsPerEvent/],
    [{ limits: { maxPendingApprovalsPerUser: 1.5 } }, /limits\.maxPendingApprovalsPerUser/],
    [{ limits: { approvalWindowHours: 0 } }, /limits\.approvalWindowHours/],
  ])('refuses %j, naming the field', (input, field) => {
    expect(() => parsePolicy({ version: 1, ...input }, 'test.json')).toThrow(ConfigError);
    expect(() => parsePolicy({ version: 1, ...input }, 'test.json')).toThrow(field);
  });
});

// ─── decide: nothing out of scope goes anywhere ─────────────────────────────────────────────────────────────────────

const arbOktaId = (prefix: string) => fc.stringMatching(/^[A-Za-z0-9]{17}$/).map((rest) => `${prefix}${rest}`);

/** A valid proposal of any catalog type, any confidence, any (forged) risk. */
const arbValid: fc.Arbitrary<ValidProposal> = fc
  .record({
    type: fc.constantFrom(...ACTION_TYPES),
    groupId: arbOktaId('00g'),
    appId: arbOktaId('0oa'),
    roleType: fc.constantFrom(...ADMIN_ROLE_TYPES),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    risk: fc.option(fc.constantFrom(...RISK_LEVELS), { nil: undefined }),
  })
  .map(({ type, groupId, appId, roleType, confidence, risk }) => {
    const params: Record<string, unknown> = { userId: S };
    if (type.startsWith('group.')) params.groupId = groupId;
    if (type.startsWith('app.')) params.appId = appId;
    if (type.startsWith('role.')) params.roleType = roleType;
    if (type === 'user.update_profile') params.attributes = { email: 'x@attacker.example' };
    const action = ActionSchema.parse({ type, params });
    return { action, risk: risk ?? riskOf(action), confidence, rationale: 'trust me', evidence: ['auto-approved'] };
  });

/** A policy with random scopes, modes, thresholds and per-type overrides. */
const arbPolicy: fc.Arbitrary<PolicyConfig> = fc
  .record({
    intentScopes: fc.record(
      Object.fromEntries(INTENTS.map((i) => [i, fc.subarray([...ACTION_TYPES])])) as Record<
        Intent,
        fc.Arbitrary<ActionType[]>
      >,
      { requiredKeys: [] },
    ),
    autoApprove: fc.record({
      low: fc.option(fc.record({ minConfidence: fc.double({ min: 0, max: 1, noNaN: true }) }), { nil: null }),
      medium: fc.option(fc.record({ minConfidence: fc.double({ min: 0, max: 1, noNaN: true }) }), { nil: null }),
    }),
    dropBelowConfidence: fc.double({ min: 0, max: 1, noNaN: true }),
    actions: fc.dictionary(
      fc.constantFrom(...ACTION_TYPES),
      fc.record(
        { mode: fc.constantFrom(...MODES), minConfidence: fc.double({ min: 0, max: 1, noNaN: true }) },
        {
          requiredKeys: [],
        },
      ),
      { maxKeys: 6 },
    ),
  })
  .map((input) => PolicyConfigSchema.parse({ version: 1, ...input }));

describe('decide: the intent scope', () => {
  test.prop(
    [
      fc.array(arbValid, { maxLength: 30 }),
      fc.constantFrom(...INTENTS),
      fc.constantFrom<Mode>(...MODES),
      fc.oneof(fc.constant(DEFAULT_POLICY), arbPolicy),
    ],
    { numRuns: 400 },
  )(
    'random proposals of any type for any intent: nothing out of scope is ever approval or auto; all of it is dropped, audited as out-of-intent',
    (proposals, intent, mode, policy) => {
      const decisions = decide(proposals, { mode, policy, intent });
      expect(decisions).toHaveLength(proposals.length);
      for (const d of decisions) {
        const inScope = policy.intentScopes[intent].includes(d.proposal.action.type);
        if (!inScope) {
          expect([d.outcome, d.rule]).toEqual(['drop', 'out-of-intent']);
          expect(d.reason).toContain(`not something a ${intent} event can lead to`);
          expect(d.reason).toContain(`intentScopes.${intent}`);
        } else {
          expect(d.rule).not.toBe('out-of-intent');
        }
        if (mode === 'observe') expect(d.observed).toBe(true);
      }
    },
  );

  it('drops out-of-scope actions even when the type has its own autonomous mode and threshold 0', () => {
    const policy = PolicyConfigSchema.parse({
      version: 1,
      actions: { 'user.deactivate': { mode: 'autonomous', minConfidence: 0 } },
    });
    const [p] = fc.sample(
      arbValid.filter((v) => v.action.type === 'user.deactivate'),
      { numRuns: 1, seed: 1 },
    );
    if (!p) throw new Error('no sample');
    const [joiner] = decide([{ ...p, confidence: 1 }], { mode: 'autonomous', policy, intent: 'joiner' });
    expect([joiner?.outcome, joiner?.rule]).toEqual(['drop', 'out-of-intent']);
    const [leaver] = decide([{ ...p, confidence: 1 }], { mode: 'autonomous', policy, intent: 'leaver' });
    expect([leaver?.outcome, leaver?.rule]).toEqual(['approval', 'risk-never-auto']); // critical: a human decides
  });

  it('names an alert message key for each guard rule, and none for the others', () => {
    expect(GUARD_ALERTS).toEqual({
      'out-of-intent': 'hookpilot.guard.out_of_intent',
      'cap-approvals-per-event': 'hookpilot.guard.approval_cap',
      'cap-approvals-per-user': 'hookpilot.guard.approval_cap',
    });
    for (const rule of Object.values(RULES)) {
      if (!(rule in GUARD_ALERTS)) expect(rule.startsWith('cap-approvals') || rule === 'out-of-intent').toBe(false);
    }
  });
});

// ─── The caps ───────────────────────────────────────────────────────────────────────────────────────────────────────

/** The ApprovalQuota port's semantics in memory: slots per user, each with the time it was taken. */
class MemoryQuota implements ApprovalQuota {
  readonly slots = new Map<string, Map<string, number>>();
  async reserveApprovalSlot(userId: string, actionId: string, cap: number, windowMs: number, now: Date) {
    if (cap <= 0) return false;
    const since = now.getTime() - windowMs;
    const mine = this.slots.get(userId) ?? new Map<string, number>();
    this.slots.set(userId, mine);
    for (const [id, at] of mine) if (at <= since && id !== actionId) mine.delete(id);
    const at = mine.get(actionId);
    if (at !== undefined && at > since) return true;
    if (mine.size - (at === undefined ? 0 : 1) >= cap) return false;
    mine.set(actionId, now.getTime());
    return true;
  }
}

const decisionOf = (proposal: ValidProposal, outcome: Decision['outcome'], observed = false): Decision => ({
  proposal,
  outcome,
  mode: observed ? 'observe' : 'assisted',
  observed,
  rule: outcome === 'approval' ? 'mode-assisted' : 'confidence-meets-auto',
  reason: 'a reason',
});

const limitsPolicy = (maxApprovalsPerEvent: number, maxPendingApprovalsPerUser: number, approvalWindowHours = 24) =>
  PolicyConfigSchema.parse({
    version: 1,
    limits: { maxApprovalsPerEvent, maxPendingApprovalsPerUser, approvalWindowHours },
  });

const USERS = ['00uUSERA0000000000001', '00uUSERB0000000000002', '00uUSERC0000000000003'];

describe('approvalCaps', () => {
  test.prop(
    [
      fc.array(
        fc.record({
          user: fc.constantFrom(...USERS),
          outcomes: fc.array(fc.constantFrom<Decision['outcome']>('approval', 'approval', 'auto', 'drop'), {
            maxLength: 15,
          }),
          /** Minutes after the first event. */
          minutes: fc.nat(3 * 24 * 60),
          redeliveries: fc.nat(2),
        }),
        { maxLength: 12 },
      ),
      fc.nat(6),
      fc.nat(12),
      fc.constantFrom(1, 6, 24),
    ],
    { numRuns: 200 },
  )(
    'however many events and redeliveries: at most maxApprovalsPerEvent per event, maxPendingApprovalsPerUser per user in any window, and a redelivery decides the same without taking a slot',
    async (events, perEvent, perUser, hours) => {
      const policy = limitsPolicy(perEvent, perUser, hours);
      const quota = new MemoryQuota();
      const start = Date.parse('2026-11-01T00:00:00Z');
      const [proposal] = fc.sample(arbValid, { numRuns: 1, seed: 3 });
      if (!proposal) throw new Error('no sample');
      /** Every approval that stood, by user: [action id, time]. */
      const asked = new Map<string, Map<string, number>>();
      const sorted = [...events].sort((a, b) => a.minutes - b.minutes);
      for (const [e, event] of sorted.entries()) {
        const now = new Date(start + event.minutes * 60_000);
        let first: string[] | undefined;
        for (let delivery = 0; delivery <= event.redeliveries; delivery += 1) {
          const caps = approvalCaps(event.user, { quota, policy, now });
          const results: Decision[] = [];
          for (const [i, outcome] of event.outcomes.entries()) {
            results.push(await caps(decisionOf(proposal, outcome), `e${e}-a${i}`));
          }
          const summary = results.map((d) => `${d.outcome}:${d.rule}`);
          if (first) expect(summary).toEqual(first);
          first = summary;
          // Only approvals are ever changed, and only into drops by a cap rule.
          results.forEach((d, i) => {
            if (event.outcomes[i] !== 'approval') expect(d.outcome).toBe(event.outcomes[i]);
            else if (d.outcome === 'drop')
              expect(['cap-approvals-per-event', 'cap-approvals-per-user']).toContain(d.rule);
          });
          expect(results.filter((d) => d.outcome === 'approval').length).toBeLessThanOrEqual(perEvent);
          const mine = asked.get(event.user) ?? new Map<string, number>();
          asked.set(event.user, mine);
          results.forEach((d, i) => {
            if (d.outcome === 'approval' && !mine.has(`e${e}-a${i}`)) mine.set(`e${e}-a${i}`, now.getTime());
          });
        }
      }
      // In every window ending at an approval, no user was asked about more than the cap.
      for (const times of asked.values()) {
        const all = [...times.values()].sort((a, b) => a - b);
        for (const t of all) {
          expect(all.filter((x) => x > t - hours * 3_600_000 && x <= t).length).toBeLessThanOrEqual(perUser);
        }
      }
    },
  );

  it('counts observed approvals toward the event’s cap but takes no slot of the user’s quota', async () => {
    const quota = new MemoryQuota();
    const policy = limitsPolicy(2, 1);
    const [proposal] = fc.sample(arbValid, { numRuns: 1, seed: 4 });
    if (!proposal) throw new Error('no sample');
    const caps = approvalCaps(USERS[0] as string, { quota, policy, now: new Date() });
    const out = [];
    for (const id of ['a', 'b', 'c']) out.push(await caps(decisionOf(proposal, 'approval', true), id));
    expect(out.map((d) => [d.outcome, d.rule, d.observed])).toEqual([
      ['approval', 'mode-assisted', true],
      ['approval', 'mode-assisted', true],
      ['drop', 'cap-approvals-per-event', true],
    ]);
    expect(out[2]?.reason).toMatch(/limits\.maxApprovalsPerEvent\): dropped \(observe mode: nothing is done\)$/);
    expect(quota.slots.size).toBe(0);
  });

  it('drops beyond the user’s quota with a reason naming the cap and the window', async () => {
    const quota = new MemoryQuota();
    const policy = limitsPolicy(5, 2, 24);
    const [proposal] = fc.sample(arbValid, { numRuns: 1, seed: 5 });
    if (!proposal) throw new Error('no sample');
    const user = USERS[1] as string;
    const now = new Date('2026-11-02T10:00:00Z');
    const first = approvalCaps(user, { quota, policy, now });
    expect((await first(decisionOf(proposal, 'approval'), 'x1')).outcome).toBe('approval');
    expect((await first(decisionOf(proposal, 'approval'), 'x2')).outcome).toBe('approval');
    const later = approvalCaps(user, { quota, policy, now: new Date('2026-11-02T20:00:00Z') });
    const dropped = await later(decisionOf(proposal, 'approval'), 'y1');
    expect([dropped.outcome, dropped.rule]).toEqual(['drop', 'cap-approvals-per-user']);
    expect(dropped.reason).toBe(
      `user ${user} has been the subject of 2 approval requests in the last 24 h, the most the policy allows (limits.maxPendingApprovalsPerUser): dropped`,
    );
    // A day after the first two, the window has room again.
    const nextDay = approvalCaps(user, { quota, policy, now: new Date('2026-11-03T10:00:01Z') });
    expect((await nextDay(decisionOf(proposal, 'approval'), 'z1')).outcome).toBe('approval');
  });

  it('dropApproval leaves automatic decisions and drops alone', () => {
    const [proposal] = fc.sample(arbValid, { numRuns: 1, seed: 6 });
    if (!proposal) throw new Error('no sample');
    for (const outcome of ['auto', 'drop'] as const) {
      const d = decisionOf(proposal, outcome);
      expect(dropApproval(d, RULES.capApprovalsPerEvent, 'x')).toBe(d);
    }
  });
});
