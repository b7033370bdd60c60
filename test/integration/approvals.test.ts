import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { type ApprovalRecord, nextRecord } from '../../lambda/domain/approval.ts';
import { type ApprovalCloudEvent, approvalEvent, approvalEventSource } from '../../lambda/domain/approval-events.ts';
import { DEFAULT_POLICY, type PolicyConfig, parsePolicy } from '../../lambda/domain/policy-config.ts';
import type { LogEvent } from '../../lambda/okta/event-hook.ts';
import { OktaSdkAdapter } from '../../lambda/okta/okta-sdk-adapter.ts';
import { ApprovalOutcomes } from '../../lambda/pipeline/approval-outcomes.ts';
import { ApprovalRequests } from '../../lambda/pipeline/approvals.ts';
import { type ExecuteActionDeps, executeAction } from '../../lambda/pipeline/execute-action.ts';
import { processEvent } from '../../lambda/pipeline/process-event.ts';
import {
  type PublishApprovalEventsDeps,
  publishApprovalEvents,
} from '../../lambda/pipeline/publish-approval-events.ts';
import { sweepApprovals } from '../../lambda/pipeline/sweep-approvals.ts';
import { RulesRecommender } from '../../lambda/recommend/rules-recommender.ts';
import { DynamoActionLedger } from '../../lambda/store/action-ledger.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import type { LocalResources } from '../../local/resources.ts';
import { pendingApproval } from '../support/approvals.ts';
import { freshResources, testClients } from '../support/emulators.ts';
import { type Fault, injectFault } from '../support/faults.ts';
import { validateApprovalMessage } from '../support/json-schema.ts';
import { startTestSim, type TestSim } from '../support/okta-sim.ts';
import { groupNamed, newUser, simSettings } from '../support/okta-users.ts';
import { drain } from '../support/queues.ts';

/**
 * Approval requests end to end over real HTTP: the policy's requests in DynamoDB Local, their CloudEvents on the
 * approval queue in the SQS emulator (checked against the published JSON Schemas), the sweeper with a driven clock,
 * and the executor's outcome against the Okta simulator. Faults are injected into the real SDK clients.
 */
const { sqs, documents, dynamo } = testClients();
let resources: LocalResources;
let okta: TestSim;
let store: DynamoApprovalStore;
let audit: DynamoAuditLog;
let ledger: DynamoActionLedger;
let publish: PublishApprovalEventsDeps;
/** Every approval queue message received so far (drained before each test's assertions). */
let seen: ApprovalCloudEvent[] = [];

beforeAll(async () => {
  const rateLimits = { users: 100_000, groups: 100_000, apps: 100_000, roles: 100_000, logs: 100_000 };
  [resources, okta] = await Promise.all([
    freshResources({ visibilityTimeoutSeconds: 1 }),
    startTestSim({ rateLimits }),
  ]);
  store = new DynamoApprovalStore(documents, resources.tables.approvalsTable);
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  ledger = new DynamoActionLedger(documents, resources.tables.actionsTable);
  publish = {
    outbox: store,
    audit,
    approvalQueue: new SqsQueue(sqs, resources.queues.approvalQueue.url, 'approval'),
    source: approvalEventSource('test'),
  };
});
afterAll(async () => {
  await okta?.stop();
});

const faults: Fault[] = [];
const fault = (...args: Parameters<typeof injectFault>) => {
  const f = injectFault(...args);
  faults.push(f);
  return f;
};
beforeEach(async () => {
  // Earlier tests' leftovers (published or not) must not count for this one.
  await sweepApprovals({ store, publish }, new Date(0));
  await drain(sqs, resources.queues.approvalQueue.url);
  seen = [];
});
afterEach(() => {
  for (const f of faults.splice(0)) f.remove();
});

/** Messages of these requests on the approval queue, each validated against the published JSON Schemas. */
async function messagesFor(approvalIds: readonly string[]): Promise<ApprovalCloudEvent[]> {
  for (const m of await drain(sqs, resources.queues.approvalQueue.url)) {
    const body = JSON.parse(m.Body ?? '') as ApprovalCloudEvent;
    expect(validateApprovalMessage(body), `message ${body.id} is off the contract`).toEqual([]);
    expect(m.MessageAttributes?.['hookpilot-id']?.StringValue).toBe(body.id);
    expect(m.MessageAttributes?.['ce-type']?.StringValue).toBe(body.type);
    seen.push(body);
  }
  return seen.filter((e) => approvalIds.includes(e.subject));
}
/** What a consumer that deduplicates on the CloudEvent `id` ends up with. */
const deduped = (events: readonly ApprovalCloudEvent[]) => [...new Map(events.map((e) => [e.id, e])).values()];
const typesOf = (events: readonly ApprovalCloudEvent[]) =>
  [...events]
    .sort((a, b) => Number(a.data.sequence) - Number(b.data.sequence))
    .map((e) => e.type.replace('dev.hookpilot.approval.', ''));

