import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { OktaSdkAdapter } from '../../lambda/okta/okta-sdk-adapter.ts';
import {
  type ExecuteActionDeps,
  type ExecutionOutcome,
  executeAction,
  RetryLaterError,
} from '../../lambda/pipeline/execute-action.ts';
import type { AuditRecord, UserStatus } from '../../lambda/ports.ts';
import { DynamoActionLedger } from '../../lambda/store/action-ledger.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import type { LocalResources } from '../../local/resources.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { injectFault } from '../support/faults.ts';
import { startTestSim, type TestSim } from '../support/okta-sim.ts';
import { appLabelled, groupNamed, newUser, simSettings } from '../support/okta-users.ts';
import { consumeAll, drain, queueDepth } from '../support/queues.ts';

/**
 * The executor against the Okta org simulator over HTTP, with the ledger and audit trail in DynamoDB Local and the actions
 * queue in the SQS emulator. After every test the simulator's state and the audit trail must agree.
 */
const { sqs, documents, dynamo } = testClients();
let okta: TestSim;
let resources: LocalResources;
let deps: ExecuteActionDeps;
let audit: DynamoAuditLog;
let ledger: DynamoActionLedger;
let handler: typeof import('../../lambda/handlers/executor.ts')['handler'];
const sent: ActionMessage[] = [];

beforeAll(async () => {
  [resources, okta] = await Promise.all([freshResources({ visibilityTimeoutSeconds: 1 }), startTestSim()]);
  useLocalEnv(resources, {
    HOOKPILOT_OKTA_ORG_URL: okta.sim.orgUrl,
    HOOKPILOT_OKTA_API_TOKEN: okta.sim.token,
    HOOKPILOT_OKTA_ALLOW_HTTP: 'true',
    HOOKPILOT_OKTA_MAX_RATE_LIMIT_WAIT_MS: '0',
    HOOKPILOT_OKTA_REQUEST_TIMEOUT_MS: '5000',
  });
  ({ handler } = await import('../../lambda/handlers/executor.ts'));
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  ledger = new DynamoActionLedger(documents, resources.tables.actionsTable);
  deps = {
    okta: new OktaSdkAdapter(simSettings(okta)),
    ledger,
    audit,
    actionsQueue: new SqsQueue(sqs, resources.queues.actionsQueue.url, 'actions'),
    clock: () => new Date(),
    leaseMs: 30_000,
  };
});

afterAll(async () => {
  await okta?.stop();
});

const queueUrl = () => resources.queues.actionsQueue.url;
const executorFn = () => ({
  handler,
  context: () => ({ getRemainingTimeInMillis: () => 60_000, awsRequestId: 'test' }) as never,
});

function message(type: string, params: Record<string, unknown>, extra: Partial<ActionMessage> = {}): ActionMessage {
  const m: ActionMessage = {
    schemaVersion: 1,
    actionId: `test-${randomUUID()}`,
    action: { type, params },
    origin: { kind: 'recommendation', correlationId: `evt-${randomUUID()}` },
    decidedAt: new Date().toISOString(),
    ...extra,
  };
  sent.push(m);
  return m;
}

const outcomeRecord = async (m: ActionMessage): Promise<AuditRecord | undefined> =>
  (await audit.byCorrelation(m.origin.correlationId)).find((r) => r.recordKey === `action:${m.actionId}:outcome`);

/** Okta write calls (not GETs) the simulator served for this user. */
const writesFor = (userId: string) => okta.sim.requests().filter((r) => r.method !== 'GET' && r.path.includes(userId));

