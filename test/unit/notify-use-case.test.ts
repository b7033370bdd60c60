import { beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_STEPS, type ApprovalRecord } from '../../lambda/domain/approval.ts';
import { approvalEvent, approvalEventSource, toCloudEvent } from '../../lambda/domain/approval-events.ts';
import { logger } from '../../lambda/log.ts';
import { type NotifyDeps, NotifyRetryError, notifyApprovalEvent, WHO_HEARS } from '../../lambda/pipeline/notify.ts';
import {
  type DeliveryBegin,
  type DeliveryLedger,
  type DeliveryResult,
  NOTIFICATION_AUDIENCES,
  type Notification,
  type NotificationAudience,
  type NotificationChannel,
  type OktaUser,
  PermanentDeliveryError,
  RetryableDeliveryError,
} from '../../lambda/ports.ts';
import { sampleRecord } from '../support/notifications.ts';

/** An in-memory ledger with the DynamoDB one's rules (claim, final states, release). */
class MemoryLedger implements DeliveryLedger {
  readonly records = new Map<string, string>();
  async begin(id: string, channel: string): Promise<DeliveryBegin> {
    const key = `${id}#${channel}`;
    const status = this.records.get(key);
    if (status === 'delivered' || status === 'refused') return { outcome: status };
    if (status === 'sending') return { outcome: 'busy' };
    this.records.set(key, 'sending');
    return { outcome: 'claimed' };
  }
  async delivered(id: string, channel: string) {
    this.records.set(`${id}#${channel}`, 'delivered');
  }
  async refused(id: string, channel: string) {
    this.records.set(`${id}#${channel}`, 'refused');
  }
  async release(id: string, channel: string) {
    this.records.delete(`${id}#${channel}`);
  }
}

class RecordingChannel implements NotificationChannel {
  readonly seen: Notification[] = [];
  constructor(
    readonly name: string,
    readonly audiences: readonly NotificationAudience[],
    private readonly fail?: (n: Notification) => Error | undefined,
  ) {}
  async deliver(n: Notification): Promise<DeliveryResult> {
    this.seen.push(n);
    const error = this.fail?.(n);
    if (error) throw error;
    return { outcome: 'sent' };
  }
}

const subject: OktaUser = {
  id: '00u1subject000000000',
  status: 'ACTIVE',
  profile: { login: 'jane.doe@example.com', firstName: 'Jane', lastName: 'Doe', managerId: '00u1manager000000000' },
};
const manager: OktaUser = {
  id: '00u1manager000000000',
  status: 'ACTIVE',
  profile: { login: 'max.boss@example.com', displayName: 'Max Boss' },
};

function deps(
  channels: NotificationChannel[],
  overrides: Partial<NotifyDeps> = {},
  record?: ApprovalRecord,
): NotifyDeps {
  return {
    channels,
    ledger: new MemoryLedger(),
    approvals: { get: async () => record },
    directory: {
      getUser: async (id) => [subject, manager].find((u) => u.id === id || u.profile.login === id),
      getGroup: async (id) => ({ id, type: 'OKTA_GROUP', name: 'Admins' }),
      searchUsers: async () => [],
      getApp: async (id) => ({ id, label: 'Salesforce', name: 'salesforce' }),
    },
    consoleBaseUrl: 'https://hookpilot.example.com',
    clock: () => new Date('2026-11-29T12:10:00Z'),
    leaseMs: 60_000,
    ...overrides,
  };
}

const cloudEventOf = (step: (typeof APPROVAL_STEPS)[number]) =>
  toCloudEvent(approvalEvent(step, sampleRecord(step)), approvalEventSource('local'));

beforeAll(() => logger.setLogLevel('SILENT'));

