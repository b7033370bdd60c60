import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoChannelStateStore, DynamoDeliveryLedger } from '../../lambda/store/notification-ledger.ts';
import { freshResources, testClients } from '../support/emulators.ts';

/** The notifier's delivery records and the channels' per-request state, against DynamoDB Local. */
const { documents } = testClients();
let table: string;
beforeAll(async () => {
  table = (await freshResources()).tables.idempotencyTable;
});

const now = new Date();
let n = 0;
const fresh = () => `apr_test${++n}:requested:0/approvers`;

describe('delivery records', () => {
  it('one worker claims a delivery; the others are told it is busy, then that it was delivered', async () => {
    const id = fresh();
    const first = new DynamoDeliveryLedger(documents, table);
    const second = new DynamoDeliveryLedger(documents, table);
    const claims = await Promise.all([first, second, first].map((l) => l.begin(id, 'teams', now, 60_000)));
    expect(claims.map((c) => c.outcome).sort()).toEqual(['busy', 'busy', 'claimed']);
    await first.delivered(id, 'teams', { outcome: 'sent' }, now);
    expect(await second.begin(id, 'teams', now, 60_000)).toEqual({ outcome: 'delivered' });
    // Another channel of the same notification is a delivery of its own.
    expect(await second.begin(id, 'webhook:ops', now, 60_000)).toEqual({ outcome: 'claimed' });
  });

  it('a permanent refusal stays refused; a released claim can be taken again at once', async () => {
    const ledger = new DynamoDeliveryLedger(documents, table);
    const refused = fresh();
    await ledger.begin(refused, 'teams', now, 60_000);
    await ledger.refused(refused, 'teams', 'no such receiver (HTTP 404)', now);
    expect(await ledger.begin(refused, 'teams', now, 60_000)).toEqual({ outcome: 'refused' });

    const retried = fresh();
    await ledger.begin(retried, 'teams', now, 60_000);
    await ledger.release(retried, 'teams');
    expect(await new DynamoDeliveryLedger(documents, table).begin(retried, 'teams', now, 60_000)).toEqual({
      outcome: 'claimed',
    });
  });

  it('a claim whose holder died is taken over once its lease has run out', async () => {
    const id = fresh();
    await new DynamoDeliveryLedger(documents, table).begin(id, 'teams', now, 1_000);
    const later = new Date(now.getTime() + 2_000);
    expect(await new DynamoDeliveryLedger(documents, table).begin(id, 'teams', later, 60_000)).toEqual({
      outcome: 'claimed',
    });
  });
});

describe('channel state', () => {
  it('is versioned: the first write creates, later ones replace only the version they read', async () => {
    const store = new DynamoChannelStateStore(documents, table);
    expect(await store.get('apr_state1', 'slack')).toBeUndefined();
    expect(await store.put('apr_state1', 'slack', { channel: 'C1', ts: '1.000100' }, undefined)).toBe(true);
    expect(await store.put('apr_state1', 'slack', { channel: 'C2', ts: '2' }, undefined)).toBe(false);
    const read = await store.get('apr_state1', 'slack');
    expect(read).toEqual({ state: { channel: 'C1', ts: '1.000100' }, version: 1 });
    const both = await Promise.all([
      store.put('apr_state1', 'slack', { channel: 'C1', ts: '1.000100', step: 'approved' }, 1),
      store.put('apr_state1', 'slack', { channel: 'C1', ts: '1.000100', step: 'rejected' }, 1),
    ]);
    expect(both.sort()).toEqual([false, true]);
    expect((await store.get('apr_state1', 'slack'))?.version).toBe(2);
    expect(await store.get('apr_state1', 'teams')).toBeUndefined();
  });
});