const requests = (policy: PolicyConfig = DEFAULT_POLICY, clock = () => new Date()) =>
  new ApprovalRequests({ store, clock, policy, publish });

const H = 3_600_000;
const policyWith = (approvals: Record<string, unknown>) => parsePolicy({ version: 1, approvals }, 'test policy');

function approve(record: ApprovalRecord, at: Date): ApprovalRecord {
  return nextRecord(record, {
    state: 'approved',
    decidedAt: at.toISOString(),
    decisions: [
      {
        outcome: 'approve',
        approverId: '00uapprover',
        approverLogin: 'ana@example.com',
        qualifyingGroups: ['it-approvers'],
        payloadHash: record.payloadHash,
        at: at.toISOString(),
      },
    ],
  });
}

/** What the decisions API puts on the actions queue once a request is approved. */
const approvedMessage = (record: ApprovalRecord): ActionMessage => ({
  ...record.message,
  origin: {
    kind: 'approval',
    correlationId: record.correlationId,
    approvalId: record.approvalId,
    approvedBy: '00uapprover',
  },
  decidedAt: new Date().toISOString(),
});

const executorDeps = (): ExecuteActionDeps => ({
  okta: new OktaSdkAdapter(simSettings(okta)),
  ledger,
  audit,
  actionsQueue: new SqsQueue(sqs, resources.queues.actionsQueue.url, 'actions'),
  clock: () => new Date(),
  leaseMs: 30_000,
  approvals: new ApprovalOutcomes({ store, publish }),
});

/** A request approved by a (simulated) approver, for a real simulated user joining a real group. */
async function approvedRequest() {
  const user = await newUser(okta, 'ACTIVE');
  const groupId = groupNamed(okta, 'dept-sales');
  const pending = pendingApproval({ params: { userId: user.id, groupId } });
  await requests().submit(pending);
  const requested = (await store.list({ subjectUserId: user.id })).items[0] as ApprovalRecord;
  const approved = approve(requested, new Date());
  const events = [approvalEvent('approved', approved)];
  expect(await store.update(approved, requested.version, events)).toBe(true);
  await publishApprovalEvents(publish, events); // as the decisions API does right after its write
  return { user, groupId, approved };
}

describe('requests from the policy', () => {
  it('a routed event in assisted mode creates one request per action; a redelivery creates none', async () => {
    const { id } = await newUser(okta, 'ACTIVE', { department: 'Sales', city: 'London' });
    const event = okta.sim.logs
      .all()
      .filter((e) => e.eventType === 'user.lifecycle.create' && (e.target ?? []).some((t) => t.id === id))
      .at(-1) as unknown as LogEvent;
    const message = {
      schemaVersion: 1 as const,
      event: JSON.parse(JSON.stringify(event)) as LogEvent,
      delivery: { eventId: randomUUID(), source: 'test', receivedAt: new Date().toISOString() },
    };
    const deps = {
      audit,
      clock: () => new Date(),
      okta: new OktaSdkAdapter(simSettings(okta)),
      ledger,
      recommender: new RulesRecommender(),
      policy: parsePolicy({ version: 1, birthright: [{ when: { department: 'Sales' }, groups: ['dept-sales'] }] }, 'p'),
      mode: 'assisted' as const,
      actionsQueue: new SqsQueue<ActionMessage>(sqs, resources.queues.actionsQueue.url, 'actions'),
      approvals: requests(),
    };
    const first = await processEvent(message, deps);
    const asked = first.status === 'decided' ? first.decisions.filter((d) => d.outcome === 'approval') : [];
    expect(asked.length).toBeGreaterThan(0);
    const stored = (await store.list({ subjectUserId: id })).items;
    expect(stored.map((r) => r.message.actionId).sort()).toEqual(asked.map((d) => d.actionId).sort());
    expect(stored.every((r) => r.state === 'pending' && r.correlationId === event.uuid)).toBe(true);
    expect(stored[0]).toMatchObject({
      eventType: 'user.lifecycle.create',
      subjectUserId: id,
      rule: 'mode-assisted',
      required: { approvals: 1, groupSlots: [], reasonToApprove: false },
    });
    expect(Date.parse(stored[0]?.requestExpiresAt ?? '') - Date.parse(stored[0]?.requestedAt ?? '')).toBe(72 * H);

    await processEvent(message, deps); // redelivered
    expect((await store.list({ subjectUserId: id })).items).toHaveLength(stored.length);
    const ids = stored.map((r) => r.approvalId);
    const events = await messagesFor(ids);
    expect(events.map((e) => e.type)).toEqual(stored.map(() => 'dev.hookpilot.approval.requested'));
    expect(new Set(events.map((e) => e.subject))).toEqual(new Set(ids));
    const audited = (await audit.byCorrelation(event.uuid)).filter((r) => r.kind === 'approval.requested');
    expect(audited).toHaveLength(stored.length);
  });

  it('a critical action needs two approvers, and expires after its own risk level’s time', async () => {
    const policy = policyWith({ expiryHours: { critical: 24 } });
    const pending = pendingApproval({ type: 'user.deactivate', params: { userId: '00ucritical' }, risk: 'critical' });
    const now = new Date();
    await requests(policy, () => now).submit(pending);
    const record = (await store.list({ subjectUserId: '00ucritical' })).items[0];
    expect(record?.required.approvals).toBe(2);
    expect(record?.requestExpiresAt).toBe(new Date(now.getTime() + 24 * H).toISOString());
  });
});

