import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import type { ApprovalRecord } from '../../lambda/domain/approval.ts';
import { type ApprovalCloudEvent, approvalEvent, approvalEventSource } from '../../lambda/domain/approval-events.ts';
import { loadPolicy } from '../../lambda/domain/policy-config.ts';
import { decideApproval } from '../../lambda/pipeline/decide-approval.ts';
import { type PublishApprovalEventsDeps, publishSoon } from '../../lambda/pipeline/publish-approval-events.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { type NotifyReceiver, startNotifyReceiver } from '../../local/notify-receiver.ts';
import type { LocalResources } from '../../local/resources.ts';
import {
  LOCAL_APPROVALS_CHANNEL,
  LOCAL_OUTCOME_CHANNEL,
  LOCAL_SLACK_TOKEN,
  mountSlackStandIn,
  SlackStandIn,
} from '../../local/slack-standin.ts';
import { pendingRecord } from '../support/approval-fakes.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { startTestSim, type TestSim } from '../support/okta-sim.ts';
import { groupNamed, handlerEnv, newUser } from '../support/okta-users.ts';
import { consumeAll, drain } from '../support/queues.ts';

/**
 * Slack through the whole notifier, over real HTTP: approval events published by the real outbox relay onto the
 * notifications queue (SQS emulator), consumed by the real notifier handler (delivery records and Slack's state in
 * DynamoDB Local, names from the Okta simulator), posting through Slack's SDK to the Slack stand-in mounted on the local
 * notification receiver — and the executor acting on the simulator in between.
 */
const { sqs, documents } = testClients();
let resources: LocalResources;
let okta: TestSim;
let receiver: NotifyReceiver;
const slack = new SlackStandIn();
let store: DynamoApprovalStore;
let publish: PublishApprovalEventsDeps;
let notifier: typeof import('../../lambda/handlers/notifier.ts')['handler'];
let executor: typeof import('../../lambda/handlers/executor.ts')['handler'];

beforeAll(async () => {
  [resources, okta, receiver] = await Promise.all([
    freshResources({ visibilityTimeoutSeconds: 1 }),
    startTestSim(),
    startNotifyReceiver(),
  ]);
  const apiUrl = mountSlackStandIn(receiver, slack);
  useLocalEnv(resources, {
    ...handlerEnv(okta),
    HOOKPILOT_POLICY_FILE: 'policy/hookpilot.policy.json',
    HOOKPILOT_NOTIFY_CHANNELS: 'slack',
    HOOKPILOT_NOTIFY_CONFIG: JSON.stringify({
      slack: {
        botToken: LOCAL_SLACK_TOKEN,
        approvalsChannel: LOCAL_APPROVALS_CHANNEL,
        outcomeChannel: LOCAL_OUTCOME_CHANNEL,
        apiUrl,
      },
    }),
    HOOKPILOT_CONSOLE_URL: 'http://127.0.0.1:8787',
    // Retries come back at once (the test's queue has a 1 s visibility timeout); a 429's Retry-After still wins.
    HOOKPILOT_NOTIFY_RETRY_BASE_SECONDS: '0',
  });
  ({ handler: notifier } = await import('../../lambda/handlers/notifier.ts'));
  ({ handler: executor } = await import('../../lambda/handlers/executor.ts'));
  store = new DynamoApprovalStore(documents, resources.tables.approvalsTable as string);
  const audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  publish = {
    outbox: store,
    audit,
    approvalQueue: new SqsQueue<ApprovalCloudEvent>(sqs, resources.queues.approvalQueue.url, 'approval'),
    notificationsQueue: new SqsQueue<ApprovalCloudEvent>(sqs, resources.queues.notificationsQueue.url, 'notifications'),
    source: approvalEventSource('local'),
  };
});

afterAll(async () => {
  await Promise.all([okta?.stop(), receiver?.stop()]);
});

beforeEach(async () => {
  slack.reset();
  await drain(sqs, resources.queues.notificationsQueue.url);
});

/** A pending request (adding a fresh user to dept-sales, low risk) stored with its `requested` event, and published. */
async function requested(): Promise<ApprovalRecord> {
  const subject = await newUser(okta);
  const record = pendingRecord({
    userId: subject.id,
    action: { type: 'group.add_member', params: { userId: subject.id, groupId: groupNamed(okta, 'dept-sales') } },
    policy: loadPolicy(),
  });
  const event = approvalEvent('requested', record);
  await store.create(record, [event]);
  await publishSoon(publish, [event]);
  return record;
}

