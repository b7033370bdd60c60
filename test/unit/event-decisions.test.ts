import { describe, expect, it } from 'vitest';
import { actionIdFor, SECURITY_WINDOW_MINUTES } from '../../lambda/domain/action-message.ts';
import type { Action } from '../../lambda/domain/catalog.ts';
import { DEFAULT_POLICY, PolicyConfigSchema } from '../../lambda/domain/policy-config.ts';
import type { Decision } from '../../lambda/domain/recommendation.ts';
import type { LogEvent } from '../../lambda/okta/event-hook.ts';
import { requestIdOf } from '../../lambda/okta/log-event.ts';
import { StoredRecommendationSchema } from '../../lambda/pipeline/stored-recommendation.ts';
import { describeOutcome, RULES } from '../../lambda/policy/decide.ts';
import { withinHourlyCap } from '../../lambda/policy/hourly-cap.ts';
import type { HourlyBudget } from '../../lambda/ports.ts';
import { moverChange, moverSnapshot } from '../../lambda/recommend/mover.ts';
import { IDS, salesJoinerContext } from '../support/contexts.ts';

/** The parts the events consumer's use case is told with, each in its own module, checked on their own. */

const addToSales: Action = { type: 'group.add_member', params: { userId: IDS.subject, groupId: IDS.groups.deptSales } };
const decision = (outcome: Decision['outcome'], observed = false): Decision => ({
  proposal: { action: addToSales, risk: 'low', confidence: 0.9, rationale: 'peers hold it', evidence: [] },
  outcome,
  mode: observed ? 'observe' : 'autonomous',
  observed,
  rule: 'confidence-auto',
  reason: 'confident enough',
});

describe('action ids', () => {
  const event = { uuid: 'evt-1', published: '2026-03-02T16:41:07.512Z' };
  it('number a recommendation’s actions within their event', () => {
    expect(actionIdFor(event, 'joiner', IDS.subject, addToSales, 2)).toBe('evt-1:2');
  });
  it('name a security response by user, action and window: the same within a window, new in the next', () => {
    const id = actionIdFor(event, 'security', IDS.subject, addToSales, 0);
    expect(id).toMatch(new RegExp(`^security:${IDS.subject}:group\\.add_member\\.${IDS.groups.deptSales}:\\d+$`));
    const sameWindow = { uuid: 'evt-2', published: '2026-03-02T16:41:59.000Z' };
    const nextWindow = {
      uuid: 'evt-3',
      published: new Date(Date.parse(event.published) + SECURITY_WINDOW_MINUTES * 60_000).toISOString(),
    };
    expect(actionIdFor(sameWindow, 'security', IDS.subject, addToSales, 3)).toBe(id);
    expect(actionIdFor(nextWindow, 'security', IDS.subject, addToSales, 0)).not.toBe(id);
  });
});

describe("Okta's request id in a System Log event", () => {
  const event = (debugContext: unknown): LogEvent =>
    ({
      uuid: 'u',
      published: '2026-03-02T16:41:07.512Z',
      eventType: 'user.lifecycle.suspend',
      debugContext,
    }) as LogEvent;
  it('is read from debugContext.debugData.requestId', () => {
    expect(requestIdOf(event({ debugData: { requestId: 'reqABC123' } }))).toBe('reqABC123');
  });
  it('is absent when Okta does not say, says it empty, or says something else', () => {
    expect(requestIdOf(event(undefined))).toBeUndefined();
    expect(requestIdOf(event({ debugData: { requestId: '' } }))).toBeUndefined();
    expect(requestIdOf(event({ debugData: { requestId: 42 } }))).toBeUndefined();
    expect(requestIdOf(event('not an object'))).toBeUndefined();
  });
});

describe('the wording of a decision’s outcome', () => {
  it('says what was done, or in observe mode what would have been', () => {
    expect(describeOutcome(decision('auto'))).toBe('queued to run automatically');
    expect(describeOutcome(decision('approval'))).toBe('sent for approval');
    expect(describeOutcome(decision('drop'))).toBe('dropped');
    expect(describeOutcome(decision('auto', true))).toBe('observed (would have run it automatically)');
    expect(describeOutcome(decision('approval', true))).toBe('observed (would have asked a human)');
    expect(describeOutcome(decision('drop', true))).toBe('observed (would have dropped it)');
  });
});

