import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../lambda/config.ts';
import { type ApprovalRecord, type ApprovalStep, approvalIdFor, nextRecord } from '../../lambda/domain/approval.ts';
import {
  type ApprovalCloudEvent,
  approvalEvent,
  approvalEventSource,
  parseApprovalCloudEvent,
  toCloudEvent,
} from '../../lambda/domain/approval-events.ts';
import { logger } from '../../lambda/log.ts';
import { NOTIFY_ENV } from '../../lambda/notify/config.ts';
import { OKTA_ENV } from '../../lambda/okta/okta-config.ts';
import { publishApprovalEvents } from '../../lambda/pipeline/publish-approval-events.ts';
import type { PendingApproval } from '../../lambda/ports.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import { QUEUES } from '../../lib/manifest.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { type NotifyReceiver, type ReceivedMessage, startNotifyReceiver } from '../../local/notify-receiver.ts';
import { startQueueWorker } from '../../local/queue-worker.ts';
import type { LocalResources } from '../../local/resources.ts';
import { adaptiveCardProblems } from '../support/adaptive-card.ts';
import { newRequest, pendingApproval } from '../support/approvals.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { useTestSim } from '../support/okta-sim.ts';
import { drain, queueDepth } from '../support/queues.ts';

/**
 * The notifier over real HTTP: approval events go through the outbox relay onto the notifications queue (SQS emulator),
 * the local queue worker feeds them to the notifier's Lambda handler, which reads the request from DynamoDB Local and
 * names from the Okta simulator, and posts to the local receiver standing in for Teams and a signed webhook.
 */
const okta = useTestSim();
const { sqs, documents } = testClients();
const NEW_SECRET = `whsec_${Buffer.from('n'.repeat(32)).toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.from('o'.repeat(32)).toString('base64')}`;
const CONSOLE = 'https://hookpilot.example.com';

let resources: LocalResources;
let receiver: NotifyReceiver;
let store: DynamoApprovalStore;
let relay: Parameters<typeof publishApprovalEvents>[0];
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  logger.setLogLevel('SILENT'); // the tests spy on the logger instead
  resources = await freshResources();
  receiver = await startNotifyReceiver();
  useLocalEnv(resources, {
    [OKTA_ENV.orgUrl]: okta.sim.orgUrl,
    [OKTA_ENV.apiToken]: okta.sim.token,
    [OKTA_ENV.allowHttp]: 'true',
    [NOTIFY_ENV.channels]: 'teams,webhook',
    [NOTIFY_ENV.config]: JSON.stringify({
      teams: { approvers: `${receiver.url}/teams/approvers`, outcome: `${receiver.url}/teams/outcome` },
      // Rotation: the new secret first, the old one still signing until every receiver has switched.
      // Both audiences: the webhook still gets each CloudEvent once (one delivery per event, not per audience).
      webhooks: [
        {
          name: 'ops',
          url: `${receiver.url}/webhook/ops`,
          secrets: [NEW_SECRET, OLD_SECRET],
          audiences: ['approvers', 'outcome'],
        },
      ],
    }),
    [ENV.consoleUrl]: `${CONSOLE}/`,
    // No backoff between attempts here (30 s, doubling, in AWS): a failing message reaches the DLQ quickly.
    [NOTIFY_ENV.retryBaseSeconds]: '0',
  });
  const { handler } = await import('../../lambda/handlers/notifier.ts');
  store = new DynamoApprovalStore(documents, resources.tables.approvalsTable);
  relay = {
    outbox: store,
    audit: new DynamoAuditLog(documents, resources.tables.auditTable),
    approvalQueue: new SqsQueue<ApprovalCloudEvent>(sqs, resources.queues.approvalQueue.url, 'approval'),
    notificationsQueue: new SqsQueue<ApprovalCloudEvent>(sqs, resources.queues.notificationsQueue.url, 'notifications'),
    source: approvalEventSource('local'),
  };
  const worker = startQueueWorker({
    client: sqs,
    queueUrl: resources.queues.notificationsQueue.url,
    batchSize: QUEUES.notificationsQueue.batchSize,
    fn: { handler, context: () => lambdaContext('notifier', 30) },
  });
  stopWorker = worker.stop;
});

afterAll(async () => {
  await stopWorker?.();
  await receiver?.stop();
});

/** A pending approval about Rajesh Iyer (whose manager is Eleanor Whitfield) joining dept-engineering. */
function pending(risk = 'high'): PendingApproval {
  const user = okta.seedUser('rajesh.iyer@acme-demo.example');
  const group = okta.seedGroup('dept-engineering');
  return pendingApproval({ risk, params: { userId: user.id, groupId: group.id } });
}

/** Stores the request and relays its `requested` event (outbox → approval queue + notifications queue). */
async function requested(risk = 'high', approval = pending(risk)): Promise<ApprovalRecord> {
  const record = newRequest(new Date(), { pending: approval });
  const events = [approvalEvent('requested', record)];
  await store.create(record, events);
  await publishApprovalEvents(relay, events);
  return record;
}

