import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import type { ApprovalRecord } from '../../lambda/domain/approval.ts';
import { payloadHash } from '../../lambda/domain/approval.ts';
import { DEFAULT_POLICY, type PolicyConfig, PolicyConfigSchema } from '../../lambda/domain/policy-config.ts';
import { HookpilotError } from '../../lambda/errors.ts';
import {
  type ApproverPrincipal,
  type DecisionBody,
  decideApproval,
  parseDecisionBody,
  standingOf,
} from '../../lambda/pipeline/decide-approval.ts';
import { approvalRequirement, assignSlots, progressOf } from '../../lambda/policy/approval-rules.ts';
import { MemoryApprovalStore, MemoryAudit, MemoryQueue, pendingRecord } from '../support/approval-fakes.ts';

const it1: ApproverPrincipal = { userId: '00uItApprover0000001', login: 'ivy@acme.example', groups: ['it-approvers'] };
const it2: ApproverPrincipal = { userId: '00uItApprover0000002', login: 'ian@acme.example', groups: ['it-approvers'] };
const sec1: ApproverPrincipal = {
  userId: '00uSecApprover000001',
  login: 'sam@acme.example',
  groups: ['Everyone', 'security-approvers'],
};
const outsider: ApproverPrincipal = {
  userId: '00uOutsider000000001',
  login: 'olga@acme.example',
  groups: ['Everyone'],
};

function setup(record: ApprovalRecord, policy: PolicyConfig = DEFAULT_POLICY, now = new Date()) {
  const store = new MemoryApprovalStore();
  store.records.set(record.approvalId, structuredClone(record));
  const queue = new MemoryQueue<ActionMessage>();
  const audit = new MemoryAudit();
  const deps = { store, actionsQueue: queue, audit, policy, clock: () => now };
  const decide = (principal: ApproverPrincipal, body: Partial<DecisionBody> & Pick<DecisionBody, 'decision'>) =>
    decideApproval(
      { principal, approvalId: record.approvalId, body: { payloadHash: record.payloadHash, ...body } },
      deps,
    );
  const stored = () => store.records.get(record.approvalId) as ApprovalRecord;
  return { store, queue, audit, deps, decide, stored };
}

