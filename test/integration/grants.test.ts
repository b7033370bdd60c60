import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { type ApprovalRecord, nextRecord } from '../../lambda/domain/approval.ts';
import { type ApprovalCloudEvent, approvalEvent, approvalEventSource } from '../../lambda/domain/approval-events.ts';
import { type Grant, revokeActionId } from '../../lambda/domain/grant.ts';
import { DEFAULT_POLICY } from '../../lambda/domain/policy-config.ts';
import { OktaSdkAdapter } from '../../lambda/okta/okta-sdk-adapter.ts';
import { ApprovalOutcomes } from '../../lambda/pipeline/approval-outcomes.ts';
import { ApprovalRequests } from '../../lambda/pipeline/approvals.ts';
import { approvedMessage } from '../../lambda/pipeline/decide-approval.ts';
import { type ExecuteActionDeps, executeAction } from '../../lambda/pipeline/execute-action.ts';
import { endGrant, GrantKeeper, sweepGrants } from '../../lambda/pipeline/grants.ts';
import type { PublishApprovalEventsDeps } from '../../lambda/pipeline/publish-approval-events.ts';
import { DynamoActionLedger } from '../../lambda/store/action-ledger.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { DynamoGrantStore, REVOKE_RETRY_SECONDS } from '../../lambda/store/grant-store.ts';
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
 * Time-bound grants end to end over real HTTP: an approved, time-bound action executed against the Okta simulator, the
 * grant in DynamoDB Local, the sweeper's revocation on the actions queue in the SQS emulator, the executor running the
 * inverse, and the approval queue hearing of the end. The clock is driven; faults are injected into the real clients.
 */
const { sqs, documents, dynamo } = testClients();
let resources: LocalResources;
let okta: TestSim;
let adapter: OktaSdkAdapter;
let approvals: DynamoApprovalStore;
let grants: DynamoGrantStore;
let audit: DynamoAuditLog;
let ledger: DynamoActionLedger;
let publish: PublishApprovalEventsDeps;
let actionsQueue: SqsQueue<ActionMessage>;
/** The driven clock: every part reads it. */
let now = new Date();
const clock = () => now;
const H = 3_600_000;

