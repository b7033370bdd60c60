import { z } from 'zod';
import { checkSecureUrl } from '../../config.ts';
import { ConfigError } from '../../errors.ts';

/**
 * The Slack channel's settings: the `slack` object of the notifications configuration (`HOOKPILOT_NOTIFY_CONFIG`
 * locally, the `notificationsConfig` secret deployed — it holds the bot token and the signing secrets).
 * docs/notifications.md shows an example. Errors name the field, never a value.
 */

/** A Slack conversation id: a public or private channel (`C…`, `G…`). */
const channelId = z
  .string()
  .regex(/^[CG][A-Z0-9]{2,20}$/, 'must be a Slack channel id such as C0123ABCDEF (not #name)');

/** Slack's API base: https, or http on the loopback interface (the local stand-in); ends with `/`. */
const apiBase = z
  .string()
  .refine(
    (u) => 'url' in checkSecureUrl(u) && u.endsWith('/'),
    'must be an https URL ending with / (http only on the loopback interface)',
  );

export const SlackConfigSchema = z.strictObject({
  /** The bot token (`xoxb-…`): scopes `chat:write`, `im:write` (and `users:read.email` for email matching). */
  botToken: z.string().regex(/^xoxb-[A-Za-z0-9-]{1,250}$/, 'must be a Slack bot token (xoxb-…)'),
  /** Where requests are posted for approvers (the bot must be a member). */
  approvalsChannel: channelId.optional(),
  /** Where outcomes go when the subject's manager has no known Slack user. */
  outcomeChannel: channelId.optional(),
  /** The Okta profile attribute (admin-set, not user-editable) that holds a person's Slack user id. */
  userAttribute: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be an Okta profile attribute name')
    .default('slackUserId'),
  /** Slack's Web API base URL (default Slack's own); the local stack points it at its stand-in. */
  apiUrl: apiBase.default('https://slack.com/api/'),
  /**
   * Approve / Reject buttons in Slack for non-critical requests. Off unless `enabled`; needs the app's interactivity
   * request URL set to `<api>/slack/interactivity` and its signing secret(s) here.
   */
  interactivity: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Slack's signing secrets: the current one first; two during a rotation. */
      signingSecrets: z
        .array(z.string().regex(/^[0-9a-f]{16,128}$/, 'must be a Slack signing secret (hex)'))
        .min(1)
        .max(3),
      /** Map a Slack user to the Okta user with the same email when the attribute is not set (needs users:read.email). */
      matchEmail: z.boolean().default(false),
    })
    .optional(),
});
export type SlackConfig = z.infer<typeof SlackConfigSchema>;

/** Parses the `slack` settings; a `ConfigError` names each bad field without its value. */
export function parseSlackConfig(raw: unknown, source = 'the notifications configuration'): SlackConfig {
  const parsed = SlackConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `slack.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`${source} is invalid: ${where}`);
  }
  if (!parsed.data.approvalsChannel && !parsed.data.outcomeChannel) {
    throw new ConfigError(`${source} is invalid: slack needs approvalsChannel, outcomeChannel or both`);
  }
  return parsed.data;
}

/** Where `response_url`s may point: Slack's hooks host, or the stand-in's origin when the API base is on loopback. */
export function responseUrlAllowed(url: string, config: Pick<SlackConfig, 'apiUrl'>): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:' && parsed.hostname === 'hooks.slack.com') return true;
  const api = new URL(config.apiUrl);
  return api.protocol === 'http:' && parsed.origin === api.origin;
}