/** The error a promise rejects with: its status and code. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HookpilotError);
  const { status, code, message } = error as HookpilotError;
  return { status, code, message };
}

describe('deciding an approval request', () => {
  it('an approver approves: approved, the exact action queued once with origin approval, audited, one outbox event', async () => {
    const record = pendingRecord();
    const { decide, queue, audit, store, stored } = setup(record);
    const result = await decide(it1, { decision: 'approve' });
    expect(result).toMatchObject({ state: 'approved', queued: true });
    expect(stored()).toMatchObject({ state: 'approved', version: 1 });
    expect(stored().decisions).toEqual([
      expect.objectContaining({ outcome: 'approve', approverId: it1.userId, qualifyingGroups: ['it-approvers'] }),
    ]);
    expect(queue.sent).toHaveLength(1);
    const sent = queue.sent[0];
    expect(sent?.id).toBe(record.message.actionId);
    expect(sent?.body).toEqual({
      ...record.message,
      origin: { ...record.message.origin, kind: 'approval', approvalId: record.approvalId, approvedBy: it1.userId },
      decidedAt: stored().decidedAt,
    });
    expect(store.events.map((e) => e.step)).toEqual(['approved']);
    const kinds = [...audit.byKey.values()].map((r) => [r.kind, r.correlationId]);
    // The decision's record here; the state change's (`approval.approved`) comes with its published event.
    expect(kinds).toEqual([['approval.approve', record.correlationId]]);
    expect([...audit.byKey.values()][0]?.detail).toMatchObject({ approverId: it1.userId });
  });

  it('a rejection with a reason rejects and queues nothing', async () => {
    const record = pendingRecord();
    const { decide, queue, stored, store } = setup(record);
    await expect(decide(it1, { decision: 'reject', reason: 'not needed for the role' })).resolves.toMatchObject({
      state: 'rejected',
      queued: false,
    });
    expect(stored().decisions[0]).toMatchObject({ outcome: 'reject', reason: 'not needed for the role' });
    expect(queue.sent).toHaveLength(0);
    expect(store.events.map((e) => e.step)).toEqual(['rejected']);
  });

  it('an unknown id is 404', async () => {
    const { deps } = setup(pendingRecord());
    const body = { decision: 'approve' as const, payloadHash: 'a'.repeat(64) };
    expect(await refusal(decideApproval({ principal: it1, approvalId: 'apr_nope', body }, deps))).toMatchObject({
      status: 404,
    });
  });

  it.each([
    ['a non-approver', outsider, 403, 'not_an_approver'],
    ['an IT approver on a high-risk action (security decides)', it1, 403, 'not_an_approver'],
  ])('%s is refused and nothing changes', async (_name, principal, status, code) => {
    const record = pendingRecord({
      risk: 'high',
      action: { type: 'user.suspend', params: { userId: '00uSubject0000000001' } },
    });
    const { decide, queue, stored } = setup(record);
    expect(await refusal(decide(principal, { decision: 'approve' }))).toMatchObject({ status, code });
    expect(stored()).toEqual(record);
    expect(queue.sent).toHaveLength(0);
  });

  it('nobody decides on their own request: by Okta user id, and by login when the action names one', async () => {
    const self = pendingRecord({ userId: it1.userId });
    const a = setup(self);
    expect(await refusal(a.decide(it1, { decision: 'approve' }))).toMatchObject({ status: 403, code: 'self_decision' });
    expect(await refusal(a.decide(it1, { decision: 'reject', reason: 'x' }))).toMatchObject({ code: 'self_decision' });
    const byLogin = pendingRecord({
      action: { type: 'user.update_profile', params: { userId: '00uOther00000000001', login: 'IVY@acme.example' } },
    });
    const b = setup({ ...byLogin, subjectUserId: undefined });
    expect(await refusal(b.decide(it1, { decision: 'approve' }))).toMatchObject({ code: 'self_decision' });
    expect(a.queue.sent.length + b.queue.sent.length).toBe(0);
  });

  it('a decided request is 409 naming its state and who decided', async () => {
    const record = pendingRecord();
    const { decide } = setup(record);
    await decide(it1, { decision: 'reject', reason: 'no' });
    const r = await refusal(decide(sec1, { decision: 'approve' }));
    expect(r).toMatchObject({ status: 409, code: 'not_pending' });
    expect(r.message).toContain('rejected by ivy@acme.example');
  });

  it('a request past its expiry is 409 expired even while still pending in the table, and never runs', async () => {
    const now = new Date();
    const record = pendingRecord({ now: new Date(now.getTime() - 10_000), expiresInMs: 5_000 });
    const { decide, queue, stored } = setup(record, DEFAULT_POLICY, now);
    expect(await refusal(decide(it1, { decision: 'approve' }))).toMatchObject({ status: 409, code: 'expired' });
    expect(stored().state).toBe('pending');
    expect(queue.sent).toHaveLength(0);
  });

  it('a payload hash that does not match is 409 payload_changed', async () => {
    const record = pendingRecord();
    const { decide, stored } = setup(record);
    expect(await refusal(decide(it1, { decision: 'approve', payloadHash: 'b'.repeat(64) }))).toMatchObject({
      status: 409,
      code: 'payload_changed',
    });
    // The stored action changed after the approver saw it: the old hash no longer binds.
    const changed = {
      ...record,
      message: { ...record.message, action: { ...record.message.action, params: { userId: 'x', groupId: 'y' } } },
    };
    const c = setup(changed);
    expect(await refusal(c.decide(it1, { decision: 'approve' }))).toMatchObject({ code: 'payload_changed' });
    expect(stored().decisions).toHaveLength(0);
  });

  it('a rejection needs a reason; the policy can require one to approve', async () => {
    const record = pendingRecord();
    const { decide } = setup(record);
    expect(await refusal(decide(it1, { decision: 'reject' }))).toMatchObject({ status: 400, code: 'reason_required' });
    const strict = PolicyConfigSchema.parse({ version: 1, approvals: { reasonToApprove: true } });
    const withReason = pendingRecord({ policy: strict });
    const s = setup(withReason, strict);
    expect(await refusal(s.decide(it1, { decision: 'approve' }))).toMatchObject({ code: 'reason_required' });
    await expect(s.decide(it1, { decision: 'approve', reason: 'ticket IT-42' })).resolves.toMatchObject({
      state: 'approved',
    });
  });

  it('approve-for-less: a shorter duration is granted, a longer one is 400', async () => {
    const record = pendingRecord({ durationSeconds: 12 * 3600 });
    const { decide, queue, stored } = setup(record);
    expect(await refusal(decide(it1, { decision: 'approve', durationSeconds: 13 * 3600 }))).toMatchObject({
      status: 400,
    });
    const result = await decide(it1, { decision: 'approve', durationSeconds: 3600 });
    expect(result.grantedDurationSeconds).toBe(3600);
    expect(stored().grantedDurationSeconds).toBe(3600);
    // The clock starts when the executor grants it: the message carries the duration, not an end time.
    expect(queue.sent[0]?.body.durationSeconds).toBe(3600);
    expect(queue.sent[0]?.body.expiresAt).toBeUndefined();
    const untimed = setup(pendingRecord());
    expect(await refusal(untimed.decide(it1, { decision: 'approve', durationSeconds: 60 }))).toMatchObject({
      status: 400,
    });
  });

  it('a critical action needs one approver from security AND one from IT', async () => {
    const record = pendingRecord({
      risk: 'critical',
      action: { type: 'role.assign', params: { userId: '00uSubject0000000001', roleType: 'SUPER_ADMIN' } },
    });
    const { decide, queue, stored, store } = setup(record);
    await expect(decide(it1, { decision: 'approve' })).resolves.toMatchObject({
      state: 'pending',
      queued: false,
      stillRequired: 'one more approver from security-approvers',
    });
    // A second IT approver can only fill the IT slot, which is taken.
    const second = await refusal(decide(it2, { decision: 'approve' }));
    expect(second).toMatchObject({ status: 403, code: 'slot_filled' });
    expect(second.message).toContain('security-approvers');
    expect(await refusal(decide(it1, { decision: 'approve' }))).toMatchObject({ status: 409, code: 'already_decided' });
    expect(queue.sent).toHaveLength(0);
    await expect(decide(sec1, { decision: 'approve' })).resolves.toMatchObject({ state: 'approved', queued: true });
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]?.body.origin.approvedBy).toBe(`${it1.userId},${sec1.userId}`);
    expect(stored().decisions.map((d) => d.approverId)).toEqual([it1.userId, sec1.userId]);
    expect(store.events.map((e) => e.step)).toEqual(['approved']);
  });

  it('any approver of a critical request can reject it, even one whose slot is taken', async () => {
    const record = pendingRecord({
      risk: 'critical',
      action: { type: 'role.assign', params: { userId: '00uSubject0000000001', roleType: 'SUPER_ADMIN' } },
    });
    const { decide, queue } = setup(record);
    await decide(it1, { decision: 'approve' });
    await expect(decide(it2, { decision: 'reject', reason: 'no change ticket' })).resolves.toMatchObject({
      state: 'rejected',
    });
    expect(queue.sent).toHaveLength(0);
  });

  it('two approvers racing on a one-approver request: exactly one approves, the other gets 409', async () => {
    const record = pendingRecord();
    const { decide, queue, stored } = setup(record);
    const results = await Promise.allSettled([
      decide(it1, { decision: 'approve' }),
      decide(sec1, { decision: 'approve' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ status: 409, code: 'not_pending' });
    expect(stored().decisions).toHaveLength(1);
    expect(queue.sent).toHaveLength(1);
  });

  it('a write that loses the version race is judged again on what is stored now', async () => {
    const record = pendingRecord();
    const { decide, store, queue } = setup(record);
    let raced = false;
    store.beforeUpdate = () => {
      if (raced) return;
      raced = true;
      // Another approver's rejection lands between our read and our write.
      const current = store.records.get(record.approvalId) as ApprovalRecord;
      store.records.set(record.approvalId, { ...current, state: 'rejected', version: current.version + 1 });
    };
    expect(await refusal(decide(it1, { decision: 'approve' }))).toMatchObject({ status: 409, code: 'not_pending' });
    expect(queue.sent).toHaveLength(0);
  });

  describe('faults at each step lose no state change and double no execution', () => {
    it('the store fails before writing: 503, nothing recorded; the retry approves once', async () => {
      const record = pendingRecord();
      const { decide, store, queue, stored } = setup(record);
      store.beforeUpdate = () => {
        store.beforeUpdate = undefined;
        throw new Error('DynamoDB unavailable');
      };
      expect(await refusal(decide(it1, { decision: 'approve' }))).toMatchObject({ status: 503 });
      expect(stored().state).toBe('pending');
      expect(queue.sent).toHaveLength(0);
      await decide(it1, { decision: 'approve' });
      expect(queue.sent.map((m) => m.id)).toEqual([record.message.actionId]);
    });

    it('the write happens but its answer is lost: the retry is told it already decided, and the action is queued', async () => {
      const record = pendingRecord();
      const { decide, store, queue, stored, audit } = setup(record);
      store.afterUpdate = () => {
        store.afterUpdate = undefined;
        throw new Error('socket hang up');
      };
      expect(await refusal(decide(it1, { decision: 'approve' }))).toMatchObject({ status: 503 });
      expect(stored().state).toBe('approved');
      expect(queue.sent).toHaveLength(0);
      expect(await refusal(decide(it1, { decision: 'approve' }))).toMatchObject({ status: 409, code: 'not_pending' });
      expect(queue.sent.map((m) => m.id)).toEqual([record.message.actionId]);
      expect([...audit.byKey.values()].map((r) => r.kind)).toEqual(['approval.approve']);
      expect(store.events).toHaveLength(1);
    });

    it('the actions queue fails after the approval is recorded: 503 saying so; the retry queues it', async () => {
      const record = pendingRecord();
      const { decide, queue, stored, store } = setup(record);
      queue.failures = 1;
      const r = await refusal(decide(it1, { decision: 'approve' }));
      expect(r).toMatchObject({ status: 503 });
      expect(r.message).toContain('your approval is recorded');
      expect(stored().state).toBe('approved');
      expect(await refusal(decide(it1, { decision: 'approve' }))).toMatchObject({ status: 409 });
      // Every message queued for this request carries the same action id: the executor's ledger runs it once.
      expect(new Set(queue.sent.map((m) => m.id))).toEqual(new Set([record.message.actionId]));
      expect(store.events).toHaveLength(1);
    });

    it('the audit write fails: 503; the retry writes the records once', async () => {
      const record = pendingRecord();
      const { decide, audit, queue } = setup(record);
      audit.failures = 1;
      expect(await refusal(decide(it1, { decision: 'reject', reason: 'no' }))).toMatchObject({ status: 503 });
      expect(audit.byKey.size).toBe(0);
      await refusal(decide(it1, { decision: 'reject', reason: 'no' }));
      expect([...audit.byKey.values()].map((r) => r.kind)).toEqual(['approval.reject']);
      expect(queue.sent).toHaveLength(0);
    });
  });
});

describe('what the caller may do (standing)', () => {
  it('says why not, without deciding', () => {
    const record = pendingRecord({ userId: sec1.userId });
    const now = new Date();
    expect(standingOf(record, sec1, DEFAULT_POLICY, now)).toMatchObject({ mayDecide: false });
    expect(standingOf(record, sec1, DEFAULT_POLICY, now).refusal?.code).toBe('self_decision');
    expect(standingOf(record, it1, DEFAULT_POLICY, now).mayDecide).toBe(true);
    expect(standingOf(record, it1, DEFAULT_POLICY, now).refusal).toBeUndefined();
  });

  it('per-action approver groups replace the risk level’s', () => {
    const policy = PolicyConfigSchema.parse({
      version: 1,
      approvals: { approvers: { byAction: { 'group.add_member': ['hr-approvers'] } } },
    });
    const record = pendingRecord({ policy });
    expect(standingOf(record, it1, policy, new Date()).refusal?.code).toBe('not_an_approver');
    const hr = { ...it1, groups: ['hr-approvers'] };
    expect(standingOf(record, hr, policy, new Date()).mayDecide).toBe(true);
  });
});

describe('the decision body', () => {
  it.each([
    ['', 'empty_body', undefined],
    ['{', 'invalid_json', undefined],
    [`{"decision":"maybe","payloadHash":"${'a'.repeat(64)}"}`, 'invalid_decision', 'decision'],
    ['{"decision":"approve","payloadHash":"abc"}', 'invalid_decision', 'payloadHash'],
    [
      `{"decision":"approve","payloadHash":"${'a'.repeat(64)}","durationSeconds":-5}`,
      'invalid_decision',
      'durationSeconds',
    ],
    [`{"decision":"approve","payloadHash":"${'a'.repeat(64)}","extra":1}`, 'invalid_decision', '(root)'],
  ])('%s → 400 %s naming %s', (body, code, path) => {
    let error: unknown;
    try {
      parseDecisionBody(body);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ status: 400, code });
    if (path) expect((error as { details: { path: string }[] }).details.map((d) => d.path)).toContain(path);
  });
});

describe('group slots', () => {
  const slots = [['security-approvers'], ['it-approvers']];
  test.prop([fc.shuffledSubarray(['s', 'i', 'b', 'o'], { minLength: 0, maxLength: 4 })])(
    'the requirement is met, in any order of approvals, iff security and IT are both covered by distinct people',
    (order) => {
      const people: Record<string, string[]> = {
        s: ['security-approvers'],
        i: ['it-approvers'],
        b: ['security-approvers', 'it-approvers'],
        o: ['Everyone'],
      };
      const approvers = order.map((id) => ({ id, groups: people[id] as string[] }));
      const filled = assignSlots(approvers, slots).filter((x) => x !== undefined).length;
      const covers = (a: string, b: string) =>
        people[a]?.includes('security-approvers') && people[b]?.includes('it-approvers');
      const expected = order.some((a) => order.some((b) => a !== b && covers(a, b)));
      expect(filled === 2).toBe(expected);
    },
  );

  it('the policy’s requirement: one approver, or two from distinct slots for critical', () => {
    expect(approvalRequirement(DEFAULT_POLICY, 'low', 'group.add_member')).toEqual({
      approvals: 1,
      groupSlots: [],
      reasonToApprove: false,
    });
    expect(approvalRequirement(DEFAULT_POLICY, 'critical', 'role.assign')).toMatchObject({
      approvals: 2,
      groupSlots: [['security-approvers'], ['it-approvers']],
    });
    const anyTwo = PolicyConfigSchema.parse({ version: 1, approvals: { critical: { approvals: 2, groupSlots: [] } } });
    const required = approvalRequirement(anyTwo, 'critical', 'user.delete');
    const p = progressOf(
      required,
      ['it-approvers'],
      [{ outcome: 'approve', approverId: 'a', qualifyingGroups: ['it-approvers'] }],
    );
    expect(p).toMatchObject({ met: false, open: [['it-approvers']] });
    expect(payloadHash(pendingRecord())).toMatch(/^[0-9a-f]{64}$/);
  });
});