beforeAll(async () => {
  const rateLimits = { users: 100_000, groups: 100_000, apps: 100_000, roles: 100_000, logs: 100_000 };
  [resources, okta] = await Promise.all([
    freshResources({ visibilityTimeoutSeconds: 1 }),
    startTestSim({ rateLimits }),
  ]);
  adapter = new OktaSdkAdapter(simSettings(okta));
  approvals = new DynamoApprovalStore(documents, resources.tables.approvalsTable);
  grants = new DynamoGrantStore(documents, resources.tables.grantsTable);
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  ledger = new DynamoActionLedger(documents, resources.tables.actionsTable);
  actionsQueue = new SqsQueue(sqs, resources.queues.actionsQueue.url, 'actions');
  publish = {
    outbox: approvals,
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
  now = new Date();
  await drain(sqs, resources.queues.actionsQueue.url);
});
afterEach(() => {
  for (const f of faults.splice(0)) f.remove();
});

const executorDeps = (): ExecuteActionDeps => ({
  okta: adapter,
  ledger,
  audit,
  actionsQueue,
  clock,
  leaseMs: 30_000,
  approvals: new ApprovalOutcomes({ store: approvals, publish }),
  grants: new GrantKeeper({
    store: grants,
    policy: DEFAULT_POLICY,
    audit,
    clock,
    approvals: { store: approvals, publish },
  }),
});

/** The executor's queue worker: every message on the actions queue, executed (as the local stack's worker does). */
async function runActionsQueue(): Promise<string[]> {
  const outcomes: string[] = [];
  for (const m of await drain(sqs, resources.queues.actionsQueue.url)) {
    outcomes.push(await executeAction(JSON.parse(m.Body ?? '') as ActionMessage, executorDeps()));
  }
  return outcomes;
}

const sweep = () => sweepGrants({ store: grants, actionsQueue }, now);

/** A time-bound request for a real simulated user joining `group`, approved (for `grantedSeconds`, if given). */
async function approvedGroupAdd(group: string, durationSeconds: number, grantedSeconds?: number) {
  const user = await newUser(okta, 'ACTIVE');
  const groupId = groupNamed(okta, group);
  const pending = { ...pendingApproval({ params: { userId: user.id, groupId } }), durationSeconds };
  await new ApprovalRequests({ store: approvals, clock, policy: DEFAULT_POLICY, publish }).submit(pending);
  const requested = (await approvals.list({ subjectUserId: user.id })).items[0] as ApprovalRecord;
  const approved = nextRecord(requested, {
    state: 'approved',
    decidedAt: now.toISOString(),
    ...(grantedSeconds ? { grantedDurationSeconds: grantedSeconds } : {}),
    decisions: [
      {
        outcome: 'approve',
        approverId: '00uapprover',
        approverLogin: 'ana@example.com',
        qualifyingGroups: ['it-approvers'],
        payloadHash: requested.payloadHash,
        ...(grantedSeconds ? { durationSeconds: grantedSeconds } : {}),
        at: now.toISOString(),
      },
    ],
  });
  expect(await approvals.update(approved, requested.version, [approvalEvent('approved', approved)])).toBe(true);
  // What the decisions API queues once a request is approved (its own function, so the message is the real one).
  const message = approvedMessage(approved);
  await actionsQueue.send([{ id: message.actionId, body: message }]);
  return { user, groupId, approved, message };
}

const isMember = async (userId: string, groupId: string) =>
  (await adapter.listUserGroups(userId)).some((g) => g.id === groupId);
const removals = (userId: string, groupId: string) =>
  okta.sim.requests().filter((r) => r.method === 'DELETE' && r.path === `/api/v1/groups/${groupId}/users/${userId}`);
const grantOf = async (id: string) => (await grants.get(id)) as Grant;

async function approvalEventsFor(approvalId: string): Promise<ApprovalCloudEvent[]> {
  const out: ApprovalCloudEvent[] = [];
  for (const m of await drain(sqs, resources.queues.approvalQueue.url)) {
    const body = JSON.parse(m.Body ?? '') as ApprovalCloudEvent;
    expect(validateApprovalMessage(body), `message ${body.id} is off the contract`).toEqual([]);
    if (body.subject === approvalId) out.push(body);
  }
  return out;
}

describe('a time-bound grant from an approval', () => {
  it('executed → recorded with expiresAt = execution time + duration → swept at expiry → inverse once → revoked', async () => {
    const { user, groupId, approved, message } = await approvedGroupAdd('dept-sales', 12 * 3600, 4 * 3600);
    expect(message.durationSeconds).toBe(4 * 3600); // approve-for-less: the granted duration travels, not an end time

    now = new Date(now.getTime() + 10 * 60_000); // the executor runs ten minutes after the approval
    const executedAt = now.toISOString();
    expect(await runActionsQueue()).toEqual(['executed']);
    expect(await isMember(user.id, groupId)).toBe(true);
    const grant = await grantOf(message.actionId);
    expect(grant).toMatchObject({
      state: 'active',
      subjectUserId: user.id,
      action: message.action,
      inverse: { type: 'group.remove_member', params: { userId: user.id, groupId } },
      grantedAt: executedAt,
      durationSeconds: 4 * 3600,
      expiresAt: new Date(Date.parse(executedAt) + 4 * H).toISOString(),
      approvalId: approved.approvalId,
      approvers: ['00uapprover'],
      correlationId: approved.correlationId,
    });
    expect(grant.oktaRequestId).toEqual(expect.any(String));

    // Before expiry the sweeper has nothing to do.
    now = new Date(Date.parse(grant.expiresAt) - 1000);
    expect(await sweep()).toMatchObject({ queued: 0 });
    expect(await runActionsQueue()).toEqual([]);

    now = new Date(Date.parse(grant.expiresAt) + 1000);
    expect(await sweep()).toMatchObject({ queued: 1 });
    expect((await grantOf(grant.grantId)).state).toBe('revoking');
    const outcomes = await runActionsQueue();
    expect(outcomes).toEqual(['executed']);
    expect(await isMember(user.id, groupId)).toBe(false);
    expect(removals(user.id, groupId)).toHaveLength(1);
    expect(await grantOf(grant.grantId)).toMatchObject({ state: 'revoked', endedAt: now.toISOString() });

    // The approval queue hears of the end (once), and the request stays executed.
    const events = await approvalEventsFor(approved.approvalId);
    const ended = events.filter((e) => e.type === 'dev.hookpilot.approval.ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]?.data).toMatchObject({ grantId: grant.grantId, how: 'expired', state: 'executed' });
    expect((await approvals.get(approved.approvalId))?.state).toBe('executed');

    // The audit trail tells the chain: granted, the revocation executed, revoked.
    const kinds = (await audit.byCorrelation(approved.correlationId)).map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['grant.granted', 'grant.revoked', 'approval.ended']));
  });

  it('sweeps retried any number of times (and past the retry interval) enqueue one revocation in effect', async () => {
    const { user, groupId, message } = await approvedGroupAdd('dept-marketing', 3600);
    await runActionsQueue();
    const grant = await grantOf(message.actionId);
    now = new Date(Date.parse(grant.expiresAt) + 1000);
    // The mark fails three times: each sweep sends the same action id again.
    const f = fault(dynamo, 'PutItemCommand', {
      times: 3,
      when: (input) => input.TableName === resources.tables.grantsTable,
    });
    for (let i = 0; i < 3; i++) await expect(sweep()).rejects.toThrow(/grants table/);
    expect(f.fired()).toBe(3);
    expect(await sweep()).toMatchObject({ queued: 1 });
    expect(await sweep()).toMatchObject({ queued: 0 }); // revoking: not due again until its retry time
    const messages = await drain(sqs, resources.queues.actionsQueue.url);
    expect(messages.map((m) => (JSON.parse(m.Body ?? '') as ActionMessage).actionId)).toEqual(
      Array(4).fill(revokeActionId(grant.grantId)),
    );
    for (const m of messages) await executeAction(JSON.parse(m.Body ?? '') as ActionMessage, executorDeps());
    // Long after: a revoking grant is looked at again; the ledger answers (duplicate) and nothing runs twice.
    now = new Date(now.getTime() + (REVOKE_RETRY_SECONDS + 1) * 1000);
    expect(await sweep()).toMatchObject({ queued: 0 });
    expect(removals(user.id, groupId)).toHaveLength(1);
    expect((await grantOf(grant.grantId)).state).toBe('revoked');
  });

  it('the user was removed by hand first → the inverse is "already done" → revoked', async () => {
    const { user, groupId, message } = await approvedGroupAdd('dept-finance', 3600);
    await runActionsQueue();
    await adapter.removeGroupMember(groupId, user.id); // an admin, in the Okta console
    now = new Date(Date.parse((await grantOf(message.actionId)).expiresAt) + 1000);
    await sweep();
    expect(await runActionsQueue()).toEqual(['already_done']);
    expect(removals(user.id, groupId)).toHaveLength(1); // the admin's, not ours
    expect(await grantOf(message.actionId)).toMatchObject({ state: 'revoked' });
  });

  it('SQS failing during the sweep loses nothing: the grant stays active and the next sweep revokes it', async () => {
    const { user, groupId, message } = await approvedGroupAdd('dept-product', 3600);
    await runActionsQueue();
    now = new Date(Date.parse((await grantOf(message.actionId)).expiresAt) + 1000);
    fault(sqs, 'SendMessageBatchCommand', { times: 1 });
    await expect(sweep()).rejects.toThrow();
    expect((await grantOf(message.actionId)).state).toBe('active');
    await sweep();
    await runActionsQueue();
    expect(await isMember(user.id, groupId)).toBe(false);
    expect((await grantOf(message.actionId)).state).toBe('revoked');
  });

  it('DynamoDB failing as the executor ends the grant: the inverse ran once; the redelivery ends the grant', async () => {
    const { user, groupId, approved, message } = await approvedGroupAdd('dept-legal', 3600);
    await runActionsQueue();
    now = new Date(Date.parse((await grantOf(message.actionId)).expiresAt) + 1000);
    await sweep();
    const [revocation] = await drain(sqs, resources.queues.actionsQueue.url);
    const body = JSON.parse(revocation?.Body ?? '') as ActionMessage;
    fault(dynamo, 'PutItemCommand', { times: 1, when: (input) => input.TableName === resources.tables.grantsTable });
    await expect(executeAction(body, executorDeps())).rejects.toThrow(/grants table/);
    expect(await isMember(user.id, groupId)).toBe(false); // the access is gone; the grant does not say so yet
    expect((await grantOf(message.actionId)).state).toBe('revoking');
    expect(await executeAction(body, executorDeps())).toBe('duplicate'); // SQS redelivers it
    expect(removals(user.id, groupId)).toHaveLength(1);
    expect((await grantOf(message.actionId)).state).toBe('revoked');
    const ended = (await approvalEventsFor(approved.approvalId)).filter((e) => e.type.endsWith('.ended'));
    expect(ended).toHaveLength(1);
  });

  it('DynamoDB failing as the executor records the grant: the redelivery records it once, from the same grant time', async () => {
    const { message } = await approvedGroupAdd('dept-people', 3600);
    const executedAt = now.toISOString();
    fault(dynamo, 'PutItemCommand', { times: 1, when: (input) => input.TableName === resources.tables.grantsTable });
    await expect(executeAction(message, executorDeps())).rejects.toThrow(/grants table/);
    expect(await grants.get(message.actionId)).toBeUndefined();
    now = new Date(now.getTime() + 60_000); // redelivered a minute later
    expect(await executeAction(message, executorDeps())).toBe('duplicate');
    expect((await grantOf(message.actionId)).grantedAt).toBe(executedAt);
    await drain(sqs, resources.queues.actionsQueue.url);
  });
});

