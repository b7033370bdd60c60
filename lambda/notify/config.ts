import { z } from 'zod';
import { checkSecureUrl, consoleOrigin, ENV, optionalEnv } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { NOTIFICATION_AUDIENCES } from '../ports.ts';
import { readSecret } from '../secrets.ts';

/**
 * The notifier's configuration. Which channels are on is a stack setting (`HOOKPILOT_NOTIFY_CHANNELS`, e.g.
 * `teams,webhook`; CDK prop `notifications.channels`); each channel's settings hold secrets (a Teams Workflows URL
 * carries its own signature, a webhook its signing secrets, Slack a bot token), so they are JSON in the variable
 * `HOOKPILOT_NOTIFY_CONFIG` locally and in the Secrets Manager secret `notificationsConfig` deployed.
 * docs/notifications.md shows a complete example.
 */
export const NOTIFY_ENV = {
  channels: 'HOOKPILOT_NOTIFY_CHANNELS',
  config: 'HOOKPILOT_NOTIFY_CONFIG',
  configSecretArn: 'HOOKPILOT_NOTIFY_CONFIG_ARN',
  /** The first retry's delay in seconds (doubles per attempt, at most 15 min); a 429's Retry-After wins. */
  retryBaseSeconds: 'HOOKPILOT_NOTIFY_RETRY_BASE_SECONDS',
} as const;

export const CHANNEL_KINDS = ['teams', 'webhook', 'slack'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** https, or http on the loopback interface only (the local stack's receiver). */
export const webhookUrl = z
  .string()
  .refine((u) => 'url' in checkSecureUrl(u), { message: 'must be an https URL (http only on the loopback interface)' });

const audiences = z.array(z.enum(NOTIFICATION_AUDIENCES)).min(1);

/**
 * Microsoft Teams: one Workflows "When a Teams webhook request is received" URL per audience it should reach (a
 * channel or chat each). Audiences without a URL are not sent to Teams.
 */
export const TeamsConfigSchema = z
  .strictObject({
    approvers: webhookUrl.optional(),
    outcome: webhookUrl.optional(),
    grantEnded: webhookUrl.optional(),
  })
  .refine((t) => t.approvers || t.outcome || t.grantEnded, {
    message: 'give at least one of approvers, outcome, grantEnded',
  });
export type TeamsConfig = z.infer<typeof TeamsConfigSchema>;

/** A Standard Webhooks secret: `whsec_` and base64 of 24 to 64 random bytes. */
const signingSecret = z.string().refine(
  (s) => {
    const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(s);
    if (!m?.[1]) return false;
    const bytes = Buffer.from(m[1], 'base64').length;
    return bytes >= 24 && bytes <= 64;
  },
  { message: 'must be whsec_ followed by the base64 of 24 to 64 random bytes' },
);

/**
 * A generic HTTPS webhook: the approval CloudEvents, signed (Standard Webhooks) with every secret in `secrets` — add the
 * new secret first, let receivers switch, then drop the old one. `audiences` defaults to `approvers`, which hears every
 * step: each CloudEvent once.
 */
export const WebhookConfigSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and hyphens (1–40)'),
  url: webhookUrl,
  secrets: z.array(signingSecret).min(1).max(5),
  audiences: audiences.default(['approvers']),
});
export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;

export const NotifyConfigSchema = z.strictObject({
  teams: TeamsConfigSchema.optional(),
  webhooks: z
    .array(WebhookConfigSchema)
    .max(10)
    .refine((w) => new Set(w.map((x) => x.name)).size === w.length, { message: 'webhook names must be unique' })
    .optional(),
  /** The Slack channel's settings (its own schema, checked when the Slack channel is built). */
  slack: z.record(z.string(), z.unknown()).optional(),
});
export type NotifyConfig = z.infer<typeof NotifyConfigSchema>;

/** Parses the JSON text; a problem is a `ConfigError` naming the field, never echoing a value (they are secrets). */
export function parseNotifyConfig(json: string, source: string): NotifyConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ConfigError(`${source} is not JSON`);
  }
  const parsed = NotifyConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`${source} is invalid: ${where}`);
  }
  return parsed.data;
}

/** The channels turned on (`HOOKPILOT_NOTIFY_CHANNELS`), checked; empty when notifications are off. */
export function enabledChannels(value = optionalEnv(NOTIFY_ENV.channels)): ChannelKind[] {
  if (!value) return [];
  const out: ChannelKind[] = [];
  for (const name of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(CHANNEL_KINDS as readonly string[]).includes(name)) {
      throw new ConfigError(
        `${NOTIFY_ENV.channels} names unknown channel "${name}" (expected ${CHANNEL_KINDS.join(', ')})`,
      );
    }
    if (!out.includes(name as ChannelKind)) out.push(name as ChannelKind);
  }
  return out;
}

/** The console's origin (`HOOKPILOT_CONSOLE_URL`, read by `consoleOrigin()`), required: messages link to it. */
export function consoleBaseUrl(value = optionalEnv(ENV.consoleUrl)): string {
  const origin = consoleOrigin(value);
  if (!origin) throw new ConfigError(`${ENV.consoleUrl} is not set: the console's base URL, for the links in messages`);
  return origin;
}

/**
 * The channels' settings as the notifier finds them: `HOOKPILOT_NOTIFY_CONFIG` (JSON), else the secret named by
 * `HOOKPILOT_NOTIFY_CONFIG_ARN` (cached, so a changed secret applies within minutes), else nothing configured.
 */
export async function loadNotifyConfig(): Promise<NotifyConfig> {
  const inline = optionalEnv(NOTIFY_ENV.config);
  if (inline) return parseNotifyConfig(inline, NOTIFY_ENV.config);
  const arn = optionalEnv(NOTIFY_ENV.configSecretArn);
  if (!arn) return {};
  const text = await readSecret(arn, NOTIFY_ENV.configSecretArn, 'the notifications configuration');
  return parseNotifyConfig(text, `the secret named by ${NOTIFY_ENV.configSecretArn}`);
}
