import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalStep } from '../../lambda/domain/approval.ts';
import { MessageSchema } from '../../lambda/notify/slack/block-kit.ts';
import { SlackChannel } from '../../lambda/notify/slack/channel.ts';
import { ACTION_APPROVE, ACTION_OPEN } from '../../lambda/notify/slack/messages.ts';
import { type SlackApi, SlackWebApi } from '../../lambda/notify/slack/web-api.ts';
import { type ChannelStateStore, PermanentDeliveryError, RetryableDeliveryError } from '../../lambda/ports.ts';
import { DynamoChannelStateStore } from '../../lambda/store/notification-ledger.ts';
import type { LocalResources } from '../../local/resources.ts';
import {
  LOCAL_APPROVALS_CHANNEL,
  LOCAL_OUTCOME_CHANNEL,
  LOCAL_SLACK_TOKEN,
  type RunningSlackStandIn,
  startSlackStandIn,
} from '../../local/slack-standin.ts';
import { freshResources, testClients } from '../support/emulators.ts';
import { sampleNotification } from '../support/notifications.ts';

/**
 * The Slack channel over real HTTP: Slack's official SDK talking to the local Web API stand-in (which validates every
 * message against the Block Kit schema, checks the token and the channel, and records posts, edits and replies), and
 * the per-request state in DynamoDB Local (conditional writes).
 */
const { documents } = testClients();
let resources: LocalResources;
let slack: RunningSlackStandIn;
let state: ChannelStateStore;
let approvalCounter = 0;

beforeAll(async () => {
  [resources, slack] = await Promise.all([freshResources(), startSlackStandIn()]);
  state = new DynamoChannelStateStore(documents, resources.tables.idempotencyTable);
});

afterAll(async () => {
  await slack?.stop();
});

beforeEach(() => {
  slack.slack.reset();
  approvalCounter += 1;
});

const approvalId = () => `apr_slacktest${String(approvalCounter).padStart(6, '0')}${process.pid}`;

function channel(options: Partial<ConstructorParameters<typeof SlackChannel>[0]> = {}) {
  return new SlackChannel({
    api: new SlackWebApi({ token: LOCAL_SLACK_TOKEN, apiUrl: slack.apiUrl }),
    state,
    approvalsChannel: LOCAL_APPROVALS_CHANNEL,
    outcomeChannel: LOCAL_OUTCOME_CHANNEL,
    ...options,
  });
}

/** The sample notification of `step` for this test's request, with the sequence the step has. */
function step(name: ApprovalStep, overrides: Parameters<typeof sampleNotification>[0] = {}) {
  const base = sampleNotification({ step: name, ...overrides });
  const id = approvalId();
  const sequence = { requested: 0, approved: 1, rejected: 1, executed: 2, voided: 2, failed: 2, expired: 1 }[
    name as string
  ];
  const event = {
    ...base.event,
    approvalId: id,
    data: { ...base.event.data, approvalId: id, sequence: sequence ?? 1 },
  };
  const decided = ['approved', 'rejected', 'executed', 'voided', 'failed'].includes(name);
  return {
    ...base,
    approvalId: id,
    event,
    id: `${id}:${name}/${base.audience}`,
    consoleUrl: `http://127.0.0.1:8787/console/approvals/${id}`,
    status: decided ? `${name} by alice.admin@example.com` : base.status,
    decidedBy: decided ? ['alice.admin@example.com'] : [],
    ...overrides.overrides,
  };
}

const calls = (method: string) => slack.slack.calls.filter((c) => c.method === method && c.ok);