describe('no state change is lost and no event doubled when DynamoDB or SQS fails', () => {
  it('creating: the transaction fails → nothing is stored or sent; the redelivery creates it once', async () => {
    const pending = pendingApproval();
    const f = fault(dynamo, 'TransactWriteItemsCommand', { times: 1 });
    await expect(requests().submit(pending)).rejects.toThrow(/approvals table/);
    expect(f.fired()).toBe(1);
    expect(await store.list({ subjectUserId: pending.message.action.params.userId as string })).toEqual({ items: [] });
    await requests().submit(pending);
    await requests().submit(pending);
    const [record] = (await store.list({ subjectUserId: pending.message.action.params.userId as string })).items;
    expect(typesOf(await messagesFor([record?.approvalId ?? '']))).toEqual(['requested']);
  });

  it('publishing: SQS fails → the request stands, its event waits in the outbox, the sweeper sends it once', async () => {
    const pending = pendingApproval();
    const f = fault(sqs, 'SendMessageBatchCommand', { times: 1 });
    await requests().submit(pending); // the state change succeeded: no error for the caller
    expect(f.fired()).toBe(1);
    const [record] = (await store.list({ subjectUserId: pending.message.action.params.userId as string })).items;
    const id = record?.approvalId ?? '';
    expect(await messagesFor([id])).toEqual([]);
    expect((await store.unpublished(1000)).map((e) => e.approvalId)).toContain(id);

    expect((await sweepApprovals({ store, publish }, new Date())).published).toBeGreaterThanOrEqual(1);
    await sweepApprovals({ store, publish }, new Date());
    expect(typesOf(await messagesFor([id]))).toEqual(['requested']);
  });

  it("publishing: the notifier's copy fails after the approval queue took it → the event stays in the outbox; the sweeper sends both again (same id), so neither side misses it", async () => {
    const notifications = resources.queues.notificationsQueue.url;
    const withCopy: PublishApprovalEventsDeps = {
      ...publish,
      notificationsQueue: new SqsQueue(sqs, notifications, 'notifications'),
    };
    await drain(sqs, notifications);
    const pending = pendingApproval();
    const f = fault(sqs, 'SendMessageBatchCommand', { times: 1, when: (input) => input.QueueUrl === notifications });
    await new ApprovalRequests({ store, clock: () => new Date(), policy: DEFAULT_POLICY, publish: withCopy }).submit(
      pending,
    );
    expect(f.fired()).toBe(1);
    const [record] = (await store.list({ subjectUserId: pending.message.action.params.userId as string })).items;
    const id = record?.approvalId ?? '';
    expect(typesOf(await messagesFor([id]))).toEqual(['requested']);
    expect(await drain(sqs, notifications)).toEqual([]);
    expect((await store.unpublished(1000)).map((e) => e.approvalId)).toContain(id);

    await sweepApprovals({ store, publish: withCopy }, new Date());
    const copies = (await drain(sqs, notifications)).map((m) => JSON.parse(m.Body ?? '') as ApprovalCloudEvent);
    expect(copies.filter((e) => e.subject === id).map((e) => e.type)).toEqual(['dev.hookpilot.approval.requested']);
    const queued = await messagesFor([id]);
    expect(queued).toHaveLength(2);
    expect(typesOf(deduped(queued))).toEqual(['requested']);
    expect((await store.unpublished(1000)).map((e) => e.approvalId)).not.toContain(id);
  });

  it('publishing: the audit write fails → nothing is sent yet; the catch-up audits and sends it once', async () => {
    const pending = pendingApproval();
    fault(dynamo, 'PutItemCommand', { times: 1, when: (input) => input.TableName === resources.tables.auditTable });
    await requests().submit(pending);
    const [record] = (await store.list({ subjectUserId: pending.message.action.params.userId as string })).items;
    const id = record?.approvalId ?? '';
    expect(await messagesFor([id])).toEqual([]);
    await sweepApprovals({ store, publish }, new Date());
    expect(typesOf(await messagesFor([id]))).toEqual(['requested']);
    const audited = (await audit.byCorrelation(pending.message.origin.correlationId)).map((r) => r.kind);
    expect(audited).toEqual(['approval.requested']);
  });

  it('publishing: marking fails after the send → sent again under the same id, which a consumer deduplicates', async () => {
    const pending = pendingApproval();
    const f = fault(dynamo, 'UpdateItemCommand', {
      times: 1,
      when: (input) => input.TableName === resources.tables.approvalsTable,
    });
    await requests().submit(pending);
    expect(f.fired()).toBe(1);
    const [record] = (await store.list({ subjectUserId: pending.message.action.params.userId as string })).items;
    const id = record?.approvalId ?? '';
    await sweepApprovals({ store, publish }, new Date());
    await sweepApprovals({ store, publish }, new Date());
    const events = await messagesFor([id]);
    expect(events).toHaveLength(2); // at least once…
    expect(typesOf(deduped(events))).toEqual(['requested']); // …exactly once in effect
  });

  it('sweeping: the expiry write fails → still pending, nothing sent; the next sweep expires it once', async () => {
    const t0 = new Date(Date.now() - 100 * H);
    const pending = pendingApproval();
    await requests(DEFAULT_POLICY, () => t0).submit(pending);
    const [record] = (await store.list({ subjectUserId: pending.message.action.params.userId as string })).items;
    const id = record?.approvalId ?? '';
    fault(dynamo, 'TransactWriteItemsCommand', { times: 1 });
    await expect(sweepApprovals({ store, publish }, new Date())).rejects.toThrow(/approvals table/);
    expect((await store.get(id))?.state).toBe('pending');
    const result = await sweepApprovals({ store, publish }, new Date());
    expect(result.expired).toBeGreaterThanOrEqual(1);
    await sweepApprovals({ store, publish }, new Date());
    expect((await store.get(id))?.state).toBe('expired');
    expect(typesOf(await messagesFor([id]))).toEqual(['requested', 'expired']);
  });

  it('sweeping: SQS fails → the expiry stands, and a later sweep publishes it once', async () => {
    const t0 = new Date(Date.now() - 100 * H);
    const pending = pendingApproval();
    await requests(DEFAULT_POLICY, () => t0).submit(pending);
    const [record] = (await store.list({ subjectUserId: pending.message.action.params.userId as string })).items;
    const id = record?.approvalId ?? '';
    await messagesFor([id]);
    const f = fault(sqs, 'SendMessageBatchCommand');
    await expect(sweepApprovals({ store, publish }, new Date())).rejects.toThrow(/approval queue/); // the catch-up
    expect(f.fired()).toBeGreaterThanOrEqual(1);
    expect((await store.get(id))?.state).toBe('expired');
    f.remove();
    expect(typesOf(await messagesFor([id]))).toEqual(['requested']);
    await sweepApprovals({ store, publish }, new Date());
    await sweepApprovals({ store, publish }, new Date());
    expect(typesOf(await messagesFor([id]))).toEqual(['requested', 'expired']);
  });

  it('executor feedback: SQS fails → the outcome stands on the request, and the sweeper publishes it once', async () => {
    const { approved } = await approvedRequest();
    const f = fault(sqs, 'SendMessageBatchCommand', { times: 1 });
    expect(await executeAction(approvedMessage(approved), executorDeps())).toBe('executed');
    expect(f.fired()).toBe(1);
    expect((await store.get(approved.approvalId))?.state).toBe('executed');
    expect(typesOf(await messagesFor([approved.approvalId]))).toEqual(['requested', 'approved']);
    await sweepApprovals({ store, publish }, new Date());
    expect(typesOf(await messagesFor([approved.approvalId]))).toEqual(['requested', 'approved', 'executed']);
  });

  it('executor feedback: the outcome write fails → the redelivery records it; Okta is called once', async () => {
    const { user, groupId, approved } = await approvedRequest();
    const message = approvedMessage(approved);
    fault(dynamo, 'TransactWriteItemsCommand', { times: 1 });
    await expect(executeAction(message, executorDeps())).rejects.toThrow(/approvals table/);
    expect(okta.sim.state.userGroups(user.id)).toContain(groupId);
    expect((await store.get(approved.approvalId))?.state).toBe('approved');

    expect(await executeAction(message, executorDeps())).toBe('duplicate'); // the redelivery
    const done = await store.get(approved.approvalId);
    expect(done).toMatchObject({ state: 'executed', outcome: { oktaRequestId: expect.any(String) } });
    const writes = okta.sim.requests().filter((r) => r.method !== 'GET' && r.path.includes(user.id));
    expect(writes).toHaveLength(1);
    expect(typesOf(await messagesFor([approved.approvalId]))).toEqual(['requested', 'approved', 'executed']);
  });
});