const notify = () =>
  consumeAll(sqs, resources.queues.notificationsQueue.url, {
    handler: notifier as never,
    context: () => lambdaContext('notifier', 30, 512),
  });

const slackCalls = (method: string) => slack.calls.filter((c) => c.method === method);

describe('Slack through the notifier', () => {
  it('requested → approved → executed: one post, two edits, a thread reply each; the outcome in the outcome channel', async () => {
    const record = await requested();
    await notify();
    const approver = okta.sim.state.user('sarah.mitchell@acme-demo.example');
    await decideApproval(
      {
        principal: {
          userId: String(approver?.id),
          login: 'sarah.mitchell@acme-demo.example',
          groups: ['it-approvers'],
        },
        approvalId: record.approvalId,
        body: { decision: 'approve', payloadHash: record.payloadHash },
      },
      {
        store,
        audit: publish.audit,
        policy: loadPolicy(),
        clock: () => new Date(),
        actionsQueue: new SqsQueue<ActionMessage>(sqs, resources.queues.actionsQueue.url, 'actions'),
        publish,
      },
    );
    await notify();
    await consumeAll(sqs, resources.queues.actionsQueue.url, {
      handler: executor as never,
      context: () => lambdaContext('executor', 60, 512),
    });
    await notify();

    expect((await store.get(record.approvalId))?.state).toBe('executed');
    const [message, ...others] = slack.posted(LOCAL_APPROVALS_CHANNEL);
    expect(others).toHaveLength(0);
    if (!message) throw new Error('nothing was posted');
    expect(slackCalls('chat.update').filter((c) => c.ok)).toHaveLength(2);
    expect(message.versions).toHaveLength(3);
    expect(message.versions[0]?.text).toMatch(/^Approval needed: add user .* to group "dept-sales"/);
    expect(message.text).toMatch(/^Done: add user .* — Carried out in Okta \(request /);
    // Who decided stays on the message after it ran (its facts).
    expect(JSON.stringify(message.blocks)).toMatch(/Decided by\*\\nsarah\.mitchell@acme-demo\.example/);
    const actions = message.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    expect(actions.map((a) => [a.text.text, a.url])).toEqual([
      ['View in console', `http://127.0.0.1:8787/console/approvals/${record.approvalId}`],
    ]);
    expect(slack.replies(LOCAL_APPROVALS_CHANNEL, message.ts)).toHaveLength(2);
    // The subject's manager has no Slack user here: the outcomes (approved, executed) go to the outcome channel.
    expect(slack.posted(LOCAL_OUTCOME_CHANNEL)).toHaveLength(2);
    // The receiver's log lists every call, as `npm start`'s page shows it.
    expect(receiver.messages.some((m) => m.channel === 'slack/chat.update')).toBe(true);
  });

  it('a redelivered event posts nothing twice', async () => {
    const record = await requested();
    await notify();
    // The relay publishes the same event again (the sweeper's catch-up): same CloudEvent id.
    await publishSoon(publish, [approvalEvent('requested', record)]);
    await notify();
    expect(slack.posted(LOCAL_APPROVALS_CHANNEL)).toHaveLength(1);
    expect(slackCalls('chat.postMessage')).toHaveLength(1);
  });

  it('a revoked token is reported once and not retried: the message leaves the queue, a redelivery calls Slack no more', async () => {
    slack.revoke();
    const record = await requested();
    const stats = await notify();
    expect(stats.failed).toBe(0);
    expect(slackCalls('chat.postMessage')).toEqual([
      { method: 'chat.postMessage', ok: false, status: 200, error: 'token_revoked' },
    ]);
    await publishSoon(publish, [approvalEvent('requested', record)]);
    await notify();
    expect(slackCalls('chat.postMessage')).toHaveLength(1);
  });

  it('HTTP 429 with Retry-After: the message comes back and is posted once', async () => {
    slack.fail('chat.postMessage', { status: 429, retryAfter: 1 });
    await requested();
    const stats = await notify();
    expect(stats.failed).toBe(1);
    expect(slackCalls('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(slack.posted(LOCAL_APPROVALS_CHANNEL)).toHaveLength(1);
  });
});