describe('the request message', () => {
  it('requested → approved → executed: one post, two edits, a thread reply per decision and outcome', async () => {
    const c = channel();
    await c.deliver(step('requested'));
    await c.deliver(step('approved'));
    await c.deliver(step('executed'));

    const posted = slack.slack.posted(LOCAL_APPROVALS_CHANNEL);
    expect(posted).toHaveLength(1);
    const message = posted[0];
    if (!message) throw new Error('unreachable');
    expect(calls('chat.update')).toHaveLength(2);
    expect(message.versions).toHaveLength(3);
    // Every version is valid Block Kit, as the stand-in received it.
    for (const { text, blocks } of message.versions)
      expect(MessageSchema.safeParse({ text, blocks }).success).toBe(true);
    const buttons = (blocks: (typeof message)['blocks']) =>
      blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => [e.action_id, e.text.text]) : []));
    expect(buttons(message.versions[0]?.blocks ?? [])).toEqual([[ACTION_OPEN, 'Open in console']]);
    expect(buttons(message.blocks)).toEqual([[ACTION_OPEN, 'View in console']]);
    expect(message.text).toMatch(/executed by alice/);
    const replies = slack.slack.replies(LOCAL_APPROVALS_CHANNEL, message.ts);
    expect(replies.map((r) => r.text)).toEqual([
      'approved by alice.admin@example.com',
      'executed by alice.admin@example.com',
    ]);
  });

  it('a redelivered step edits the same message instead of posting again', async () => {
    const c = channel();
    const requested = step('requested');
    await c.deliver(requested);
    await c.deliver(requested);
    expect(slack.slack.posted(LOCAL_APPROVALS_CHANNEL)).toHaveLength(1);
    expect(calls('chat.postMessage')).toHaveLength(1);
  });

  it('two deliveries racing on a new request post once; the loser retries and edits', async () => {
    // A's post is held until B has run, so the two really overlap (no timing involved).
    const real = new SlackWebApi({ token: LOCAL_SLACK_TOKEN, apiUrl: slack.apiUrl });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowApi: SlackApi = {
      postMessage: async (...args) => {
        await held;
        return real.postMessage(...args);
      },
      update: (...args) => real.update(...args),
      openDm: (id) => real.openDm(id),
      authTest: () => real.authTest(),
      userEmail: (id) => real.userEmail(id),
    };
    const a = channel({ api: slowApi });
    const b = channel();
    const requested = step('requested');
    const first = a.deliver(requested);
    const second = await b.deliver(requested).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(RetryableDeliveryError);
    expect((second as Error).message).toMatch(/being posted by another delivery/);
    release();
    await first;
    await b.deliver(requested);
    expect(slack.slack.posted(LOCAL_APPROVALS_CHANNEL)).toHaveLength(1);
    expect(calls('chat.postMessage')).toHaveLength(1);
    expect(calls('chat.update')).toHaveLength(1);
  });

  it('an older step arriving after a newer one leaves the message on the newer step', async () => {
    const c = channel();
    await c.deliver(step('requested'));
    await c.deliver(step('executed'));
    await c.deliver(step('approved'));
    const [message] = slack.slack.posted(LOCAL_APPROVALS_CHANNEL);
    expect(message?.text).toMatch(/executed by alice/);
    expect(calls('chat.update')).toHaveLength(1);
  });

  it('a step whose message was never posted (the notifier started later) posts it in its current state', async () => {
    await channel().deliver(step('approved'));
    const [message] = slack.slack.posted(LOCAL_APPROVALS_CHANNEL);
    expect(message?.text).toMatch(/approved by alice/);
    // Its thread reply follows the post.
    expect(slack.slack.replies(LOCAL_APPROVALS_CHANNEL, message?.ts ?? '')).toHaveLength(1);
  });

  it('offers Approve / Reject only when interactivity is on and the action is not critical', async () => {
    await channel({ buttons: true }).deliver(step('requested', { overrides: { risk: 'medium' } }));
    const ids = (i: number) =>
      slack.slack
        .posted(LOCAL_APPROVALS_CHANNEL)
        [i]?.blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => e.action_id) : []));
    expect(ids(0)).toContain(ACTION_APPROVE);
    approvalCounter += 1;
    await channel({ buttons: true }).deliver(step('requested', { overrides: { risk: 'critical' } }));
    expect(ids(1)).toEqual([ACTION_OPEN]);
  });
});

