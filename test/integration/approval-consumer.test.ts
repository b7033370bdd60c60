import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalEventSource } from '../../lambda/domain/approval-events.ts';
import { DEFAULT_POLICY } from '../../lambda/domain/policy-config.ts';
import { ApprovalRequests } from '../../lambda/pipeline/approvals.ts';
import type { PublishApprovalEventsDeps } from '../../lambda/pipeline/publish-approval-events.ts';
import { sweepApprovals } from '../../lambda/pipeline/sweep-approvals.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import type { LocalResources } from '../../local/resources.ts';
import { pendingApproval } from '../support/approvals.ts';
import { freshResources, testClients } from '../support/emulators.ts';
import { injectFault } from '../support/faults.ts';
import { consumeAll } from '../support/queues.ts';

/**
 * The worked consumer of docs/approval-queue.md (examples/approval-ticket-consumer.ts), run by the local stand-in for
 * Lambda's SQS event source against the real approval queue, with a small ticket API: one ticket per request, opened on
 * `requested` and closed on a terminal step, however often a message is delivered.
 */
const { sqs, documents, dynamo } = testClients();
let resources: LocalResources;
let server: Server;
const tickets = new Map<string, { title: string; closed?: string; calls: number; sequence: number }>();

beforeAll(async () => {
  resources = await freshResources({ visibilityTimeoutSeconds: 1 });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const [, , id, close] = (req.url ?? '').split('/');
      const json = JSON.parse(body) as { title?: string; resolution?: string; sequence: number };
      const ticket = tickets.get(id ?? '') ?? { title: '', calls: 0, sequence: -1 };
      ticket.calls += 1;
      // As the example expects of a ticket system: a step older than the last one applied changes nothing.
      if (json.sequence > ticket.sequence) {
        ticket.sequence = json.sequence;
        if (req.method === 'PUT') ticket.title = json.title ?? '';
        if (close === 'close') ticket.closed = json.resolution;
      }
      tickets.set(id ?? '', ticket);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.env.TICKETS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
});

describe('the worked ticket consumer', () => {
  it('opens a ticket per request and closes the expired one, once in effect despite a duplicate message', async () => {
    const store = new DynamoApprovalStore(documents, resources.tables.approvalsTable);
    const publish: PublishApprovalEventsDeps = {
      outbox: store,
      audit: new DynamoAuditLog(documents, resources.tables.auditTable),
      approvalQueue: new SqsQueue(sqs, resources.queues.approvalQueue.url, 'approval'),
      source: approvalEventSource('test'),
    };
    const t0 = new Date(Date.now() - 100 * 3_600_000);
    const old = pendingApproval();
    const fresh = pendingApproval({ type: 'app.assign', params: { userId: '00ufresh', appId: '0oaslack' } });
    // Marking the first event published fails once: it is sent again later, under the same id.
    injectFault(dynamo, 'UpdateItemCommand', {
      times: 1,
      when: (input) => input.TableName === resources.tables.approvalsTable,
    });
    await new ApprovalRequests({ store, clock: () => t0, policy: DEFAULT_POLICY, publish }).submit(old);
    await new ApprovalRequests({ store, clock: () => new Date(), policy: DEFAULT_POLICY, publish }).submit(fresh);
    await sweepApprovals({ store, publish }, new Date()); // expires the old one (and re-sends its requested event)

    const { handler } = await import('../../examples/approval-ticket-consumer.ts');
    const stats = await consumeAll(sqs, resources.queues.approvalQueue.url, {
      handler,
      context: () => ({}) as never,
    });
    expect(stats.failed).toBe(0);
    expect(stats.succeeded).toBe(4); // requested ×2 (one duplicate), requested, expired

    const [oldRecord] = (await store.list({ subjectUserId: old.message.action.params.userId as string })).items;
    const [freshRecord] = (await store.list({ subjectUserId: '00ufresh' })).items;
    // (SQS keeps no order: whether `requested` came before `expired` or not, the ticket ends closed as expired.)
    expect(tickets.get(oldRecord?.approvalId ?? '')).toMatchObject({ closed: 'expired', sequence: 1, calls: 3 });
    expect(tickets.get(freshRecord?.approvalId ?? '')).toMatchObject({ title: 'Approve app.assign (low)' });
    expect(tickets.get(freshRecord?.approvalId ?? '')?.closed).toBeUndefined();
    expect(tickets.size).toBe(2);
  });
});
