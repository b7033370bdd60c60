import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { approvalEvent } from '../../lambda/domain/approval-events.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { LOCAL_DEFAULT_WEBHOOK_SECRET } from '../../local/resources.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { adaptiveCardProblems } from '../support/adaptive-card.ts';
import { newRequest, pendingApproval } from '../support/approvals.ts';
import { emulators, testClients } from '../support/emulators.ts';
import { drain } from '../support/queues.ts';

/**
 * The whole path on the local stack's own pieces: a request stored with its event (the outbox) → the sweeper's relay
 * publishes it on the approval queue and copies it to the notifications queue → the queue worker runs the notifier →
 * the local receiver (standing in for Teams and a signed webhook) records and prints the messages.
 */
let stack: LocalStack;
const lines: string[] = [];
const { sqs, documents } = testClients();

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    emulators: emulators(),
    prefix: `nl${randomUUID().slice(0, 6)}`,
    okta: { port: 0, registerHook: false },
    sweepIntervalSeconds: 1,
    notifications: true,
    log: (line) => lines.push(line),
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('notifications on the local stack', () => {
  it('are on against the local receiver, and reach it from the outbox through the notifications queue', async () => {
    const receiver = stack.notifyReceiver;
    if (!receiver) throw new Error('the local stack started without its notification receiver');
    expect(stack.notifyChannels).toEqual(['slack', 'teams', 'webhook']);

    const user = stack.okta.sim.state.users().find((u) => (u.profile as { managerId?: unknown }).managerId) as {
      id: string;
      profile: { login: string };
    };
    const record = newRequest(new Date(), {
      pending: pendingApproval({ risk: 'high', params: { userId: user.id, groupId: '00gnotagroup00000000' } }),
    });
    const store = new DynamoApprovalStore(documents, stack.resources.tables.approvalsTable);
    await store.create(record, [approvalEvent('requested', record)]); // left in the outbox: the sweeper relays it

    const mine = () => receiver.messages.filter((m) => m.raw.includes(record.approvalId));
    await vi.waitFor(
      () =>
        expect(
          mine()
            .map((m) => `${m.channel} ${m.status}`)
            .sort(),
        ).toEqual([
          'slack/chat.postMessage 200', // the Slack stand-in (its answer is ok: true)
          'teams/approvers 202',
          'webhook/local 204', // 204: the receiver verified the signature
        ]),
      { timeout: 20_000, interval: 200 },
    );

    const teams = mine().find((m) => m.channel === 'teams/approvers');
    const card = (teams?.json as { attachments: { content: { actions: { url: string }[] } }[] } | undefined)
      ?.attachments[0]?.content;
    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(card?.actions[0]?.url).toBe(`${stack.url}/console/approvals/${record.approvalId}`);
    expect(teams?.summary).toContain(`Approval needed: add user`);
    expect(teams?.summary).toContain(user.profile.login);

    const hook = mine().find((m) => m.channel === 'webhook/local');
    expect(new Webhook(LOCAL_DEFAULT_WEBHOOK_SECRET).verify(hook?.raw ?? '', hook?.headers ?? {})).toMatchObject({
      type: 'dev.hookpilot.approval.requested',
      subject: record.approvalId,
    });

    // One printed line per message, and the receiver's page lists them.
    const printed = lines.filter((l) => l.startsWith('notify ▸') && l.includes(record.approvalId));
    expect(printed).toHaveLength(2);
    // Slack's line names the action (Slack's text has no approval id).
    expect(
      lines.filter(
        (l) =>
          l.startsWith('notify ▸ slack/chat.postMessage (200): posted #approvals: Approval needed') &&
          l.includes(user.profile.login),
      ),
    ).toHaveLength(1);
    const slack = mine().find((m) => m.channel === 'slack/chat.postMessage');
    expect(slack?.headers.authorization).toMatch(/^Bearer xoxb-/);
    expect(printed.some((l) => l.startsWith('notify ▸ teams/approvers (202): Approval needed: add user'))).toBe(true);
    const page = await fetch(`${receiver.url}/`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('teams/approvers');

    // The team's own consumers still find the event on the approval queue: the notifier read a copy.
    const published = (await drain(sqs, stack.resources.queues.approvalQueue.url)).map(
      (m) => (JSON.parse(m.Body ?? '{}') as { subject?: string }).subject,
    );
    expect(published).toContain(record.approvalId);
  });
});