/** Does the simulated org now show the action's effect? */
function effectHolds(m: ActionMessage): boolean {
  const p = m.action.params as {
    userId: string;
    groupId: string;
    appId: string;
    roleType: string;
    attributes: Record<string, unknown>;
  };
  const state = okta.sim.state;
  const user = () => state.user(p.userId) as { status: string; profile: Record<string, unknown> } | undefined;
  switch (m.action.type) {
    case 'group.add_member':
      return state.userGroups(p.userId).includes(p.groupId);
    case 'group.remove_member':
      return !state.userGroups(p.userId).includes(p.groupId);
    case 'app.assign':
      return state.userApps(p.userId).some((a) => a.appId === p.appId);
    case 'app.unassign':
      return !state.userApps(p.userId).some((a) => a.appId === p.appId && a.scope === 'USER');
    case 'user.suspend':
      return user()?.status === 'SUSPENDED';
    case 'user.unsuspend':
    case 'user.unlock':
      return user()?.status === 'ACTIVE';
    case 'user.deactivate':
      return user()?.status === 'DEPROVISIONED';
    case 'user.activate':
      return ['ACTIVE', 'PROVISIONED'].includes(String(user()?.status));
    case 'user.reactivate':
      return user()?.status === 'PROVISIONED';
    case 'user.expire_password':
      return user()?.status === 'PASSWORD_EXPIRED';
    case 'user.reset_password':
      return user()?.status === 'RECOVERY';
    case 'user.reset_factors':
      return state.factors(p.userId).length === 0;
    case 'user.clear_sessions':
      return state.sessions(p.userId) === 0;
    case 'role.assign':
      return state.roles(p.userId).some((r) => r.type === p.roleType);
    case 'role.unassign':
      return !state.roles(p.userId).some((r) => r.type === p.roleType);
    case 'user.update_profile':
      return Object.entries(p.attributes).every(([k, v]) => user()?.profile[k] === v);
    case 'user.delete':
      try {
        return state.user(p.userId) === undefined;
      } catch {
        return true; // the simulator throws "not found"
      }
    default:
      return false;
  }
}

const LEDGER_STATUS: Record<string, string> = {
  'action.executed': 'SUCCEEDED',
  'action.already_done': 'SUCCEEDED',
  'action.voided': 'VOIDED',
  'action.failed': 'FAILED',
  'action.rejected': 'FAILED',
};

/** After every test: the ledger, the audit trail and the simulated org tell the same story for each action. */
afterEach(async () => {
  for (const m of sent.splice(0)) {
    const outcome = await outcomeRecord(m);
    const entry = await ledger.get(m.actionId);
    if (!outcome) {
      expect(entry?.status ?? 'none', `action ${m.action.type} has no outcome yet`).not.toBe('SUCCEEDED');
      continue;
    }
    expect(entry?.status).toBe(LEDGER_STATUS[outcome.kind]);
    if (outcome.kind === 'action.executed') {
      const requestId = outcome.detail?.requestId as string;
      const request = okta.sim.requests().find((r) => r.requestId === requestId);
      expect(request?.method, `the request ${requestId} of ${m.action.type}`).not.toBe('GET');
      expect(request?.status).toBeLessThan(300);
    }
    if ((outcome.kind === 'action.executed' || outcome.kind === 'action.already_done') && !superseded.has(m.actionId)) {
      expect(effectHolds(m), `${m.action.type} should show in the simulator`).toBe(true);
    }
  }
  superseded.clear();
});
/** Actions whose effect a later action in the same test undid on purpose. */
const superseded = new Set<string>();

async function run(m: ActionMessage): Promise<{ outcome: ExecutionOutcome; record: AuditRecord | undefined }> {
  const outcome = await executeAction(m, deps);
  return { outcome, record: await outcomeRecord(m) };
}

/** A seeded ACTIVE user with enrolled factors and no admin role (only the reset_factors test touches it). */
const seedUserWithFactors = () => {
  const user = okta.sim.state
    .users()
    .find(
      (u) =>
        u.status === 'ACTIVE' &&
        okta.sim.state.factors(String(u.id)).length > 0 &&
        okta.sim.state.roles(String(u.id)).length === 0,
    );
  if (!user) throw new Error('the seed has no such user');
  return { id: String(user.id) };
};