describe('expiry, the reminder and escalation (driven clock)', () => {
  it('reminds once, escalates once to the fallback group, then expires; every step is published in order', async () => {
    const t0 = new Date(Date.now() - 1000 * H); // long before anything else in this table
    const policy = policyWith({ escalationGroup: 'security-oncall' });
    const pending = pendingApproval();
    await requests(policy, () => t0).submit(pending);
    const [record] = (await store.list({ subjectUserId: pending.message.action.params.userId as string })).items;
    const id = record?.approvalId ?? '';
    expect(record).toMatchObject({
      remindAt: new Date(t0.getTime() + 36 * H).toISOString(),
      escalateAt: new Date(t0.getTime() + 54 * H).toISOString(),
      escalationGroup: 'security-oncall',
    });
    const at = (hours: number) => new Date(t0.getTime() + hours * H);
    const sweep = (hours: number) => sweepApprovals({ store, publish }, at(hours));

    expect(await sweep(1)).toMatchObject({ expired: 0, reminded: 0, escalated: 0 });
    expect(await sweep(36)).toMatchObject({ reminded: 1, escalated: 0 });
    expect(await sweep(40)).toMatchObject({ reminded: 0 });
    expect(await sweep(54)).toMatchObject({ escalated: 1, reminded: 0 });
    const escalated = await store.get(id);
    expect(escalated).toMatchObject({
      state: 'pending',
      remindedAt: at(36).toISOString(),
      escalatedAt: at(54).toISOString(),
      required: { escalationGroups: ['security-oncall'] },
    });
    expect(await sweep(71)).toMatchObject({ expired: 0, reminded: 0, escalated: 0 });
    expect(await sweep(72)).toMatchObject({ expired: 1 });
    expect(await sweep(80)).toMatchObject({ expired: 0 });
    expect((await store.get(id))?.state).toBe('expired');
    expect(typesOf(await messagesFor([id]))).toEqual(['requested', 'reminded', 'escalated', 'expired']);
  });

  it('a sweeper that was down past the expiry expires the request without reminding first', async () => {
    const t0 = new Date(Date.now() - 2000 * H);
    const pending = pendingApproval();
    await requests(DEFAULT_POLICY, () => t0).submit(pending);
    const [record] = (await store.list({ subjectUserId: pending.message.action.params.userId as string })).items;
    await sweepApprovals({ store, publish }, new Date(t0.getTime() + 500 * H));
    expect(typesOf(await messagesFor([record?.approvalId ?? '']))).toEqual(['requested', 'expired']);
  });
});

