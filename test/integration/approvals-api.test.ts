import type { TransactWriteItemsCommandInput } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { type ApprovalRecord, nextRecord } from '../../lambda/domain/approval.ts';
import { dispatchApproved } from '../../lambda/pipeline/dispatch-approved.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { dynamoClient, sqsClient } from '../../lambda/store/aws-clients.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import { ROUTES } from '../../lib/manifest.ts';
import { startGateway } from '../../local/gateway.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { manualClock } from '../../local/okta-sim/clock.ts';
import type { LocalResources } from '../../local/resources.ts';
import { pendingRecord } from '../support/approval-fakes.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { type Fault, injectFault } from '../support/faults.ts';
import { call, startTestSim, type TestSim } from '../support/okta-sim.ts';
import { groupNamed, handlerEnv, newUser } from '../support/okta-users.ts';
import { consumeAll, drain, queueDepth } from '../support/queues.ts';

/**
 * The approvals API over real HTTP (the local gateway in front of the real handler), with approvers' tokens from the Okta
 * simulator's authorization server, requests in DynamoDB Local, the actions queue in the SQS emulator, and the executor
 * acting on the simulator. Every refusal leaves the actions queue empty; every approval executes exactly once.
 */
const { sqs, documents } = testClients();
const simClock = manualClock();
let okta: TestSim;
let resources: LocalResources;
let store: DynamoApprovalStore;
let audit: DynamoAuditLog;
let url = '';
let stopGateway: () => Promise<void>;
let executor: typeof import('../../lambda/handlers/executor.ts')['handler'];
const faults: Fault[] = [];

const IT = 'sarah.mitchell@acme-demo.example'; // it-approvers
const IT2 = 'patrick.doyle@acme-demo.example'; // it-approvers
const SEC = 'nathan.cole@acme-demo.example'; // security-approvers
const NOBODY = 'priya.nair@acme-demo.example'; // no approver group

beforeAll(async () => {
  [resources, okta] = await Promise.all([
    freshResources({ visibilityTimeoutSeconds: 1 }),
    startTestSim({ clock: simClock }),
  ]);
  useLocalEnv(resources, {
    ...handlerEnv(okta),
    HOOKPILOT_AWS_REQUEST_TIMEOUT_MS: '1500',
    HOOKPILOT_APPROVALS_ISSUER: okta.sim.authorizationServers.issuer('default'),
    HOOKPILOT_APPROVALS_AUDIENCE: 'api://default',
    HOOKPILOT_APPROVALS_CLOCK_TOLERANCE_SECONDS: '0',
    HOOKPILOT_POLICY_FILE: 'policy/hookpilot.policy.json',
  });
  const api = await import('../../lambda/handlers/approvals-api.ts');
  ({ handler: executor } = await import('../../lambda/handlers/executor.ts'));
  const gateway = await startGateway({
    port: 0,
    routes: ROUTES.filter((r) => r.fn === 'approvalsApi').map((r) => ({
      method: r.method,
      path: r.path,
      fn: { handler: api.handler, context: () => lambdaContext('approvals-api', 10, 512) },
    })),
  });
  url = gateway.url;
  stopGateway = gateway.stop;
  store = new DynamoApprovalStore(documents, resources.tables.approvalsTable as string);
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
});

afterAll(async () => {
  await stopGateway?.();
  await okta?.stop();
});

beforeEach(async () => {
  await drain(sqs, actionsQueue());
  await drain(sqs, resources.queues.approvalQueue.url);
});

afterEach(() => {
  for (const f of faults.splice(0)) f.remove();
});

const actionsQueue = () => resources.queues.actionsQueue.url;
const fault = (...args: Parameters<typeof injectFault>) => {
  const f = injectFault(...args);
  faults.push(f);
  return f;
};

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, each asserted
type Body = Record<string, any>;

/** An access token for a simulated user, minted now (the simulator's clock follows the test's). */
async function tokenFor(login: string, extra: Record<string, unknown> = {}): Promise<string> {
  simClock.set(Date.now());
  const minted = await call<{ access_token: string }>(okta.sim, 'POST', '/__sim/tokens', { body: { login, ...extra } });
  expect(minted.status).toBe(201);
  return minted.body.access_token;
}

const userId = (login: string) => String(okta.sim.state.user(login)?.id);