describe('who hears what', () => {
  it('approvers hear every step; the outcome side hears decisions and results; the grant end is announced', () => {
    expect(APPROVAL_STEPS.every((step) => WHO_HEARS[step].includes('approvers'))).toBe(true);
    const outcome = APPROVAL_STEPS.filter((step) => WHO_HEARS[step].includes('outcome'));
    expect(outcome).toEqual(['approved', 'rejected', 'expired', 'executed', 'voided', 'failed']);
    expect(APPROVAL_STEPS.filter((step) => WHO_HEARS[step].includes('grant-ended'))).toEqual(['ended']);
  });

  it.each(APPROVAL_STEPS)('%s: each channel gets the audiences it serves, with names resolved', async (step) => {
    const everyone = new RecordingChannel('all', NOTIFICATION_AUDIENCES);
    const requesters = new RecordingChannel('requesters', ['outcome', 'grant-ended']);
    const record = sampleRecord(step);
    const result = await notifyApprovalEvent(deps([everyone, requesters], {}, record), cloudEventOf(step));
    expect(everyone.seen.map((n) => n.audience)).toEqual(WHO_HEARS[step]);
    expect(requesters.seen.map((n) => n.audience)).toEqual(WHO_HEARS[step].filter((a) => a !== 'approvers'));
    expect(result.deliveries.every((d) => d.outcome === 'sent')).toBe(true);
    for (const n of everyone.seen) {
      expect(n.step).toBe(step);
      expect(n.id).toBe(`${n.cloudEvent.id}/${n.audience}`);
      expect(n.action.text).toBe('add user Jane Doe (jane.doe@example.com) to group "Admins"');
      expect(n.headline).toContain('add user Jane Doe');
      expect(n.consoleUrl).toBe(`https://hookpilot.example.com/console/approvals/${record.approvalId}`);
      // Later steps still carry the request's facts, read from the approvals table.
      expect(n.rationale).toBe(record.rationale);
      expect(n.confidence).toBe(0.82);
      expect(n.facts[0]).toEqual({ label: 'Action', value: n.action.text });
      if (n.audience === 'approvers' && n.state === 'pending') {
        expect(n.facts).toContainEqual({
          label: 'Policy',
          value: 'high-risk-needs-approval: high-risk actions need a human',
        });
      }
      if (n.audience === 'approvers') expect(n.facts.map((f) => f.label)).not.toContain('Manager');
      else expect(n.facts).toContainEqual({ label: 'Manager', value: 'Max Boss (max.boss@example.com)' });
    }
  });

  it('says what happened in words', async () => {
    const statuses: Record<string, string> = {};
    for (const step of APPROVAL_STEPS) {
      const channel = new RecordingChannel('all', ['approvers']);
      await notifyApprovalEvent(deps([channel], {}, sampleRecord(step)), cloudEventOf(step));
      statuses[step] = channel.seen[0]?.status ?? '';
    }
    expect(statuses.requested).toMatch(/^Waiting for 1 approval · expires 2026-11-30T12:00:00.000Z$/);
    expect(statuses.approved).toBe('Approved by alice.admin@example.com; queued to run');
    expect(statuses.rejected).toBe('Rejected by alice.admin@example.com: not needed');
    expect(statuses.expired).toBe('Expired with 0 of 1 approval; it can never run now');
    expect(statuses.executed).toBe('Carried out in Okta (request req-123)');
    expect(statuses.voided).toBe('Not carried out: the user left the company');
    expect(statuses.ended).toBe('The time-bound access ended at its expiry; it has been removed');
  });

  it('shows ids instead of names when Okta is down, rather than failing the notification', async () => {
    const channel = new RecordingChannel('all', ['approvers']);
    const down = async () => {
      throw new Error('okta down');
    };
    const d = deps([channel], {
      directory: { getUser: down, getGroup: down, searchUsers: down, getApp: down },
    });
    await notifyApprovalEvent(d, cloudEventOf('requested'));
    expect(channel.seen[0]?.action.text).toBe('add user 00u1subject000000000 to group 00g1admins0000000000');
  });
});

