import { ConfigError } from '../errors.ts';
import type { ChannelStateStore, NotificationChannel, OktaDirectory } from '../ports.ts';
import type { ChannelKind, NotifyConfig } from './config.ts';
import { createSlackChannel } from './slack/channel.ts';
import { parseSlackConfig } from './slack/config.ts';
import { TeamsChannel } from './teams.ts';
import { WebhookChannel } from './webhook.ts';

export interface ChannelDeps {
  /** Per-request state for channels that edit their earlier messages (Slack). */
  readonly state: ChannelStateStore;
  readonly clock?: () => Date;
  /** Reads the Okta profile attribute that holds a person's Slack user id (Slack DMs the subject's manager). */
  readonly directory?: Pick<OktaDirectory, 'getUser'>;
}

/**
 * The channels to deliver to: each enabled kind built from its settings. A kind that is on but has no settings is a
 * `ConfigError` (the messages wait on the queue, then in its DLQ, until the settings are there: nothing is lost).
 */
export function createChannels(
  kinds: readonly ChannelKind[],
  config: NotifyConfig,
  deps: ChannelDeps,
): NotificationChannel[] {
  const channels: NotificationChannel[] = [];
  for (const kind of kinds) {
    switch (kind) {
      case 'teams':
        if (!config.teams) throw new ConfigError('notifications: the teams channel is on but has no settings (teams)');
        channels.push(new TeamsChannel(config.teams));
        break;
      case 'webhook':
        if (!config.webhooks?.length) {
          throw new ConfigError('notifications: the webhook channel is on but has no settings (webhooks)');
        }
        for (const webhook of config.webhooks) channels.push(new WebhookChannel(webhook, deps.clock));
        break;
      case 'slack':
        if (!config.slack) throw new ConfigError('notifications: the slack channel is on but has no settings (slack)');
        channels.push(createSlackChannel(parseSlackConfig(config.slack), deps));
        break;
    }
  }
  return channels;
}
