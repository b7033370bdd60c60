import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { type Grant, revokeActionId } from '../../lambda/domain/grant.ts';
import { DynamoGrantStore } from '../../lambda/store/grant-store.ts';
import { ROUTES } from '../../lib/manifest.ts';
import { startGateway } from '../../local/gateway.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { manualClock } from '../../local/okta-sim/clock.ts';
import type { LocalResources } from '../../local/resources.ts';
import { ROOT } from '../../local/stack.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { call, startTestSim, type TestSim } from '../support/okta-sim.ts';
import { handlerEnv } from '../support/okta-users.ts';
import { drain } from '../support/queues.ts';

/**
 * `GET /grants` and `POST /grants/{id}/end` over real HTTP (the local gateway in front of the real approvals API
 * handler), with approvers' tokens from the Okta simulator's authorization server and grants in DynamoDB Local; and
 * `hookpilot grants list|end` against it.
 */
const { sqs, documents } = testClients();
const simClock = manualClock();
let okta: TestSim;
let resources: LocalResources;
let grants: DynamoGrantStore;
let url = '';
let stopGateway: () => Promise<void>;

const IT = 'sarah.mitchell@acme-demo.example'; // it-approvers
const NOBODY = 'priya.nair@acme-demo.example'; // no approver group

beforeAll(async () => {
  [resources, okta] = await Promise.all([freshResources(), startTestSim({ clock: simClock })]);
  useLocalEnv(resources, {
    ...handlerEnv(okta),
    HOOKPILOT_APPROVALS_ISSUER: okta.sim.authorizationServers.issuer('default'),
    HOOKPILOT_APPROVALS_AUDIENCE: 'api://default',
    HOOKPILOT_POLICY_FILE: 'policy/hookpilot.policy.json',
  });
  const api = await import('../../lambda/handlers/approvals-api.ts');
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
  grants = new DynamoGrantStore(documents, resources.tables.grantsTable);
});
afterAll(async () => {
  await stopGateway?.();
  await okta?.stop();
});
beforeEach(async () => {
  await drain(sqs, resources.queues.actionsQueue.url);
});

async function tokenFor(login: string): Promise<string> {
  simClock.set(Date.now());
  const minted = await call<{ access_token: string }>(okta.sim, 'POST', '/__sim/tokens', { body: { login } });
  expect(minted.status).toBe(201);
  return minted.body.access_token;
}

async function api(method: string, path: string, token: string | undefined, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** An active grant, as the executor records it. */
async function activeGrant(): Promise<Grant> {
  const userId = `00u${randomUUID().replaceAll('-', '').slice(0, 17)}`;
  const grantedAt = new Date().toISOString();
  const grant: Grant = {
    grantId: `${randomUUID()}:0`,
    state: 'active',
    subjectUserId: userId,
    action: { type: 'group.add_member', params: { userId, groupId: '00gsalesAAAAAAAAAAAA' } },
    inverse: { type: 'group.remove_member', params: { userId, groupId: '00gsalesAAAAAAAAAAAA' } },
    grantedAt,
    durationSeconds: 3600,
    expiresAt: new Date(Date.parse(grantedAt) + 3600_000).toISOString(),
    durationReason: 'asked for 3600 s',
    approvers: ['00uapprover'],
    correlationId: randomUUID(),
    version: 0,
  };
  expect(await grants.create(grant)).toBe(true);
  return grant;
}

/** `npx hookpilot …` as a user runs it (asynchronously: the gateway answering it runs in this process). */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/hookpilot.mjs', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('the grants routes of the approvals API', () => {
  it('lists grants (by user, active only) for an approver; 401 without a token; 403 for a non-approver', async () => {
    const grant = await activeGrant();
    expect((await api('GET', '/grants', undefined)).status).toBe(401);
    expect((await api('GET', '/grants', await tokenFor(NOBODY))).status).toBe(403);
    const token = await tokenFor(IT);
    const listed = await api('GET', `/grants?user=${grant.subjectUserId}&active=true`, token);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ grantId: grant.grantId, state: 'active' })]);
    expect(listed.body.items[0]).not.toHaveProperty('version');
    const bad = await api('GET', '/grants?user=not-an-id', token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/user/);
  });

  it('ends a grant early: 400 without a reason, then 200 with its revocation queued once; again → 409', async () => {
    const grant = await activeGrant();
    const token = await tokenFor(IT);
    const path = `/grants/${encodeURIComponent(grant.grantId)}/end`;
    const noReason = await api('POST', path, token, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details).toEqual([expect.objectContaining({ path: 'reason' })]);
    expect((await api('POST', path, await tokenFor(NOBODY), { reason: 'x' })).status).toBe(403);
    expect((await api('POST', '/grants/no-such-grant/end', token, { reason: 'x' })).status).toBe(404);
    expect(await drain(sqs, resources.queues.actionsQueue.url)).toEqual([]); // refusals queue nothing

    const ended = await api('POST', path, token, { reason: 'the incident is over' });
    expect(ended.status).toBe(200);
    expect(ended.body.grant).toMatchObject({
      state: 'revoking',
      endedEarly: { login: IT, reason: 'the incident is over' },
    });
    const again = await api('POST', path, token, { reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/revoking/);
    const queued = (await drain(sqs, resources.queues.actionsQueue.url)).map(
      (m) => JSON.parse(m.Body ?? '') as ActionMessage,
    );
    expect(queued).toEqual([
      expect.objectContaining({
        actionId: revokeActionId(grant.grantId),
        action: grant.inverse,
        origin: expect.objectContaining({ kind: 'expiry' }),
      }),
    ]);
  });

  it('hookpilot grants list --json and grants end against it; mistakes get one line', async () => {
    const grant = await activeGrant();
    const token = await tokenFor(IT);
    const listed = await cli('grants', 'list', '--url', url, '--token', token, '--user', grant.subjectUserId, '--json');
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout).items.map((g: Grant) => g.grantId)).toEqual([grant.grantId]);
    const text = await cli('grants', 'list', '--url', url, '--token', token, '--user', grant.subjectUserId, '--active');
    expect(text.stdout).toContain(`${grant.grantId}  active`);

    const noReason = await cli('grants', 'end', grant.grantId, '--url', url, '--token', token);
    expect(noReason.status).toBe(1);
    expect(noReason.stderr).toMatch(/--reason/);
    const ended = await cli('grants', 'end', grant.grantId, '--url', url, '--token', token, '--reason', 'done');
    expect(ended.status).toBe(0);
    expect(ended.stdout).toContain(`grant ${grant.grantId} is being revoked`);
    const again = await cli('grants', 'end', grant.grantId, '--url', url, '--token', token, '--reason', 'done');
    expect(again.status).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/revoking/);
  });
});