describe('the hourly cap', () => {
  const budget = (slots: number): HourlyBudget & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      reserveAutoSlot: async (hour, actionId) => {
        asked.push(`${hour} ${actionId}`);
        return asked.length <= slots;
      },
    };
  };
  const policy = PolicyConfigSchema.parse({ version: 1, limits: { maxAutoActionsPerHour: 1 } });
  const now = new Date('2026-03-02T16:41:07.512Z');

  it('lets an automatic decision through while the hour has a slot, then asks a human', async () => {
    const b = budget(1);
    expect(await withinHourlyCap(decision('auto'), 'a1', { budget: b, policy, now })).toMatchObject({
      outcome: 'auto',
    });
    expect(await withinHourlyCap(decision('auto'), 'a2', { budget: b, policy, now })).toMatchObject({
      outcome: 'approval',
      rule: RULES.capPerHour,
      reason: "the hour's 1 automatic actions are used up",
    });
    expect(b.asked).toEqual(['2026-03-02T16 a1', '2026-03-02T16 a2']);
  });
  it('uses no slot for approvals, drops or observed decisions', async () => {
    const b = budget(0);
    for (const d of [decision('approval'), decision('drop'), decision('auto', true)]) {
      expect(await withinHourlyCap(d, 'a', { budget: b, policy: DEFAULT_POLICY, now })).toBe(d);
    }
    expect(b.asked).toEqual([]);
  });
});

describe('mover detection', () => {
  it('trusts Okta’s list of changed attributes when there is one', () => {
    const context = salesJoinerContext({
      intent: 'mover',
      event: { ...salesJoinerContext().event, changedAttributes: ['title', 'nickName'] },
    });
    expect(moverChange(context)).toEqual({ moved: true, reason: 'title changed' });
    const cosmetic = { ...context, event: { ...context.event, changedAttributes: ['nickName'] } };
    expect(moverChange(cosmetic).moved).toBe(false);
  });
  it('else compares with the last recorded snapshot, and without one makes this the baseline', () => {
    const context = salesJoinerContext({ intent: 'mover' });
    expect(moverChange(context).moved).toBe(false);
    const snapshot = moverSnapshot(context);
    expect(moverChange({ ...context, previousProfile: snapshot })).toMatchObject({ moved: false });
    expect(moverChange({ ...context, previousProfile: { ...snapshot, department: 'Finance' } })).toEqual({
      moved: true,
      reason: 'department changed since last seen',
    });
  });
});

describe('the stored recommendation', () => {
  const stored = {
    intent: 'joiner',
    recommender: 'rules',
    assessment: 'a joiner in Sales',
    proposals: [{ action: addToSales, risk: 'low', confidence: 0.9, rationale: 'peers', evidence: ['7 of 8 peers'] }],
    userStatus: 'ACTIVE',
    rejected: 0,
    preconditionProfile: { department: 'Sales', manager: null },
  };
  it('reads back what the consumer records (extra detail is ignored; the model and prompt version are kept)', () => {
    expect(StoredRecommendationSchema.parse({ ...stored, usage: { totalTokens: 1 }, context: { chars: 1 } })).toEqual(
      stored,
    );
    expect(StoredRecommendationSchema.parse({ ...stored, model: 'm', promptVersion: 'v' })).toEqual({
      ...stored,
      model: 'm',
      promptVersion: 'v',
    });
  });
  it('refuses a record whose proposals are not catalog actions, or whose status is not Okta’s', () => {
    const offCatalog = { ...stored, proposals: [{ ...stored.proposals[0], action: { type: 'org.wipe', params: {} } }] };
    expect(StoredRecommendationSchema.safeParse(offCatalog).success).toBe(false);
    expect(StoredRecommendationSchema.safeParse({ ...stored, userStatus: 'HAPPY' }).success).toBe(false);
  });
});