async function api(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: Body; headers: Headers }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

/** A pending request, stored as the events consumer stores it: adding a fresh user to dept-sales (low risk). */
async function request(
  options: Parameters<typeof pendingRecord>[0] & { subject?: { id: string } } = {},
): Promise<ApprovalRecord> {
  const subject = options.subject ?? (await newUser(okta));
  const record = pendingRecord({
    userId: subject.id,
    action: { type: 'group.add_member', params: { userId: subject.id, groupId: groupNamed(okta, 'dept-sales') } },
    ...options,
  });
  const { created } = await store.create(record, []);
  expect(created).toBe(true);
  return record;
}

async function decide(id: string, token: string, body: Record<string, unknown>) {
  return api('POST', `/approvals/${id}/decision`, token, body);
}

/** Runs the executor over everything on the actions queue. */
async function execute(): Promise<void> {
  await consumeAll(sqs, actionsQueue(), {
    handler: executor as never,
    context: () => lambdaContext('executor', 60, 512),
  });
}

const isMember = (user: string, group: string) => okta.sim.state.userGroups(user).includes(groupNamed(okta, group));

async function kinds(record: ApprovalRecord): Promise<string[]> {
  return (await audit.byCorrelation(record.correlationId)).map((r) => r.kind);
}

describe('deciding over HTTP', () => {
  it('an IT approver sees the request and its hash, approves it, and the executor adds the user once', async () => {
    const record = await request();
    const token = await tokenFor(IT);
    const shown = await api('GET', `/approvals/${record.approvalId}`, token);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      payloadHash: record.payloadHash,
      caller: { userId: userId(IT), mayApprove: true },
      approval: { state: 'pending', risk: 'low' },
    });
    const listed = await api('GET', '/approvals?status=pending&limit=100', token);
    expect(listed.body.items.map((i: { approvalId: string }) => i.approvalId)).toContain(record.approvalId);

    const decided = await decide(record.approvalId, token, {
      decision: 'approve',
      payloadHash: shown.body.payloadHash,
    });
    expect(decided).toMatchObject({ status: 200, body: { state: 'approved', queued: true } });
    expect(await queueDepth(sqs, actionsQueue())).toBe(1);
    await execute();
    expect(isMember(record.subjectUserId as string, 'dept-sales')).toBe(true);
    const trail = await kinds(record);
    expect(trail.filter((k) => k === 'action.executed')).toHaveLength(1);
    expect(trail).toEqual(expect.arrayContaining(['approval.approve', 'approval.approved', 'action.executed']));
    const approvalRecord = (await audit.byCorrelation(record.correlationId)).find((r) => r.kind === 'approval.approve');
    expect(approvalRecord?.detail).toMatchObject({ approverId: userId(IT), approverLogin: IT });
    const stored = await store.get(record.approvalId);
    expect(stored?.decisions).toHaveLength(1);
    // The executor reported back: the request is executed, and the approval queue said approved, then executed.
    expect(stored?.state).toBe('executed');
    const published = (await drain(sqs, resources.queues.approvalQueue.url))
      .map((m) => JSON.parse(m.Body as string) as { type: string; subject: string })
      .filter((e) => e.subject === record.approvalId)
      .map((e) => e.type);
    expect(published).toEqual(['dev.hookpilot.approval.approved', 'dev.hookpilot.approval.executed']);
  });

  it('a rejection (with a reason) is recorded and nothing executes', async () => {
    const record = await request();
    const token = await tokenFor(SEC);
    const r = await decide(record.approvalId, token, {
      decision: 'reject',
      payloadHash: record.payloadHash,
      reason: 'not in Sales after all',
    });
    expect(r).toMatchObject({ status: 200, body: { state: 'rejected', queued: false } });
    expect(await queueDepth(sqs, actionsQueue())).toBe(0);
    expect(await kinds(record)).toEqual(expect.arrayContaining(['approval.reject', 'approval.rejected']));
    expect(isMember(record.subjectUserId as string, 'dept-sales')).toBe(false);
  });

  it('a critical action executes only after one security AND one IT approver', async () => {
    const subject = await newUser(okta);
    const record = await request({
      subject,
      risk: 'critical',
      action: { type: 'role.assign', params: { userId: subject.id, roleType: 'SUPER_ADMIN' } },
    });
    const body = { decision: 'approve', payloadHash: record.payloadHash };
    expect(await decide(record.approvalId, await tokenFor(IT), body)).toMatchObject({
      status: 200,
      body: { state: 'pending', queued: false, stillRequired: 'one more approver from security-approvers' },
    });
    const second = await decide(record.approvalId, await tokenFor(IT2), body);
    expect(second).toMatchObject({ status: 403, body: { error: { code: 'slot_filled' } } });
    expect(await queueDepth(sqs, actionsQueue())).toBe(0);
    expect(await decide(record.approvalId, await tokenFor(SEC), body)).toMatchObject({
      status: 200,
      body: { state: 'approved', queued: true },
    });
    await execute();
    expect(okta.sim.state.roles(subject.id).map((r) => r.type)).toContain('SUPER_ADMIN');
    const approved = (await audit.byCorrelation(record.correlationId)).find((r) => r.kind === 'approval.approved');
    const approvers = (approved?.detail as { approvers?: { approverId: string }[] } | undefined)?.approvers ?? [];
    expect(approvers.map((a) => a.approverId)).toEqual([userId(IT), userId(SEC)]);
  });
});