describe('each catalogued action, from a status it is valid in', () => {
  const cases: {
    type: string;
    from: UserStatus;
    params: (id: string) => Record<string, unknown>;
    prepare?: (id: string) => Promise<unknown> | unknown;
  }[] = [
    {
      type: 'group.add_member',
      from: 'ACTIVE',
      params: (id) => ({ userId: id, groupId: groupNamed(okta, 'aws-prod-readonly') }),
    },
    {
      type: 'group.remove_member',
      from: 'ACTIVE',
      params: (id) => ({ userId: id, groupId: groupNamed(okta, 'loc-berlin') }),
      prepare: (id) => deps.okta.addGroupMember(groupNamed(okta, 'loc-berlin'), id),
    },
    { type: 'app.assign', from: 'ACTIVE', params: (id) => ({ userId: id, appId: appLabelled(okta, 'Salesforce') }) },
    {
      type: 'app.unassign',
      from: 'ACTIVE',
      params: (id) => ({ userId: id, appId: appLabelled(okta, 'DocuSign') }),
      prepare: (id) => deps.okta.assignApp(appLabelled(okta, 'DocuSign'), id),
    },
    { type: 'user.suspend', from: 'ACTIVE', params: (id) => ({ userId: id }) },
    { type: 'user.unsuspend', from: 'SUSPENDED', params: (id) => ({ userId: id }) },
    { type: 'user.deactivate', from: 'ACTIVE', params: (id) => ({ userId: id }) },
    { type: 'user.activate', from: 'STAGED', params: (id) => ({ userId: id }) },
    { type: 'user.reactivate', from: 'PROVISIONED', params: (id) => ({ userId: id }) },
    { type: 'user.unlock', from: 'LOCKED_OUT', params: (id) => ({ userId: id }) },
    { type: 'user.expire_password', from: 'ACTIVE', params: (id) => ({ userId: id }) },
    { type: 'user.reset_password', from: 'ACTIVE', params: (id) => ({ userId: id }) },
    {
      type: 'user.clear_sessions',
      from: 'ACTIVE',
      params: (id) => ({ userId: id, oauthTokens: true }),
      prepare: (id) => okta.sim.signIn(id),
    },
    { type: 'role.assign', from: 'ACTIVE', params: (id) => ({ userId: id, roleType: 'HELP_DESK_ADMIN' }) },
    {
      type: 'role.unassign',
      from: 'ACTIVE',
      params: (id) => ({ userId: id, roleType: 'REPORT_ADMIN' }),
      prepare: (id) => deps.okta.assignRole(id, 'REPORT_ADMIN'),
    },
    {
      type: 'user.update_profile',
      from: 'ACTIVE',
      params: (id) => ({ userId: id, attributes: { title: 'Account Director', city: 'Berlin' } }),
    },
    { type: 'user.delete', from: 'DEPROVISIONED', params: (id) => ({ userId: id }) },
  ];

  it.each(cases)('$type (from $from)', async ({ type, from, params, prepare }) => {
    const { id } = await newUser(okta, from);
    await prepare?.(id);
    if (type === 'user.clear_sessions') expect(okta.sim.state.sessions(id)).toBeGreaterThan(0);
    const m = message(type, params(id));
    const { outcome, record } = await run(m);
    expect(outcome).toBe('executed');
    expect(record).toMatchObject({ kind: 'action.executed', subjectUserId: id, actor: 'executor' });
    expect(record?.detail).toMatchObject({ actionId: m.actionId, userStatusBefore: from, origin: m.origin });
    expect(effectHolds(m)).toBe(true);
  });

  it('user.reset_factors (a seeded user with enrolled factors)', async () => {
    const { id } = seedUserWithFactors();
    const { outcome } = await run(message('user.reset_factors', { userId: id }));
    expect(outcome).toBe('executed');
    expect(okta.sim.state.factors(id)).toEqual([]);
  });

  it('records the inverse: for a profile change, the values it replaced', async () => {
    const { id } = await newUser(okta, 'ACTIVE', { title: 'Account Executive', city: 'London' });
    const m = message('user.update_profile', { userId: id, attributes: { title: 'Account Director', city: 'London' } });
    const { record } = await run(m);
    expect(record?.detail?.inverse).toEqual({
      type: 'user.update_profile',
      params: { userId: id, attributes: { title: 'Account Executive' } },
    });
  });

  it('executing the recorded inverse undoes the action', async () => {
    const { id } = await newUser(okta);
    const grant = message('group.add_member', { userId: id, groupId: groupNamed(okta, 'finance-approvers') });
    const { record } = await run(grant);
    const inverse = record?.detail?.inverse as ActionMessage['action'];
    const rollback = message(inverse.type, inverse.params, {
      origin: { kind: 'rollback', correlationId: grant.origin.correlationId },
    });
    expect((await run(rollback)).outcome).toBe('executed');
    superseded.add(grant.actionId);
    expect(okta.sim.state.userGroups(id)).not.toContain(groupNamed(okta, 'finance-approvers'));
  });
});