describe('delivery', () => {
  it('a permanent refusal is recorded and not retried; the other channels still deliver', async () => {
    const refusing = new RecordingChannel(
      'teams',
      ['approvers'],
      () => new PermanentDeliveryError('teams', 'gone (HTTP 410)'),
    );
    const fine = new RecordingChannel('webhook:ops', ['approvers']);
    const d = deps([refusing, fine]);
    const first = await notifyApprovalEvent(d, cloudEventOf('requested'));
    expect(first.deliveries.map((x) => `${x.channel}:${x.outcome}`).sort()).toEqual([
      'teams:refused',
      'webhook:ops:sent',
    ]);
    const again = await notifyApprovalEvent(d, cloudEventOf('requested'));
    expect(again.deliveries.map((x) => `${x.channel}:${x.outcome}`).sort()).toEqual([
      'teams:already-refused',
      'webhook:ops:already-sent',
    ]);
    expect(refusing.seen).toHaveLength(1);
    expect(fine.seen).toHaveLength(1);
  });

  it('a retryable failure throws after the others delivered; the retry sends only what is missing', async () => {
    let failing = true;
    const flaky = new RecordingChannel('teams', ['approvers'], () =>
      failing
        ? new RetryableDeliveryError('teams', 'receiver answered HTTP 429', { httpStatus: 429, retryAfterSeconds: 7 })
        : undefined,
    );
    const fine = new RecordingChannel('webhook:ops', ['approvers']);
    const d = deps([flaky, fine]);
    const error = await notifyApprovalEvent(d, cloudEventOf('requested')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifyRetryError);
    expect((error as NotifyRetryError).retryAfterSeconds).toBe(7);
    expect((error as NotifyRetryError).message).toBe(
      'notification delivery to retry: teams (receiver answered HTTP 429)',
    );
    failing = false;
    await notifyApprovalEvent(d, cloudEventOf('requested'));
    expect(flaky.seen).toHaveLength(2);
    expect(fine.seen).toHaveLength(1);
  });

  it.each(APPROVAL_STEPS)(
    '%s: a per-event channel (the webhook) serving several audiences gets the event once, recorded per event',
    async (step) => {
      const webhook = Object.assign(new RecordingChannel('webhook:ops', ['approvers', 'outcome', 'grant-ended']), {
        perEvent: true,
      });
      const outcomeOnly = Object.assign(new RecordingChannel('webhook:audit', ['outcome']), { perEvent: true });
      const d = deps([webhook, outcomeOnly]);
      const event = cloudEventOf(step);
      const result = await notifyApprovalEvent(d, event);
      expect(webhook.seen.map((n) => n.cloudEvent.id)).toEqual([event.id]);
      expect(outcomeOnly.seen).toHaveLength(WHO_HEARS[step].includes('outcome') ? 1 : 0);
      expect(result.deliveries.map((x) => x.channel)).toEqual([
        'webhook:ops',
        ...(WHO_HEARS[step].includes('outcome') ? ['webhook:audit'] : []),
      ]);
      expect([...(d.ledger as MemoryLedger).records.keys()]).toContain(`${event.id}#webhook:ops`);
      // A redelivered queue message sends nothing again.
      const again = await notifyApprovalEvent(d, event);
      expect(again.deliveries.every((x) => x.outcome === 'already-sent')).toBe(true);
      expect(webhook.seen).toHaveLength(1);
    },
  );

  it('an unexpected error is retried and its text (which could hold anything) is not repeated', async () => {
    const broken = new RecordingChannel(
      'teams',
      ['approvers'],
      () => new TypeError('https://secret.example/hook?sig=abc'),
    );
    const error = await notifyApprovalEvent(deps([broken]), cloudEventOf('requested')).catch((e: unknown) => e);
    expect((error as Error).message).toBe('notification delivery to retry: teams (unexpected TypeError)');
  });

  it('refuses a message that is not an approval CloudEvent', async () => {
    await expect(notifyApprovalEvent(deps([]), { hello: 'world' } as never)).rejects.toThrow(/not an approval event/);
  });
});

describe('names', () => {
  it('names an app by its label, even before the user is assigned it', async () => {
    const channel = new RecordingChannel('all', ['approvers']);
    const record = sampleRecord('requested');
    const app = {
      ...record,
      message: {
        ...record.message,
        action: { type: 'app.assign', params: { userId: subject.id, appId: '0oa1salesforce000000' } },
      },
    } as ApprovalRecord;
    const event = toCloudEvent(approvalEvent('requested', app), approvalEventSource('local'));
    await notifyApprovalEvent(deps([channel], {}, app), event);
    expect(channel.seen[0]?.action.text).toBe('assign app "Salesforce" to user Jane Doe (jane.doe@example.com)');
  });
});
