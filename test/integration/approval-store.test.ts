import { beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalRecord, nextRecord } from '../../lambda/domain/approval.ts';
import { approvalEvent } from '../../lambda/domain/approval-events.ts';
import { BadRequestError } from '../../lambda/errors.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import type { LocalResources } from '../../local/resources.ts';
import { newRequest, pendingApproval } from '../support/approvals.ts';
import { freshResources, testClients } from '../support/emulators.ts';

/** The approvals table adapter against DynamoDB Local: conditional transactions, indexes, the outbox. */
const { documents } = testClients();
let resources: LocalResources;
let store: DynamoApprovalStore;

beforeAll(async () => {
  resources = await freshResources();
  store = new DynamoApprovalStore(documents, resources.tables.approvalsTable);
});

const approve = (record: ApprovalRecord, at: Date): ApprovalRecord =>
  nextRecord(record, {
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

describe('create', () => {
  it('stores a request and its requested event once; a second create returns the stored one', async () => {
    const now = new Date();
    const record = newRequest(now);
    const first = await store.create(record, [approvalEvent('requested', record)]);
    expect(first.created).toBe(true);
    expect(await store.get(record.approvalId)).toEqual(record);

    const again = newRequest(new Date(now.getTime() + 60_000), { pending: pendingApproval() });
    const retry = { ...again, approvalId: record.approvalId };
    const second = await store.create(retry, [approvalEvent('requested', retry)]);
    expect(second).toEqual({ created: false, record });
    const events = (await store.unpublished(100)).filter((e) => e.approvalId === record.approvalId);
    expect(events.map((e) => e.id)).toEqual([`${record.approvalId}:requested:0`]);
  });

  it('reads no outbox item as a request', async () => {
    const record = newRequest(new Date());
    await store.create(record, [approvalEvent('requested', record)]);
    expect(await store.get(`event#${record.approvalId}:requested:0`)).toBeUndefined();
    expect(await store.get('apr_unknown')).toBeUndefined();
  });
});

describe('update', () => {
  it('applies a change at the version it read, with its events; a stale version changes nothing', async () => {
    const now = new Date();
    const record = newRequest(now);
    await store.create(record, [approvalEvent('requested', record)]);
    const approved = approve(record, new Date(now.getTime() + 1000));
    expect(await store.update(approved, 0, [approvalEvent('approved', approved)])).toBe(true);
    expect(await store.get(record.approvalId)).toEqual(approved);

    // Someone who read version 0 too (e.g. the sweeper expiring it) loses.
    const expired = nextRecord(record, { state: 'expired', decidedAt: new Date().toISOString() });
    expect(await store.update(expired, 0, [approvalEvent('expired', expired)])).toBe(false);
    expect((await store.get(record.approvalId))?.state).toBe('approved');
    const ids = (await store.unpublished(100)).filter((e) => e.approvalId === record.approvalId).map((e) => e.id);
    expect(ids.sort()).toEqual([`${record.approvalId}:approved:1`, `${record.approvalId}:requested:0`]);
  });

  it('refuses an approval made at or after the request expired, even at the right version', async () => {
    const now = new Date();
    const record = newRequest(now);
    await store.create(record, []);
    const late = approve(record, new Date(Date.parse(record.requestExpiresAt)));
    expect(await store.update(late, 0, [approvalEvent('approved', late)])).toBe(false);
    expect(await store.get(record.approvalId)).toEqual(record);
  });

  it('is idempotent when the same transaction is sent twice (a retry after a lost response)', async () => {
    const record = newRequest(new Date());
    await store.create(record, []);
    const approved = approve(record, new Date());
    const events = [approvalEvent('approved', approved)];
    expect(await store.update(approved, 0, events)).toBe(true);
    expect(await store.update(approved, 0, events)).toBe(true);
    expect((await store.get(record.approvalId))?.version).toBe(1);
  });
});

describe('queries', () => {
  it('lists newest first, by state and by subject, and pages with a cursor', async () => {
    const subject = '00ulistsubject';
    const base = Date.now() + 3_600_000; // later than the other tests' requests
    const made: ApprovalRecord[] = [];
    for (let i = 0; i < 3; i++) {
      const r = newRequest(new Date(base + i * 1000), {
        pending: pendingApproval({ params: { userId: subject, groupId: `00g${i}` } }),
      });
      await store.create(r, []);
      made.push(r);
    }
    const bySubject = await store.list({ subjectUserId: subject });
    expect(bySubject.items.map((r) => r.approvalId)).toEqual(made.map((r) => r.approvalId).reverse());

    const page1 = await store.list({ state: 'pending', limit: 2 });
    expect(page1.items.map((r) => r.approvalId)).toEqual([made[2]?.approvalId, made[1]?.approvalId]);
    expect(page1.cursor).toBeDefined();
    const page2 = await store.list({ state: 'pending', limit: 2, cursor: page1.cursor });
    expect(page2.items[0]?.approvalId).toBe(made[0]?.approvalId);

    const all = await store.list({ limit: 1 });
    expect(all.items[0]?.approvalId).toBe(made[2]?.approvalId);
    expect((await store.list({ state: 'approved', subjectUserId: subject })).items).toEqual([]);
  });

  it('refuses a cursor it did not hand out with a 400 naming the field', async () => {
    for (const cursor of [
      'not-a-cursor',
      Buffer.from('{"x":1}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ]) {
      const error = await store.list({ cursor }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).details?.[0]?.path).toBe('cursor');
    }
  });

  it('finds pending requests whose reminder, escalation or expiry is due, and only those', async () => {
    const now = new Date(Date.now() - 10 * 24 * 3_600_000); // requested ten days ago: long expired
    const due = newRequest(now);
    const notDue = newRequest(new Date());
    const decided = approve(newRequest(now), now);
    await store.create(due, []);
    await store.create(notDue, []);
    await store.create({ ...decided, version: 0 }, []);
    const found = (await store.pendingDue(new Date(), 100)).map((r) => r.approvalId);
    expect(found).toContain(due.approvalId);
    expect(found).not.toContain(notDue.approvalId);
    expect(found).not.toContain(decided.approvalId);
  });
});

describe('outbox', () => {
  it('hands out unpublished events oldest first and forgets them once marked', async () => {
    const record = newRequest(new Date());
    const event = approvalEvent('requested', record);
    await store.create(record, [event]);
    expect((await store.unpublished(1000)).map((e) => e.id)).toContain(event.id);
    expect((await store.unpublished(1000)).find((e) => e.id === event.id)).toEqual(event);
    await store.markPublished([event.id, event.id, 'unknown-id']);
    expect((await store.unpublished(1000)).map((e) => e.id)).not.toContain(event.id);
  });
});
