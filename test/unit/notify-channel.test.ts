import { describe, expect, it } from 'vitest';
import { APPROVAL_STEPS } from '../../lambda/domain/approval.ts';
import { parseApprovalCloudEvent } from '../../lambda/domain/approval-events.ts';
import { formatDuration, retryAfter } from '../../lambda/notify/channel.ts';
import {
  type DeliveryResult,
  type Notification,
  type NotificationChannel,
  PermanentDeliveryError,
} from '../../lambda/ports.ts';
import { sampleNotification } from '../support/notifications.ts';

/** The smallest channel there is: what a real one (Slack, Teams, webhook) implements. */
class FakeChannel implements NotificationChannel {
  readonly name = 'fake';
  readonly audiences = ['approvers', 'outcome'] as const;
  readonly seen: Notification[] = [];
  async deliver(n: Notification): Promise<DeliveryResult> {
    this.seen.push(n);
    if (n.step === 'failed') throw new PermanentDeliveryError(this.name, 'channel_not_found');
    return { outcome: 'sent', detail: `${n.step} for ${n.audience}` };
  }
}

describe('the notification channel interface', () => {
  it('a channel receives a complete notification and answers with a result or a typed failure', async () => {
    const channel: NotificationChannel = new FakeChannel();
    const n = sampleNotification({ step: 'approved', audience: 'outcome' });
    expect(await channel.deliver(n)).toEqual({ outcome: 'sent', detail: 'approved for outcome' });
    const failure = await channel.deliver(sampleNotification({ step: 'failed' })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PermanentDeliveryError);
    expect((failure as PermanentDeliveryError).message).toBe('fake: channel_not_found');
  });

  it('sample notifications carry an on-contract CloudEvent for every step', () => {
    for (const step of APPROVAL_STEPS) {
      const n = sampleNotification({ step });
      expect(parseApprovalCloudEvent(JSON.parse(JSON.stringify(n.cloudEvent))).success, step).toBe(true);
      expect(n.cloudEvent.id).toBe(n.event.id);
      expect(n.id).toBe(`${n.event.id}/approvers`);
    }
  });
});

describe('helpers', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    expect(retryAfter('30', now)).toBe(30);
    expect(retryAfter('Sun, 29 Nov 2026 12:01:00 GMT', now)).toBe(60);
    expect(retryAfter('soon', now)).toBeUndefined();
    expect(retryAfter(null, now)).toBeUndefined();
  });
  it('formats durations', () => {
    expect(formatDuration(3600 * 8)).toBe('8 hours');
    expect(formatDuration(86_400)).toBe('1 day');
    expect(formatDuration(90 * 60)).toBe('90 minutes');
  });
});