describe('refusals: each with its own error, and nothing executes', () => {
  afterEach(async () => {
    expect(await queueDepth(sqs, actionsQueue())).toBe(0);
  });

  it('no token, an unsigned (alg: none) token, another audience, another issuer, an expired token: 401', async () => {
    const record = await request();
    const body = { decision: 'approve', payloadHash: record.payloadHash };
    const missing = await decide(record.approvalId, '', body);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm="hookpilot"/);

    const good = await tokenFor(IT);
    const claims = decodeJwt(good);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expect((await decide(record.approvalId, none, body)).body.error.message).toBe(
      'the access token is not signed with RS256',
    );

    const otherAudience = await tokenFor(IT, { audience: 'api://somewhere-else' });
    expect((await decide(record.approvalId, otherAudience, body)).body.error.message).toBe(
      'the access token is not meant for this API (audience)',
    );

    okta.sim.authorizationServers.add({ id: 'ausOtherIssuer00001', audience: 'api://default' });
    const otherIssuer = await tokenFor(IT, { authServerId: 'ausOtherIssuer00001' });
    const wrongIssuer = await decide(record.approvalId, otherIssuer, body);
    expect(wrongIssuer.status).toBe(401);

    // Minted two hours ago for one hour: expired now.
    simClock.set(Date.now() - 2 * 3600_000);
    const old = await call<{ access_token: string }>(okta.sim, 'POST', '/__sim/tokens', { body: { login: IT } });
    simClock.set(Date.now());
    const expired = await decide(record.approvalId, old.body.access_token, body);
    expect(expired).toMatchObject({ status: 401, body: { error: { message: 'the access token has expired' } } });

    expect((await store.get(record.approvalId))?.state).toBe('pending');
  });

  it('a valid token without approver rights: 403 not_an_approver', async () => {
    const record = await request();
    const token = await tokenFor(NOBODY);
    expect((await api('GET', '/approvals', token)).status).toBe(403);
    expect(
      await decide(record.approvalId, token, { decision: 'approve', payloadHash: record.payloadHash }),
    ).toMatchObject({ status: 403, body: { error: { code: 'not_an_approver' } } });
  });

  it('an approver deciding on their own request: 403 self_decision', async () => {
    const record = await request({ subject: { id: userId(IT) } });
    const r = await decide(record.approvalId, await tokenFor(IT), {
      decision: 'approve',
      payloadHash: record.payloadHash,
    });
    expect(r).toMatchObject({ status: 403, body: { error: { code: 'self_decision' } } });
  });

  it('a hash that is not the stored action’s: 409 payload_changed', async () => {
    const record = await request();
    const r = await decide(record.approvalId, await tokenFor(IT), { decision: 'approve', payloadHash: 'f'.repeat(64) });
    expect(r).toMatchObject({ status: 409, body: { error: { code: 'payload_changed' } } });
  });

  it('an unknown id: 404; a bad body: 400 naming the field', async () => {
    const token = await tokenFor(IT);
    expect(
      (await decide('apr_000000000000000000000000', token, { decision: 'approve', payloadHash: 'a'.repeat(64) }))
        .status,
    ).toBe(404);
    const record = await request();
    const bad = await decide(record.approvalId, token, {
      decision: 'approve',
      payloadHash: record.payloadHash,
      durationSeconds: 'long',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['durationSeconds']);
    expect(
      (await decide(record.approvalId, token, { decision: 'reject', payloadHash: record.payloadHash })).body.error.code,
    ).toBe('reason_required');
  });

  it('a request past its expiry: 409 expired, even before the sweeper marks it', async () => {
    const record = await request({ now: new Date(Date.now() - 73 * 3600_000) });
    const r = await decide(record.approvalId, await tokenFor(IT), {
      decision: 'approve',
      payloadHash: record.payloadHash,
    });
    expect(r).toMatchObject({ status: 409, body: { error: { code: 'expired' } } });
    expect((await store.get(record.approvalId))?.decisions).toEqual([]);
  });

  it('a second decision: 409 (already decided / no longer pending, naming the state)', async () => {
    const record = await request();
    const token = await tokenFor(IT);
    await decide(record.approvalId, token, { decision: 'reject', payloadHash: record.payloadHash, reason: 'no' });
    const again = await decide(record.approvalId, await tokenFor(SEC), {
      decision: 'approve',
      payloadHash: record.payloadHash,
    });
    expect(again).toMatchObject({
      status: 409,
      body: { error: { code: 'not_pending', details: { state: 'rejected' } } },
    });
  });

  it('an approval racing the expiry: the sweeper’s write lands first, the approval gets 409 and nothing runs', async () => {
    const record = await request();
    // Just before the approval's write reaches DynamoDB, the sweeper expires the request (as at its expiry time).
    let raced = false;
    const stack = dynamoClient().middlewareStack as unknown as {
      add: (mw: unknown, options: unknown) => void;
      remove: (name: string) => void;
    };
    stack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: { input: TransactWriteItemsCommandInput }) => {
          if (context.commandName === 'TransactWriteItemsCommand' && !raced) {
            raced = true;
            const current = (await store.get(record.approvalId)) as ApprovalRecord;
            expect(await store.update(nextRecord(current, { state: 'expired' }), current.version, [])).toBe(true);
          }
          return next(args);
        },
      { step: 'initialize', name: 'race-expiry' },
    );
    try {
      const token = await tokenFor(IT);
      const r = await decide(record.approvalId, token, { decision: 'approve', payloadHash: record.payloadHash });
      expect(r).toMatchObject({ status: 409, body: { error: { code: 'not_pending', details: { state: 'expired' } } } });
    } finally {
      stack.remove('race-expiry');
    }
    expect(raced).toBe(true);
    expect((await store.get(record.approvalId))?.state).toBe('expired');
  });
});