describe('an approval racing the expiry', () => {
  it.each(['the approval', 'the expiry'])('exactly one wins when %s writes first', async (first) => {
    const t0 = new Date(Date.now() - 72 * H + 60_000); // expires in a minute
    const pending = pendingApproval();
    await requests(DEFAULT_POLICY, () => t0).submit(pending);
    const read = (await store.list({ subjectUserId: pending.message.action.params.userId as string }))
      .items[0] as ApprovalRecord;
    // Both read version 0; the approver is a little before the expiry, the sweeper a little after it.
    const approved = approve(read, new Date(Date.parse(read.requestExpiresAt) - 1000));
    const expired = nextRecord(read, { state: 'expired', decidedAt: read.requestExpiresAt });
    const writeApproval = () => store.update(approved, read.version, [approvalEvent('approved', approved)]);
    const writeExpiry = () => store.update(expired, read.version, [approvalEvent('expired', expired)]);
    const results =
      first === 'the approval'
        ? [await writeApproval(), await writeExpiry()]
        : [await writeExpiry(), await writeApproval()];
    expect(results).toEqual([true, false]);
    const final = await store.get(read.approvalId);
    expect(final?.state).toBe(first === 'the approval' ? 'approved' : 'expired');
    await sweepApprovals({ store, publish }, new Date());
    const published = typesOf(await messagesFor([read.approvalId]));
    expect(published).toEqual(['requested', first === 'the approval' ? 'approved' : 'expired']);
  });

  it('an expired request never executes, even if its action reaches the executor', async () => {
    const user = await newUser(okta, 'ACTIVE');
    const groupId = groupNamed(okta, 'dept-sales');
    const t0 = new Date(Date.now() - 100 * H);
    const pending = pendingApproval({ params: { userId: user.id, groupId } });
    await requests(DEFAULT_POLICY, () => t0).submit(pending);
    const [record] = (await store.list({ subjectUserId: user.id })).items;
    await sweepApprovals({ store, publish }, new Date());
    const expired = (await store.get(record?.approvalId ?? '')) as ApprovalRecord;
    expect(expired.state).toBe('expired');
    // A forged or stale "approved" message for it:
    expect(await executeAction(approvedMessage(expired), executorDeps())).toBe('voided');
    expect(okta.sim.state.userGroups(user.id)).not.toContain(groupId);
    expect((await store.get(expired.approvalId))?.state).toBe('expired');
    const outcome = (await audit.byCorrelation(expired.correlationId)).find((r) => r.kind === 'action.voided');
    expect(outcome?.summary).toMatch(/is expired, not approved/);
  });
});