describe('caps and ending early', () => {
  it('a duration above the cap is clamped, audited; a privileged group without a duration gets the mandatory cap', async () => {
    const { message } = await approvedGroupAdd('loc-london', 2000 * 3600); // type cap: 720 h
    await runActionsQueue();
    const clamped = await grantOf(message.actionId);
    expect(clamped.durationSeconds).toBe(720 * 3600);
    expect(clamped.durationReason).toMatch(/clamped to the policy's cap for group.add_member \(720 h\)/);
    const granted = (await audit.byCorrelation(clamped.correlationId)).find((r) => r.kind === 'grant.granted');
    expect(granted?.detail).toMatchObject({ requestedSeconds: 2000 * 3600, durationSeconds: 720 * 3600 });

    // A privileged group (aws-prod-admin matches *-prod-*), asked for nothing: 72 h, mandatory.
    const user = await newUser(okta, 'ACTIVE');
    const groupId = groupNamed(okta, 'aws-prod-admin');
    const permanent: ActionMessage = {
      ...pendingApproval({ params: { userId: user.id, groupId } }).message,
      origin: { kind: 'manual', correlationId: `manual-${user.id}` },
    };
    expect(await executeAction(permanent, executorDeps())).toBe('executed');
    expect(await grantOf(permanent.actionId)).toMatchObject({ durationSeconds: 72 * 3600, approvers: [] });
    expect((await grantOf(permanent.actionId)).durationReason).toMatch(/mandatory/);

    // An ordinary group without a duration stays permanent: no grant.
    const plain: ActionMessage = {
      ...permanent,
      actionId: `${permanent.actionId}x`,
      action: { ...permanent.action, params: { userId: user.id, groupId: groupNamed(okta, 'loc-berlin') } },
    };
    expect(await executeAction(plain, executorDeps())).toBe('executed');
    expect(await grants.get(plain.actionId)).toBeUndefined();
  });

  it('an approver ends a grant early: revoked at once as ended-early; a second end is 409; one’s own is 403', async () => {
    const { user, groupId, approved, message } = await approvedGroupAdd('dept-support', 8 * 3600);
    await runActionsQueue();
    const ender = { userId: '00uender', login: 'sam@example.com', groups: ['it-approvers'] };
    const deps = { store: grants, actionsQueue, audit, policy: DEFAULT_POLICY, clock };
    await expect(
      endGrant(deps, { grantId: message.actionId, ender: { ...ender, userId: user.id }, reason: 'mine' }),
    ).rejects.toMatchObject({ status: 403, code: 'self_decision' });
    await expect(
      endGrant(deps, { grantId: message.actionId, ender: { ...ender, groups: ['finance'] }, reason: 'x' }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(endGrant(deps, { grantId: 'nope-0000', ender, reason: 'x' })).rejects.toMatchObject({ status: 404 });

    const ended = await endGrant(deps, { grantId: message.actionId, ender, reason: 'incident closed' });
    expect(ended).toMatchObject({ state: 'revoking', endedEarly: { by: '00uender', reason: 'incident closed' } });
    await expect(endGrant(deps, { grantId: message.actionId, ender, reason: 'again' })).rejects.toMatchObject({
      status: 409,
      code: 'grant_not_active',
    });
    // The sweeper racing the early end queues the same action id: still one removal.
    now = new Date(now.getTime() + 9 * H);
    await sweep();
    await runActionsQueue();
    expect(removals(user.id, groupId)).toHaveLength(1);
    expect(await grantOf(message.actionId)).toMatchObject({ state: 'ended-early' });
    const endedEvents = (await approvalEventsFor(approved.approvalId)).filter(
      (e) => e.type === 'dev.hookpilot.approval.ended',
    );
    expect(endedEvents.map((e) => e.data)).toEqual([
      expect.objectContaining({ how: 'ended-early', endedBy: '00uender', reason: 'incident closed' }),
    ]);
    expect((await grants.list({ subjectUserId: user.id, activeOnly: true, limit: 10 })).length).toBe(0);
    expect((await grants.list({ subjectUserId: user.id, limit: 10 })).map((g) => g.grantId)).toEqual([
      message.actionId,
    ]);
  });
});
