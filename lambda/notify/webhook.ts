import { Webhook } from 'standardwebhooks';
import type { DeliveryResult, Notification, NotificationAudience, NotificationChannel } from '../ports.ts';
import { postJson } from './channel.ts';
import type { WebhookConfig } from './config.ts';

/**
 * A generic HTTPS webhook carrying the same CloudEvents as the approval queue (structured mode:
 * `application/cloudevents+json`), signed with the Standard Webhooks scheme by its reference library: `webhook-id` is
 * the CloudEvent id (stable across retries: receivers deduplicate on it), `webhook-timestamp` the sending time in
 * seconds, `webhook-signature` one `v1,<base64 HMAC-SHA256>` per configured secret, space-separated, so a receiver that
 * knows any one of them verifies it (rotation without downtime).
 */
export class WebhookChannel implements NotificationChannel {
  readonly name: string;
  readonly audiences: readonly NotificationAudience[];
  /** It posts the event's CloudEvent whoever the audience is: one delivery per event (docs/notifications.md). */
  readonly perEvent = true;
  private readonly signers: readonly Webhook[];

  constructor(
    private readonly config: WebhookConfig,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.name = `webhook:${config.name}`;
    this.audiences = config.audiences;
    this.signers = config.secrets.map((secret) => new Webhook(secret));
  }

  async deliver(notification: Notification): Promise<DeliveryResult> {
    const body = JSON.stringify(notification.cloudEvent);
    const headers = signedHeaders(this.signers, notification.cloudEvent.id, this.clock(), body);
    await postJson(this.name, this.config.url, body, {
      headers: { ...headers, 'content-type': 'application/cloudevents+json; charset=utf-8' },
    });
    return { outcome: 'sent', detail: `posted ${notification.cloudEvent.type}` };
  }
}

/** The three Standard Webhooks headers for `body`, signed with every signer (rotation: all secrets sign). */
export function signedHeaders(
  signers: readonly Webhook[],
  id: string,
  at: Date,
  body: string,
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signers.map((s) => s.sign(id, at, body)).join(' '),
  };
}