describe('faults while deciding lose no state change and double no execution', () => {
  it('DynamoDB fails to record the decision: 503, nothing recorded; the retry approves and it runs once', async () => {
    const record = await request();
    const token = await tokenFor(IT);
    const body = { decision: 'approve', payloadHash: record.payloadHash };
    fault(dynamoClient(), 'TransactWriteItemsCommand', { times: 1 });
    expect((await decide(record.approvalId, token, body)).status).toBe(503);
    expect((await store.get(record.approvalId))?.state).toBe('pending');
    expect(await queueDepth(sqs, actionsQueue())).toBe(0);
    expect((await decide(record.approvalId, token, body)).body.state).toBe('approved');
    await execute();
    expect((await kinds(record)).filter((k) => k === 'action.executed')).toHaveLength(1);
  });

  it('the decision is written but DynamoDB’s answer is lost: 503; the retry is told 409 and queues it; it runs once', async () => {
    const record = await request();
    const token = await tokenFor(IT);
    const body = { decision: 'approve', payloadHash: record.payloadHash };
    let lost = false;
    const stack = dynamoClient().middlewareStack as unknown as {
      add: (mw: unknown, options: unknown) => void;
      remove: (name: string) => void;
    };
    stack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const result = await next(args);
        if (context.commandName === 'TransactWriteItemsCommand' && !lost) {
          lost = true;
          throw Object.assign(new Error('socket hang up'), { name: 'NetworkingError' });
        }
        return result;
      },
      { step: 'initialize', name: 'lose-answer' },
    );
    try {
      expect((await decide(record.approvalId, token, body)).status).toBe(503);
    } finally {
      stack.remove('lose-answer');
    }
    expect(lost).toBe(true);
    expect((await store.get(record.approvalId))?.state).toBe('approved');
    expect(await queueDepth(sqs, actionsQueue())).toBe(0);
    expect((await decide(record.approvalId, token, body)).status).toBe(409);
    await execute();
    expect((await kinds(record)).filter((k) => k === 'action.executed')).toHaveLength(1);
    expect((await store.get(record.approvalId))?.state).toBe('executed');
  });

  it('the actions queue fails after the approval is recorded: 503 saying so; the retry queues it; it runs once', async () => {
    const record = await request();
    const token = await tokenFor(IT);
    const body = { decision: 'approve', payloadHash: record.payloadHash };
    fault(sqsClient(), 'SendMessageBatchCommand', { times: 1 });
    const first = await decide(record.approvalId, token, body);
    expect(first.status).toBe(503);
    expect(first.body.error.message).toContain('your approval is recorded');
    expect((await store.get(record.approvalId))?.state).toBe('approved');
    expect(await queueDepth(sqs, actionsQueue())).toBe(0);
    const retry = await decide(record.approvalId, token, body);
    expect(retry).toMatchObject({
      status: 409,
      body: { error: { code: 'not_pending', details: { state: 'approved' } } },
    });
    expect(await queueDepth(sqs, actionsQueue())).toBe(1);
    // A third submission queues it again: the executor's ledger runs the action id once.
    await decide(record.approvalId, token, body);
    await execute();
    expect(isMember(record.subjectUserId as string, 'dept-sales')).toBe(true);
    const trail = await kinds(record);
    expect(trail.filter((k) => k === 'action.executed')).toHaveLength(1);
    expect(trail.filter((k) => k === 'approval.approved')).toHaveLength(1);
  });

  it('the actions queue fails and the approver never comes back: the sweeper queues it after the grace time; once', async () => {
    const record = await request();
    fault(sqsClient(), 'SendMessageBatchCommand', { times: 1 });
    const token = await tokenFor(IT);
    expect(
      (await decide(record.approvalId, token, { decision: 'approve', payloadHash: record.payloadHash })).status,
    ).toBe(503);
    const deps = {
      store,
      actionsQueue: new SqsQueue<ActionMessage>(sqs, actionsQueue(), 'actions'),
      audit,
    };
    // Within the grace time the sweeper leaves it (the decision's own path may still be finishing).
    expect((await dispatchApproved(deps, new Date())).requeued).toBe(0);
    expect(await queueDepth(sqs, actionsQueue())).toBe(0);
    const later = new Date(Date.now() + 11 * 60_000);
    expect((await dispatchApproved(deps, later)).requeued).toBeGreaterThanOrEqual(1);
    expect((await dispatchApproved(deps, later)).requeued).toBeGreaterThanOrEqual(1); // a second sweep: a second copy
    await execute();
    expect(isMember(record.subjectUserId as string, 'dept-sales')).toBe(true);
    expect((await kinds(record)).filter((k) => k === 'action.executed')).toHaveLength(1);
    expect((await store.get(record.approvalId))?.state).toBe('executed');
    // Executed: the next sweep leaves it alone.
    expect((await store.list({ state: 'approved', limit: 100 })).items.map((r) => r.approvalId)).not.toContain(
      record.approvalId,
    );
  });

  it('the audit write fails after the decision: 503; the retry completes the trail once', async () => {
    const record = await request();
    const token = await tokenFor(SEC);
    const body = { decision: 'reject', payloadHash: record.payloadHash, reason: 'duplicate request' };
    const f = fault(dynamoClient(), 'PutItemCommand', {
      when: (input) => input.TableName === resources.tables.auditTable,
    });
    expect((await decide(record.approvalId, token, body)).status).toBe(503);
    expect(f.fired()).toBeGreaterThan(0);
    f.remove();
    expect((await store.get(record.approvalId))?.state).toBe('rejected');
    expect((await decide(record.approvalId, token, body)).status).toBe(409);
    expect((await kinds(record)).filter((k) => k.startsWith('approval.'))).toEqual([
      'approval.reject',
      'approval.rejected',
    ]);
  });
});