describe('already done is success, not an error', () => {
  it.each([
    ['group.add_member', async (id: string) => ({ userId: id, groupId: groupNamed(okta, 'loc-london') })],
    ['group.remove_member', async (id: string) => ({ userId: id, groupId: groupNamed(okta, 'aws-prod-admin') })],
    ['user.unsuspend', async (id: string) => ({ userId: id })],
    ['role.unassign', async (id: string) => ({ userId: id, roleType: 'SUPER_ADMIN' })],
    [
      'app.assign',
      async (id: string) => {
        await deps.okta.assignApp(appLabelled(okta, 'PagerDuty'), id);
        return { userId: id, appId: appLabelled(okta, 'PagerDuty') };
      },
    ],
  ])('%s', async (type, params) => {
    const { id } = await newUser(okta, 'ACTIVE', { city: 'London' });
    if (type === 'group.add_member') await deps.okta.addGroupMember(groupNamed(okta, 'loc-london'), id);
    const m = message(type, await params(id));
    const writes = writesFor(id).length;
    const { outcome, record } = await run(m);
    expect(outcome).toBe('already_done');
    expect(record?.kind).toBe('action.already_done');
    expect(writesFor(id).length).toBe(writes); // nothing was sent to Okta
  });
});

describe('invalid from the current state: voided with a clear reason, Okta untouched', () => {
  it.each([
    [
      'user.suspend',
      'STAGED',
      (id: string) => ({ userId: id }),
      'the user is STAGED; user.suspend is valid only from ACTIVE',
    ],
    [
      'user.delete',
      'ACTIVE',
      (id: string) => ({ userId: id }),
      'the user is ACTIVE; user.delete is valid only from DEPROVISIONED',
    ],
    [
      'role.assign',
      'SUSPENDED',
      (id: string) => ({ userId: id, roleType: 'USER_ADMIN' }),
      'the user is SUSPENDED; role.assign is valid only from ACTIVE',
    ],
    [
      'app.assign',
      'DEPROVISIONED',
      (id: string) => ({ userId: id, appId: appLabelled(okta, 'Salesforce') }),
      'the user is DEPROVISIONED; app.assign is valid only from',
    ],
    [
      'user.unlock',
      'SUSPENDED',
      (id: string) => ({ userId: id }),
      'the user is SUSPENDED; user.unlock is valid only from LOCKED_OUT',
    ],
    [
      'group.add_member',
      'ACTIVE',
      (id: string) => ({ userId: id, groupId: groupNamed(okta, 'Workday - Supervisory Org - Engineering') }),
      'is an APP_GROUP (its members come from the app); its members cannot be changed',
    ],
    [
      'app.unassign',
      'ACTIVE',
      (id: string) => ({ userId: id, appId: appLabelled(okta, 'Slack') }),
      'is assigned through a group; remove the group membership instead',
    ],
  ] as const)('%s from %s', async (type, from, params, reason) => {
    const { id } = await newUser(okta, from);
    const writes = writesFor(id).length;
    const m = message(type, params(id));
    const { outcome, record } = await run(m);
    expect(outcome).toBe('voided');
    expect(record?.kind).toBe('action.voided');
    expect(String(record?.detail?.reason)).toContain(reason);
    expect(record?.summary).toContain(reason);
    expect(writesFor(id).length).toBe(writes);
  });

  it('a user who no longer exists', async () => {
    const { outcome, record } = await run(message('user.suspend', { userId: '00uDOESNOTEXIST00001' }));
    expect(outcome).toBe('voided');
    expect(record?.summary).toContain('the user no longer exists');
  });
});