describe('the executor’s outcome on the request', () => {
  it('executed: Okta’s request id on the record and on the queue; a redelivery changes nothing', async () => {
    const { user, groupId, approved } = await approvedRequest();
    const message = approvedMessage(approved);
    expect(await executeAction(message, executorDeps())).toBe('executed');
    expect(okta.sim.state.userGroups(user.id)).toContain(groupId);
    expect(await executeAction(message, executorDeps())).toBe('duplicate');
    const record = await store.get(approved.approvalId);
    expect(record).toMatchObject({ state: 'executed', version: 2, completedAt: expect.any(String) });
    const events = await messagesFor([approved.approvalId]);
    expect(typesOf(events)).toEqual(['requested', 'approved', 'executed']);
    const executed = events.find((e) => e.type.endsWith('.executed'));
    expect(executed?.data.oktaRequestId).toBe(record?.outcome?.oktaRequestId);
  });

  it('voided: the user changed after the approval; the request says why', async () => {
    const { user, approved } = await approvedRequest();
    await fetch(`${okta.sim.orgUrl}/api/v1/users/${user.id}/lifecycle/suspend`, {
      method: 'POST',
      headers: { authorization: `SSWS ${okta.sim.token}`, accept: 'application/json' },
    });
    expect(await executeAction(approvedMessage(approved), executorDeps())).toBe('voided');
    const record = await store.get(approved.approvalId);
    expect(record?.state).toBe('voided');
    expect(record?.outcome?.detail).toMatch(/SUSPENDED/);
    const events = await messagesFor([approved.approvalId]);
    expect(typesOf(events)).toEqual(['requested', 'approved', 'voided']);
    expect(events.find((e) => e.type.endsWith('.voided'))?.data.reason).toMatch(/SUSPENDED/);
  });

  it('a message whose action is not the approved one is voided, and the request stays approved', async () => {
    const { user, approved } = await approvedRequest();
    const other = groupNamed(okta, 'dept-finance');
    const tampered = approvedMessage(approved);
    tampered.action = { ...tampered.action, params: { ...tampered.action.params, groupId: other } };
    expect(await executeAction(tampered, executorDeps())).toBe('voided');
    expect(okta.sim.state.userGroups(user.id)).not.toContain(other);
    expect((await store.get(approved.approvalId))?.state).toBe('approved');
  });
});