describe("Slack's failures", () => {
  it('a revoked token is a permanent failure naming token_revoked (never the token)', async () => {
    slack.slack.revoke();
    const error = await channel()
      .deliver(step('requested'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as Error).message).toMatch(/token_revoked/);
    expect((error as Error).message).not.toContain(LOCAL_SLACK_TOKEN);
  });

  it('a wrong token is invalid_auth, permanent', async () => {
    const c = new SlackChannel({
      api: new SlackWebApi({ token: 'xoxb-wrong', apiUrl: slack.apiUrl }),
      state,
      approvalsChannel: LOCAL_APPROVALS_CHANNEL,
    });
    await expect(c.deliver(step('requested'))).rejects.toThrow(/invalid_auth/);
  });

  it.each([['channel_not_found'], ['is_archived'], ['not_in_channel'], ['account_inactive']])(
    '%s is permanent',
    async (code) => {
      slack.slack.fail('chat.postMessage', { error: code });
      const error = await channel()
        .deliver(step('requested'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect((error as Error).message).toContain(code);
    },
  );

  it('an unknown channel id is channel_not_found, permanent', async () => {
    await expect(channel({ approvalsChannel: 'C0NOSUCH' }).deliver(step('requested'))).rejects.toBeInstanceOf(
      PermanentDeliveryError,
    );
  });

  it('HTTP 429 with Retry-After is retryable with its delay, and the retry posts once', async () => {
    slack.slack.fail('chat.postMessage', { status: 429, retryAfter: 7 });
    const c = channel();
    const requested = step('requested');
    const error = await c.deliver(requested).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).details).toMatchObject({ httpStatus: 429, retryAfterSeconds: 7 });
    expect(slack.slack.posted()).toHaveLength(0);
    // Slack refused the post, so the claim was given back: the retry (after Retry-After, in the notifier) posts once.
    await c.deliver(requested);
    await c.deliver(requested);
    expect(slack.slack.posted()).toHaveLength(1);
    expect(calls('chat.postMessage')).toHaveLength(1);
  });

  it('a post Slack never answered (network error, timeout) keeps its claim — it may have landed: the next delivery waits', async () => {
    const real = new SlackWebApi({ token: LOCAL_SLACK_TOKEN, apiUrl: slack.apiUrl });
    // Nothing listens there: the call fails without an answer from Slack.
    const hanging = new SlackWebApi({ token: LOCAL_SLACK_TOKEN, apiUrl: 'http://127.0.0.1:9/api/', timeoutMs: 200 });
    const requested = step('requested');
    const error = await channel({ api: hanging })
      .deliver(requested)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    const again = await channel({ api: real })
      .deliver(requested)
      .catch((e: unknown) => e);
    expect((again as Error).message).toMatch(/being posted by another delivery/);
    expect(slack.slack.posted()).toHaveLength(0);
  });

  it('a post Slack accepts but never answers times out: retryable, said as a timeout, and the claim is kept', async () => {
    const silent = createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const api = new SlackWebApi({
        token: LOCAL_SLACK_TOKEN,
        apiUrl: `http://127.0.0.1:${port}/api/`,
        timeoutMs: 200,
      });
      const requested = step('requested');
      const error = await channel({ api })
        .deliver(requested)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableDeliveryError);
      expect((error as Error).message).toMatch(/timed out/);
      const again = await channel({ api: new SlackWebApi({ token: LOCAL_SLACK_TOKEN, apiUrl: slack.apiUrl }) })
        .deliver(requested)
        .catch((e: unknown) => e);
      expect((again as Error).message).toMatch(/being posted by another delivery/);
      expect(slack.slack.posted()).toHaveLength(0);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('ok:false ratelimited and HTTP 503 are retryable', async () => {
    slack.slack.fail('chat.update', { error: 'ratelimited' });
    slack.slack.fail('chat.update', { status: 503 });
    const c = channel();
    await c.deliver(step('requested'));
    await expect(c.deliver(step('approved'))).rejects.toBeInstanceOf(RetryableDeliveryError);
    await expect(c.deliver(step('approved'))).rejects.toBeInstanceOf(RetryableDeliveryError);
    await c.deliver(step('approved'));
    expect(slack.slack.posted()[0]?.text).toMatch(/approved by alice/);
  });

  it('a message deleted in Slack is message_not_found on the edit, permanent', async () => {
    const c = channel();
    await c.deliver(step('requested'));
    slack.slack.fail('chat.update', { error: 'message_not_found' });
    await expect(c.deliver(step('approved'))).rejects.toBeInstanceOf(PermanentDeliveryError);
  });
});

describe('who hears the outcome', () => {
  it("the subject's manager by DM when their Slack user is known", async () => {
    const c = channel({ slackUserIdOf: async (id) => (id === '00u1manager000000000' ? 'U0MANAGER1' : undefined) });
    const result = await c.deliver(step('executed', { audience: 'outcome' }));
    expect(result.detail).toMatch(/DM/);
    expect(calls('conversations.open')).toHaveLength(1);
    const dm = slack.slack.messages.find((m) => m.channel === 'D0MANAGER1');
    expect(dm?.text).toBeTruthy();
    expect(slack.slack.posted(LOCAL_OUTCOME_CHANNEL)).toHaveLength(0);
  });

  it('the outcome channel otherwise; nothing when neither is configured', async () => {
    await channel({ slackUserIdOf: async () => undefined }).deliver(step('rejected', { audience: 'outcome' }));
    expect(slack.slack.posted(LOCAL_OUTCOME_CHANNEL)).toHaveLength(1);
    // An attribute value that is not a Slack user id is not used.
    await channel({ slackUserIdOf: async () => 'not-an-id' }).deliver(step('rejected', { audience: 'outcome' }));
    expect(slack.slack.posted(LOCAL_OUTCOME_CHANNEL)).toHaveLength(2);
    const none = channel({ outcomeChannel: undefined, slackUserIdOf: async () => undefined });
    expect((await none.deliver(step('rejected', { audience: 'outcome' }))).outcome).toBe('skipped');
  });

  it('lists only the audiences it has a destination for', () => {
    expect(channel({ outcomeChannel: undefined }).audiences).toEqual(['approvers']);
    expect(channel({ approvalsChannel: undefined }).audiences).toEqual(['outcome', 'grant-ended']);
  });
});