describe('a change between decision and execution voids the action', () => {
  it('a profile attribute the decision rested on changed', async () => {
    const { id } = await newUser(okta, 'ACTIVE', { department: 'Sales' });
    const m = message(
      'group.add_member',
      { userId: id, groupId: groupNamed(okta, 'dept-sales') },
      { preconditions: { profile: { department: 'Sales' } } },
    );
    await fetch(`${okta.sim.orgUrl}/api/v1/users/${id}`, {
      method: 'POST',
      headers: { authorization: `SSWS ${okta.sim.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ profile: { department: 'Engineering' } }),
    });
    const writes = writesFor(id).length;
    const { outcome, record } = await run(m);
    expect(outcome).toBe('voided');
    expect(record?.detail?.reason).toBe('department changed since the decision (was "Sales", now "Engineering")');
    expect(writesFor(id).length).toBe(writes);
  });

  it('the user status changed', async () => {
    const { id } = await newUser(okta);
    const m = message(
      'group.add_member',
      { userId: id, groupId: groupNamed(okta, 'loc-berlin') },
      { preconditions: { status: ['ACTIVE'] } },
    );
    await deps.okta.lifecycle(id, 'suspend');
    const { outcome, record } = await run(m);
    expect(outcome).toBe('voided');
    expect(record?.detail?.reason).toBe('the user is now SUSPENDED (the decision was made when it was ACTIVE)');
  });

  it('the status changes after the re-read, and Okta refuses (E0000038): voided, not retried', async () => {
    const { id } = await newUser(okta);
    // Okta is slow to take the suspend; meanwhile another admin deactivates the user.
    const slow = okta.sim.faults.add({ method: 'POST', path: `/api/v1/users/${id}/lifecycle/suspend`, delayMs: 400 });
    const m = message('user.suspend', { userId: id });
    const running = run(m);
    // Deactivate only once the suspend has reached Okta (so after the executor's re-read and ledger claim), and while
    // its delay holds it. The simulator logs a request when it answers, so okta.sim.requests() cannot tell; the fault
    // counts a request as it arrives, before the delay.
    await vi.waitFor(
      () => {
        if (slow.matched < 1) throw new Error('the suspend has not reached Okta yet');
      },
      { timeout: 5_000, interval: 5 },
    );
    await fetch(`${okta.sim.orgUrl}/api/v1/users/${id}/lifecycle/deactivate`, {
      method: 'POST',
      headers: { authorization: `SSWS ${okta.sim.token}` },
    });
    // the deactivation landed while Okta still held the suspend (it has not answered it yet)
    expect(okta.sim.requests().some((r) => r.path === `/api/v1/users/${id}/lifecycle/suspend`)).toBe(false);
    const { outcome, record } = await running;
    expect(outcome).toBe('voided');
    expect(record?.detail).toMatchObject({
      errorCode: 'E0000038',
      reason: 'the user status changed; Okta refused the operation',
    });
    expect(await executeAction(m, deps)).toBe('duplicate');
  });

  it('a permission problem (403 without a status error) is a failure to fix, not a void', async () => {
    const { id } = await newUser(okta);
    okta.sim.faults.add({ method: 'POST', path: `/api/v1/users/${id}/lifecycle/suspend`, status: 403 });
    const { outcome, record } = await run(message('user.suspend', { userId: id }));
    expect(outcome).toBe('failed');
    expect(record?.detail).toMatchObject({ kind: 'forbidden' });
  });
});

describe('exactly once', () => {
  it('a message delivered twice executes once', async () => {
    const { id } = await newUser(okta);
    const m = message('group.add_member', { userId: id, groupId: groupNamed(okta, 'incident-responders') });
    const queue = new SqsQueue<ActionMessage>(sqs, queueUrl(), 'actions');
    await queue.send([{ id: m.actionId, body: m }]);
    await queue.send([{ id: m.actionId, body: m }]);
    const stats = await consumeAll(sqs, queueUrl(), executorFn());
    expect(stats.succeeded).toBe(2);
    const puts = okta.sim.requests().filter((r) => r.method === 'PUT' && r.path.endsWith(`/users/${id}`));
    expect(puts).toHaveLength(1);
    const outcomes = (await audit.byCorrelation(m.origin.correlationId)).filter((r) =>
      r.recordKey.endsWith(':outcome'),
    );
    expect(outcomes.map((r) => r.kind)).toEqual(['action.executed']);
  });

  it('two workers racing for the same action: one acts, the other backs off', async () => {
    const { id } = await newUser(okta);
    const m = message('role.assign', { userId: id, roleType: 'READ_ONLY_ADMIN' });
    const results = await Promise.allSettled([executeAction(m, deps), executeAction(m, deps)]);
    const fulfilled = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<ExecutionOutcome>).value);
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    // Whichever way the race goes: exactly one executes, and the other either finds the action taken (RetryLaterError,
    // so SQS redelivers it later) or, if it came after the winner finished, sees it done ('duplicate').
    expect(results).toHaveLength(2);
    expect(fulfilled.filter((o) => o === 'executed')).toHaveLength(1);
    const other = [...fulfilled.filter((o) => o !== 'executed'), ...rejected];
    expect(other).toHaveLength(1);
    if (other[0] instanceof Error) expect(other[0]).toBeInstanceOf(RetryLaterError);
    else expect(other[0]).toBe('duplicate');
    expect(await executeAction(m, deps)).toBe('duplicate');
    expect(
      okta.sim.requests().filter((r) => r.method === 'POST' && r.path === `/api/v1/users/${id}/roles`),
    ).toHaveLength(1);
  });

  it('Okta made the change but the answer was lost: the retry sees it done and does not act again', async () => {
    const { id } = await newUser(okta);
    const group = groupNamed(okta, 'github-org-owners');
    okta.sim.faults.add({ method: 'PUT', path: `/api/v1/groups/${group}/users/${id}`, status: 500, when: 'after' });
    const m = message('group.add_member', { userId: id, groupId: group });
    await expect(executeAction(m, deps)).rejects.toBeInstanceOf(RetryLaterError);
    expect(okta.sim.state.userGroups(id)).toContain(group); // it did happen
    const { outcome } = await run(m); // SQS redelivers
    expect(outcome).toBe('already_done');
    expect(okta.sim.requests().filter((r) => r.method === 'PUT' && r.path.endsWith(`/users/${id}`))).toHaveLength(1);
    const kinds = (await audit.byCorrelation(m.origin.correlationId)).map((r) => r.kind);
    expect(kinds.sort()).toEqual(['action.already_done', 'action.attempt_failed']);
  });
});

describe('a DynamoDB fault after Okta acted loses nothing', () => {
  const auditPut = (input: Record<string, unknown>) =>
    input.TableName === resources.tables.auditTable &&
    String((input.Item as Record<string, unknown>)?.recordKey ?? '').endsWith(':outcome');

  it('the outcome record cannot be written: the redelivery writes it (request id and inverse kept), Okta is not called again', async () => {
    const { id } = await newUser(okta, 'ACTIVE', { title: 'Analyst' });
    const m = message('user.update_profile', { userId: id, attributes: { title: 'Senior Analyst' } });
    const fault = injectFault(dynamo, 'PutItemCommand', { times: 1, when: auditPut });
    try {
      await expect(executeAction(m, deps)).rejects.toThrow(/audit store/);
    } finally {
      fault.remove();
    }
    expect(fault.fired()).toBe(1);
    expect(await outcomeRecord(m)).toBeUndefined();
    const { outcome, record } = await run(m); // SQS redelivers
    expect(outcome).toBe('duplicate');
    expect(record?.kind).toBe('action.executed');
    expect(record?.detail).toMatchObject({
      requestId: expect.any(String),
      inverse: { type: 'user.update_profile', params: { userId: id, attributes: { title: 'Analyst' } } },
    });
    expect(writesFor(id).filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it("the request id cannot be remembered: the redelivery remembers it, so Okta's echo is still recognised", async () => {
    const { id } = await newUser(okta);
    const m = message('group.add_member', { userId: id, groupId: groupNamed(okta, 'loc-london') });
    const fault = injectFault(dynamo, 'PutItemCommand', {
      times: 1,
      when: (input) =>
        input.TableName === resources.tables.actionsTable &&
        String((input.Item as Record<string, unknown>)?.actionId ?? '').startsWith('okta-request:'),
    });
    try {
      await expect(executeAction(m, deps)).rejects.toThrow(/action ledger/);
    } finally {
      fault.remove();
    }
    expect(fault.fired()).toBe(1);
    const { outcome, record } = await run(m); // SQS redelivers
    expect(outcome).toBe('duplicate');
    expect(record?.kind).toBe('action.executed');
    expect(await ledger.actionForRequest(String(record?.detail?.requestId))).toBe(m.actionId);
    expect(writesFor(id)).toHaveLength(1);
  });
});

describe('failures', () => {
  it('a permanent error is an audited failure and is not retried', async () => {
    const { id } = await newUser(okta);
    const group = groupNamed(okta, 'loc-singapore');
    okta.sim.faults.add({ method: 'PUT', path: `/api/v1/groups/${group}/users/${id}`, status: 400 });
    const m = message('group.add_member', { userId: id, groupId: group });
    const { outcome, record } = await run(m);
    expect(outcome).toBe('failed');
    expect(record?.detail).toMatchObject({ kind: 'invalid', errorCode: 'E0000001' });
    expect(record?.detail?.requestId).toEqual(expect.any(String));
    expect(await executeAction(m, deps)).toBe('duplicate'); // a redelivery does not try again
  });

  it('a transient error is retried through the queue until it succeeds', async () => {
    const { id } = await newUser(okta);
    const group = groupNamed(okta, 'loc-new-york');
    okta.sim.faults.add({ method: 'PUT', path: `/api/v1/groups/${group}/users/${id}`, status: 503, times: 2 });
    const m = message('group.add_member', { userId: id, groupId: group });
    await deps.actionsQueue.send([{ id: m.actionId, body: m }]);
    await consumeAll(sqs, queueUrl(), executorFn(), { timeoutMs: 20_000 });
    const kinds = (await audit.byCorrelation(m.origin.correlationId)).map((r) => r.kind).sort();
    expect(kinds).toEqual(['action.attempt_failed', 'action.attempt_failed', 'action.executed']);
  });

  it('a dependency that never recovers ends in the dead-letter queue, with every attempt audited', async () => {
    const { id } = await newUser(okta);
    okta.sim.faults.add({
      method: 'POST',
      path: `/api/v1/users/${id}/lifecycle/suspend`,
      status: 500,
      times: Number.POSITIVE_INFINITY,
    });
    const m = message('user.suspend', { userId: id });
    await deps.actionsQueue.send([{ id: m.actionId, body: m }]);
    await consumeAll(sqs, queueUrl(), executorFn(), { timeoutMs: 30_000 });
    const dead = await drain(sqs, resources.queues.actionsQueue.dlqUrl);
    expect(dead.map((d) => JSON.parse(d.Body ?? '{}').actionId)).toEqual([m.actionId]);
    expect((await ledger.get(m.actionId))?.status).toBe('RETRYING');
    const attempts = (await audit.byCorrelation(m.origin.correlationId)).filter(
      (r) => r.kind === 'action.attempt_failed',
    );
    expect(attempts).toHaveLength(5);
    okta.sim.faults.clear();
  });

  it('Okta refusing hookpilot’s credentials (401) makes the action wait for a fix, not fail', async () => {
    const { id } = await newUser(okta);
    const badCredentials = {
      ...deps,
      okta: new OktaSdkAdapter(
        simSettings(okta, { credentials: async () => ({ kind: 'apiToken', apiToken: 'revoked-token-000000' }) }),
      ),
    };
    const m = message('user.suspend', { userId: id });
    await expect(executeAction(m, badCredentials)).rejects.toBeInstanceOf(RetryLaterError);
    expect((await ledger.get(m.actionId))?.status).toBe('RETRYING');
    const [attempt] = await audit.byCorrelation(m.origin.correlationId);
    expect(attempt).toMatchObject({ kind: 'action.attempt_failed' });
    expect(attempt?.summary).toContain("hookpilot's Okta credentials were refused");
    expect((await run(m)).outcome).toBe('executed'); // once the credentials are fixed, the redelivery acts
  });

  it('an action that is not in the catalog is rejected and audited', async () => {
    const m = message('org.disable_mfa', { userId: '00u8new3Hs5LpQ2zY1d7' });
    const { outcome } = await run(m);
    expect(outcome).toBe('failed');
    const records = await audit.byCorrelation(m.origin.correlationId);
    expect(records.map((r) => r.kind)).toEqual(['action.rejected']);
  });
});

describe('rate limits', () => {
  it('a 429 storm delays the actions (back on the queue until the reset) but loses nothing and doubles nothing', async () => {
    const users = await Promise.all([newUser(okta), newUser(okta), newUser(okta)]);
    const group = groupNamed(okta, 'people-managers');
    const messages = users.map(({ id }) => message('group.add_member', { userId: id, groupId: group }));
    okta.sim.rateLimits.force('users', 6, 1);
    await deps.actionsQueue.send(messages.map((m) => ({ id: m.actionId, body: m })));
    await consumeAll(sqs, queueUrl(), executorFn(), { timeoutMs: 45_000 });
    expect(await queueDepth(sqs, resources.queues.actionsQueue.dlqUrl)).toBe(0);
    for (const m of messages) {
      const kinds = (await audit.byCorrelation(m.origin.correlationId)).map((r) => r.kind);
      expect(
        kinds.filter((k) => k === 'action.executed'),
        JSON.stringify(await audit.byCorrelation(m.origin.correlationId)),
      ).toHaveLength(1);
      expect(kinds).toContain('action.deferred');
    }
    for (const { id } of users) {
      expect(okta.sim.state.userGroups(id)).toContain(group);
      expect(okta.sim.requests().filter((r) => r.method === 'PUT' && r.path.endsWith(`/users/${id}`))).toHaveLength(1);
    }
  });
  it('an action rate limited more than maxDeferrals times fails, audited, instead of waiting for ever', async () => {
    const { id } = await newUser(okta);
    const m = message('user.suspend', { userId: id });
    okta.sim.faults.add({
      method: 'GET',
      path: `/api/v1/users/${id}`,
      status: 429,
      times: Number.POSITIVE_INFINITY,
    });
    const capped = { ...deps, maxDeferrals: 2 };
    try {
      // The queue would bring back each deferred copy; here each comes back at once, with its deferral count.
      expect(await executeAction(m, capped)).toBe('deferred');
      expect(await executeAction({ ...m, deferrals: 1 }, capped)).toBe('deferred');
      expect(await executeAction({ ...m, deferrals: 2 }, capped)).toBe('failed');
    } finally {
      okta.sim.faults.clear();
    }
    const records = await audit.byCorrelation(m.origin.correlationId);
    expect(records.filter((r) => r.kind === 'action.deferred')).toHaveLength(2);
    expect((await outcomeRecord(m))?.detail).toMatchObject({ reason: 'rate limited too many times', deferrals: 3 });
    expect(await executeAction(m, capped)).toBe('duplicate');
    expect(okta.sim.state.user(id)?.status).toBe('ACTIVE');
    await drain(sqs, queueUrl()); // the two delayed copies
  });
});

describe('the hourly cap on automatic actions (in the ledger)', () => {
  it('gives out at most `cap` slots an hour, and the same action asking again keeps its slot', async () => {
    const hour = `test-${randomUUID()}`;
    const now = new Date();
    expect(await ledger.reserveAutoSlot(hour, 'a1', 2, now)).toBe(true);
    expect(await ledger.reserveAutoSlot(hour, 'a2', 2, now)).toBe(true);
    expect(await ledger.reserveAutoSlot(hour, 'a3', 2, now)).toBe(false);
    expect(await ledger.reserveAutoSlot(hour, 'a1', 2, now)).toBe(true); // a retry of a1 does not take a third slot
    expect(await ledger.reserveAutoSlot(hour, 'a3', 2, now)).toBe(false);
    expect(await ledger.reserveAutoSlot(`${hour}-next`, 'a3', 2, now)).toBe(true);
    expect(await ledger.reserveAutoSlot(hour, 'a4', 0, now)).toBe(false);
  });
});
