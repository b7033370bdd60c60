import { describe, expect, it } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { DEFAULT_POLICY } from '../../lambda/domain/policy-config.ts';
import { UnauthorizedError } from '../../lambda/errors.ts';
import { httpHandler } from '../../lambda/handlers/http.ts';
import { type ApproverVerifier, approvalsApi } from '../../lambda/pipeline/approvals-api.ts';
import type { ApproverPrincipal } from '../../lambda/pipeline/decide-approval.ts';
import { apiEvent } from '../support/api-event.ts';
import { MemoryApprovalStore, MemoryAudit, MemoryQueue, pendingRecord } from '../support/approval-fakes.ts';

/**
 * The approvals API's routing, refusals and response shapes, over the real handler adapter (`httpHandler`) with a
 * stand-in token verifier (tokens are "Bearer <login>"). The real verifier and the real stores are exercised by the
 * integration tests.
 */
const people: Record<string, ApproverPrincipal> = {
  ivy: { userId: '00uItApprover0000001', login: 'ivy', groups: ['it-approvers'] },
  olga: { userId: '00uOutsider000000001', login: 'olga', groups: ['Everyone'] },
};
const verifier: ApproverVerifier = {
  async verify(header) {
    const who = header?.startsWith('Bearer ') ? people[header.slice(7)] : undefined;
    if (!who) throw new UnauthorizedError();
    return who;
  },
};

function setup() {
  const store = new MemoryApprovalStore();
  const record = pendingRecord();
  store.records.set(record.approvalId, record);
  const queue = new MemoryQueue<ActionMessage>();
  const handler = httpHandler(
    approvalsApi({
      store,
      actionsQueue: queue,
      audit: new MemoryAudit(),
      policy: DEFAULT_POLICY,
      clock: () => new Date(),
      verifier,
    }),
  );
  const call = async (
    method: string,
    path: string,
    options: { as?: string; body?: unknown; query?: Record<string, string> } = {},
  ) => {
    const event = apiEvent(method, path, {
      headers: options.as ? { authorization: `Bearer ${options.as}` } : {},
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    const result = await handler(options.query ? { ...event, queryStringParameters: options.query } : event);
    return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
  };
  return { store, record, queue, call };
}

describe('the approvals API', () => {
  it('401 without a valid token, before anything is read', async () => {
    const { call, queue } = setup();
    expect((await call('GET', '/approvals')).status).toBe(401);
    expect((await call('POST', '/approvals/x/decision', { as: 'mallory', body: {} })).status).toBe(401);
    expect(queue.sent).toHaveLength(0);
  });

  it('403 for a valid token without approver rights', async () => {
    const { call, record } = setup();
    const r = await call('GET', `/approvals/${record.approvalId}`, { as: 'olga' });
    expect(r).toMatchObject({ status: 403, body: { error: { code: 'not_an_approver' } } });
  });

  it('lists, filtered by status; a bad query is a 400 naming the parameter', async () => {
    const { call, record } = setup();
    const r = await call('GET', '/approvals', { as: 'ivy', query: { status: 'pending', limit: '10' } });
    expect(r.status).toBe(200);
    expect(r.body.items.map((i: { approvalId: string }) => i.approvalId)).toEqual([record.approvalId]);
    expect((await call('GET', '/approvals', { as: 'ivy', query: { status: 'approved' } })).body.items).toEqual([]);
    const bad = await call('GET', '/approvals', { as: 'ivy', query: { status: 'done', limit: '0' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['limit', 'status']);
  });

  it('shows the payload to check, its hash, what is required and whether the caller may decide', async () => {
    const { call, record } = setup();
    const r = await call('GET', `/approvals/${record.approvalId}`, { as: 'ivy' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      payloadHash: record.payloadHash,
      payload: { approvalId: record.approvalId, actionId: record.message.actionId, action: record.message.action },
      stillRequired: { text: 'one more approver from it-approvers or security-approvers' },
      caller: { userId: people.ivy?.userId, mayApprove: true, mayReject: true },
    });
    expect(r.body.approval.version).toBeUndefined();
    expect((await call('GET', '/approvals/apr_missing', { as: 'ivy' })).status).toBe(404);
  });

  it('decides with the hash it showed; the wrong method is 405', async () => {
    const { call, record, queue } = setup();
    const shown = (await call('GET', `/approvals/${record.approvalId}`, { as: 'ivy' })).body;
    const r = await call('POST', `/approvals/${record.approvalId}/decision`, {
      as: 'ivy',
      body: { decision: 'approve', payloadHash: shown.payloadHash },
    });
    expect(r).toMatchObject({ status: 200, body: { state: 'approved', queued: true } });
    expect(queue.sent).toHaveLength(1);
    expect((await call('GET', `/approvals/${record.approvalId}/decision`, { as: 'ivy' })).status).toBe(405);
    const again = await call('POST', `/approvals/${record.approvalId}/decision`, {
      as: 'ivy',
      body: { decision: 'approve', payloadHash: shown.payloadHash },
    });
    expect(again).toMatchObject({
      status: 409,
      body: { error: { code: 'not_pending', details: { state: 'approved' } } },
    });
    const bad = await call('POST', `/approvals/${record.approvalId}/decision`, { as: 'ivy', body: { decision: 'ok' } });
    expect(bad.status).toBe(400);
  });
});