/** Moves a request on by one step (as the approvals API or the executor would) and publishes it. */
async function advance(record: ApprovalRecord, step: ApprovalStep, patch: Partial<ApprovalRecord>) {
  const next = nextRecord(record, patch);
  const events = [approvalEvent(step, next)];
  expect(await store.update(next, record.version, events)).toBe(true);
  await publishApprovalEvents(relay, events);
  return next;
}

const about = (record: ApprovalRecord) => (m: ReceivedMessage) => m.raw.includes(record.approvalId);
const sent = (record: ApprovalRecord, channel?: string) =>
  receiver.messages.filter((m) => about(record)(m) && (channel === undefined || m.channel === channel));
const card = (m: ReceivedMessage) =>
  (m.json as { attachments: { content: Record<string, unknown> }[] }).attachments[0]?.content as Record<
    string,
    unknown
  >;
const waitFor = (check: () => void | Promise<void>, timeout = 20_000) => vi.waitFor(check, { timeout, interval: 100 });
const notificationsDrained = () =>
  waitFor(async () => expect(await queueDepth(sqs, resources.queues.notificationsQueue.url)).toBe(0));

describe('the notifier', () => {
  it('tells the approvers in Teams (a valid Adaptive Card 1.5, names resolved, a link to the console) and posts the signed CloudEvent', async () => {
    const record = await requested();
    await waitFor(() =>
      expect(
        sent(record)
          .map((m) => m.channel)
          .sort(),
      ).toEqual(['teams/approvers', 'webhook/ops']),
    );

    const teams = sent(record, 'teams/approvers')[0] as ReceivedMessage;
    expect(teams.status).toBe(202);
    expect((teams.json as { type: string }).type).toBe('message');
    expect(adaptiveCardProblems(card(teams))).toEqual([]);
    const text = JSON.stringify(card(teams));
    expect(text).toContain(
      'Approval needed: add user Rajesh Iyer (rajesh.iyer@acme-demo.example) to group \\"dept-engineering\\"',
    );
    expect(text).toContain('{"title":"User","value":"Rajesh Iyer (rajesh.iyer@acme-demo.example)"}');
    expect(text).not.toContain('"title":"Manager"'); // the manager hears the outcome, not the request
    expect(card(teams).actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Review and decide', url: `${CONSOLE}/console/approvals/${record.approvalId}` },
    ]);

    // The webhook carries exactly the CloudEvent the approval queue carries, which is still there for teams' consumers.
    const hook = sent(record, 'webhook/ops')[0] as ReceivedMessage;
    expect(hook.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    const onQueue = (await drain(sqs, resources.queues.approvalQueue.url))
      .map((m) => JSON.parse(m.Body ?? '{}') as ApprovalCloudEvent)
      .find((e) => e.subject === record.approvalId);
    expect(onQueue?.type).toBe('dev.hookpilot.approval.requested');
    expect(JSON.parse(hook.raw)).toEqual(onQueue);
    expect(parseApprovalCloudEvent(JSON.parse(hook.raw)).success).toBe(true);
    expect(hook.headers['webhook-id']).toBe(onQueue?.id);
  });

  it('signs the webhook with every secret in the list: a receiver holding either one verifies it (reference library)', async () => {
    const record = await requested('medium');
    await waitFor(() => expect(sent(record, 'webhook/ops')).toHaveLength(1));
    const hook = sent(record, 'webhook/ops')[0] as ReceivedMessage;
    const headers = {
      'webhook-id': hook.headers['webhook-id'] as string,
      'webhook-timestamp': hook.headers['webhook-timestamp'] as string,
      'webhook-signature': hook.headers['webhook-signature'] as string,
    };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);
    expect(new Webhook(NEW_SECRET).verify(hook.raw, headers)).toEqual(JSON.parse(hook.raw));
    expect(new Webhook(OLD_SECRET).verify(hook.raw, headers)).toEqual(JSON.parse(hook.raw));
    const other = `whsec_${Buffer.from('x'.repeat(32)).toString('base64')}`;
    expect(() => new Webhook(other).verify(hook.raw, headers)).toThrow();
    expect(() => new Webhook(NEW_SECRET).verify(hook.raw.replace('medium', 'low'), headers)).toThrow();
  });

  it('tells the requesting side and names the manager when the request is decided, and the approvers see it closed', async () => {
    const record = await requested();
    await waitFor(() => expect(sent(record)).toHaveLength(2));
    const at = new Date().toISOString();
    await advance(record, 'approved', {
      state: 'approved',
      decidedAt: at,
      decisions: [
        {
          approverId: '00uapprover000000001',
          approverLogin: 'alice.admin@acme-demo.example',
          outcome: 'approve',
          qualifyingGroups: ['hookpilot-approvers'],
          payloadHash: record.payloadHash,
          at,
        },
      ],
    });
    await waitFor(() => expect(sent(record)).toHaveLength(5));
    const outcome = sent(record, 'teams/outcome')[0] as ReceivedMessage;
    expect(adaptiveCardProblems(card(outcome))).toEqual([]);
    const text = JSON.stringify(card(outcome));
    expect(text).toContain('Approved: add user Rajesh Iyer');
    expect(text).toContain('Approved by alice.admin@acme-demo.example');
    expect(text).toMatch(/"title":"Manager","value":"Eleanor Whitfield \(eleanor/);
    expect(card(outcome).actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open the request', url: `${CONSOLE}/console/approvals/${record.approvalId}` },
    ]);
    expect(sent(record, 'teams/approvers')).toHaveLength(2);
    // The webhook hears every step once, though both its audiences hear `approved`.
    expect(sent(record, 'webhook/ops').map((m) => (JSON.parse(m.raw) as { type: string }).type)).toEqual([
      'dev.hookpilot.approval.requested',
      'dev.hookpilot.approval.approved',
    ]);
  });

  it('a failing receiver (500s) is retried, then the message goes to the DLQ — and another request still goes out', async () => {
    const badOne = pending();
    const badId = approvalIdFor(badOne.message.actionId);
    const stop = receiver.fail({ status: 500, match: (r) => r.raw.includes(badId) });
    try {
      const bad = await requested('high', badOne);
      const good = await requested();
      await waitFor(() =>
        expect(
          sent(good)
            .map((m) => m.status)
            .sort(),
        ).toEqual([202, 204]),
      );
      const attempts = QUEUES.notificationsQueue.maxReceiveCount;
      await waitFor(async () => {
        const dead = await drain(sqs, resources.queues.notificationsQueue.dlqUrl);
        expect(dead.map((m) => (JSON.parse(m.Body ?? '{}') as ApprovalCloudEvent).subject)).toContain(bad.approvalId);
      }, 30_000);
      // Every receive tried both channels once: retried, not dropped, and not more often than the redrive limit.
      expect(sent(bad, 'teams/approvers').map((m) => m.status)).toEqual(Array(attempts).fill(500));
      expect(sent(bad, 'webhook/ops')).toHaveLength(attempts);
    } finally {
      stop();
    }
  });

  it.each([404, 410, 401])(
    'HTTP %i from Teams is reported once, with the channel and reason, and never retried; the webhook still gets it',
    async (status) => {
      const errors = vi.spyOn(logger, 'error');
      const approval = pending();
      const id = approvalIdFor(approval.message.actionId);
      const stop = receiver.fail({ status, match: (r) => r.path.startsWith('/teams/') && r.raw.includes(id) });
      try {
        const record = await requested('high', approval);
        await waitFor(() =>
          expect(
            sent(record)
              .map((m) => m.status)
              .sort(),
          ).toEqual([204, status]),
        );
        await notificationsDrained();
        const refusals = errors.mock.calls.filter(([message]) => String(message).includes('refused permanently'));
        expect(refusals).toHaveLength(1);
        expect(refusals[0]?.[1]).toMatchObject({ channel: 'teams', httpStatus: status, approvalId: record.approvalId });
        expect(JSON.stringify(refusals)).not.toContain(receiver.url);
        expect(JSON.stringify(refusals)).not.toContain('127.0.0.1');

        // The queue delivers the same message again: nothing is sent twice, and nothing is reported twice.
        await redeliver(record);
        expect(sent(record)).toHaveLength(2);
        expect(errors.mock.calls.filter(([message]) => String(message).includes('refused permanently'))).toHaveLength(
          1,
        );
        expect(await drain(sqs, resources.queues.notificationsQueue.dlqUrl)).toEqual([]);
      } finally {
        stop();
        errors.mockRestore();
      }
    },
  );

  it('a redelivered queue message never sends twice', async () => {
    const record = await requested();
    await waitFor(() => expect(sent(record)).toHaveLength(2));
    await redeliver(record);
    await redeliver(record);
    expect(
      sent(record)
        .map((m) => m.channel)
        .sort(),
    ).toEqual(['teams/approvers', 'webhook/ops']);
  });

  it("honours a 429's Retry-After, then delivers", async () => {
    const approval = pending();
    const id = approvalIdFor(approval.message.actionId);
    const stop = receiver.fail({
      status: 429,
      times: 1,
      headers: { 'retry-after': '1' },
      match: (r) => r.path.startsWith('/teams/') && r.raw.includes(id),
    });
    try {
      const record = await requested('high', approval);
      await waitFor(() => expect(sent(record, 'teams/approvers').map((m) => m.status)).toEqual([429, 202]));
      expect(sent(record, 'webhook/ops')).toHaveLength(1);
    } finally {
      stop();
    }
  });
});

/** Sends the request's `requested` CloudEvent to the notifications queue once more (as an SQS redelivery would) and waits. */
async function redeliver(record: ApprovalRecord): Promise<void> {
  const body = JSON.stringify(toCloudEvent(approvalEvent('requested', { ...record, version: 0 }), relay.source));
  await sqs.send(new SendMessageCommand({ QueueUrl: resources.queues.notificationsQueue.url, MessageBody: body }));
  await notificationsDrained();
}
