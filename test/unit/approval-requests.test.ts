import { describe, expect, it, vi } from 'vitest';
import { nextRecord } from '../../lambda/domain/approval.ts';
import { DEFAULT_POLICY, parsePolicy } from '../../lambda/domain/policy-config.ts';
import { runSweep } from '../../lambda/pipeline/sweep.ts';
import { dueChange } from '../../lambda/pipeline/sweep-approvals.ts';
import { approvalRequirement, approvalTimes } from '../../lambda/policy/approval-rules.ts';
import { startSchedule } from '../../local/schedule.ts';
import { newRequest, pendingApproval } from '../support/approvals.ts';

const T0 = new Date('2026-11-29T10:00:00.000Z');
const H = 3_600_000;
const at = (hours: number) => new Date(T0.getTime() + hours * H);

describe('the policy’s approvals section', () => {
  it('defaults: 72 h for every risk, a reminder half way, no escalation without a group', () => {
    expect(DEFAULT_POLICY.approvals).toMatchObject({
      expiryHours: { low: 72, medium: 72, high: 72, critical: 72 },
      reminderAfterFraction: 0.5,
      escalateAfterFraction: 0.75,
      escalationGroup: null,
    });
    expect(approvalTimes(DEFAULT_POLICY, 'high', T0)).toEqual({
      requestExpiresAt: at(72).toISOString(),
      remindAt: at(36).toISOString(),
    });
  });

  it('sets each time from its own field, and turns the reminder off with null', () => {
    const policy = parsePolicy(
      {
        version: 1,
        approvals: { expiryHours: { critical: 8 }, reminderAfterFraction: null, escalationGroup: 'security-oncall' },
      },
      'p',
    );
    expect(approvalTimes(policy, 'critical', T0)).toEqual({
      requestExpiresAt: at(8).toISOString(),
      escalateAt: at(6).toISOString(),
      escalationGroup: 'security-oncall',
    });
    expect(approvalTimes(policy, 'low', T0).requestExpiresAt).toBe(at(72).toISOString());
  });

  it.each([
    [{ expiryHours: { low: 0 } }, 'approvals.expiryHours.low'],
    [{ expiryHours: { urgent: 3 } }, 'approvals.expiryHours'],
    [{ reminderAfterFraction: 1 }, 'approvals.reminderAfterFraction'],
    [{ escalationGroup: '' }, 'approvals.escalationGroup'],
    [{ remindersPerDay: 3 }, 'approvals'],
  ])('refuses %j, naming %s', (approvals, field) => {
    expect(() => parsePolicy({ version: 1, approvals }, 'p')).toThrow(field);
  });

  it('asks two distinct approvers for critical actions and one otherwise', () => {
    expect(approvalRequirement(DEFAULT_POLICY, 'critical', 'user.deactivate').approvals).toBe(2);
    for (const risk of ['low', 'medium', 'high'] as const) {
      expect(approvalRequirement(DEFAULT_POLICY, risk, 'group.add_member')).toEqual({
        approvals: 1,
        groupSlots: [],
        reasonToApprove: false,
      });
    }
  });
});

describe('what the sweeper does to a pending request', () => {
  const policy = parsePolicy({ version: 1, approvals: { escalationGroup: 'oncall' } }, 'p');
  const request = () => newRequest(T0, { policy });

  it('nothing before its times', () => {
    expect(dueChange(request(), at(35))).toBeUndefined();
  });

  it('the reminder, then the escalation, each once; the fallback group stands in for one open group slot only', () => {
    const withSlots = {
      ...request(),
      required: { ...request().required, approvals: 2, groupSlots: [['security'], ['it']] },
    };
    const reminded = dueChange(withSlots, at(36));
    expect(reminded?.steps).toEqual(['reminded']);
    const after = reminded?.next ?? withSlots;
    expect(dueChange(after, at(40))).toBeUndefined();
    const escalated = dueChange(after, at(54));
    expect(escalated?.steps).toEqual(['escalated']);
    // Two members of the fallback group can never approve between them what needs two different groups.
    expect(escalated?.next.required).toEqual({
      approvals: 2,
      groupSlots: [['security', 'oncall'], ['it']],
      reasonToApprove: false,
      escalationGroups: ['oncall'],
    });
    expect(escalated?.next.version).toBe(after.version + 1);
  });

  it('escalation joins the slot no approval fills yet', () => {
    const base = request();
    const securityApproved = {
      ...base,
      required: { ...base.required, approvals: 2, groupSlots: [['security'], ['it']] },
      decisions: [
        {
          outcome: 'approve' as const,
          approverId: '00usec',
          approverLogin: 'sec@example.com',
          qualifyingGroups: ['security'],
          payloadHash: base.payloadHash,
          at: at(10).toISOString(),
        },
      ],
    };
    expect(dueChange(securityApproved, at(60))?.next.required.groupSlots).toEqual([['security'], ['it', 'oncall']]);
  });

  it('both at once after a long pause, and only expiry once the time is up', () => {
    expect(dueChange(request(), at(60))?.steps).toEqual(['reminded', 'escalated']);
    const expired = dueChange(request(), at(72));
    expect(expired?.steps).toEqual(['expired']);
    expect(expired?.next).toMatchObject({ state: 'expired', decidedAt: at(72).toISOString() });
  });

  it('nothing for a request that left pending', () => {
    const r = request();
    const decided = nextRecord(r, { state: 'rejected', decidedAt: at(1).toISOString() });
    expect(dueChange(decided, at(100))).toBeUndefined();
  });

  it('no escalation when the policy names no group', () => {
    const plain = newRequest(T0, { pending: pendingApproval() });
    expect(plain.escalateAt).toBeUndefined();
    expect(dueChange({ ...plain, remindedAt: at(36).toISOString() }, at(71))).toBeUndefined();
  });
});

describe('the sweeper’s steps', () => {
  it('a failing step does not stop the others, and is reported', async () => {
    const ran: string[] = [];
    const step = (name: string, n: number) => ({
      name,
      run: async () => {
        ran.push(name);
        return { n };
      },
    });
    const report = await runSweep(
      [
        step('first', 1),
        {
          name: 'broken',
          run: async () => {
            throw new Error('DynamoDB is down');
          },
        },
        step('last', 2),
      ],
      T0,
    );
    expect(ran).toEqual(['first', 'last']);
    expect(report).toEqual({
      results: { first: { n: 1 }, last: { n: 2 } },
      failed: [{ step: 'broken', error: 'DynamoDB is down' }],
    });
  });
});

describe('the local schedule', () => {
  it('invokes the handler with a scheduled event, never two runs at once, and stop waits for the one running', async () => {
    let running = 0;
    let overlapped = false;
    const events: unknown[] = [];
    let release: () => void = () => undefined;
    const handler = vi.fn(async (event: unknown) => {
      events.push(event);
      running += 1;
      if (running > 1) overlapped = true;
      await new Promise<void>((r) => {
        release = r;
      });
      running -= 1;
    });
    const schedule = startSchedule({ name: 'sweeper', fn: { handler, context: () => ({}) as never }, everyMs: 5 });
    await vi.waitFor(() => expect(handler).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 30)); // several ticks while the first run is still going
    expect(handler).toHaveBeenCalledTimes(1);
    const stopped = schedule.stop();
    release();
    await stopped;
    expect(overlapped).toBe(false);
    expect(schedule.runs()).toBe(1);
    expect(events[0]).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
  });
});
