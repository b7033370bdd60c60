import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { MODES } from '../lambda/domain/policy-config.ts';
import { CHANNEL_KINDS, type ChannelKind } from '../lambda/notify/config.ts';
import type { LogLevel } from './constructs/functions.ts';
import { DEFAULT_API_THROTTLE } from './constructs/hook-api.ts';
import type { HookpilotStackProps } from './hookpilot-stack.ts';

/** The settings `bin/app.ts` reads from CDK context (`-c key=value` or `cdk.json`), checked with clear messages. */
export type AppOptions = Pick<
  HookpilotStackProps,
  | 'logLevel'
  | 'logRetention'
  | 'apiThrottle'
  | 'eventHookAuthHeader'
  | 'oktaOrgUrl'
  | 'oktaAllowCustomDomain'
  | 'policyFile'
  | 'calibrationFile'
  | 'mode'
  | 'model'
  | 'approvalsIssuer'
  | 'approvalsAudience'
  | 'consoleClientId'
  | 'consoleUrl'
  | 'inlineConfigFile'
  | 'inlineOAuth'
  | 'notifications'
> & {
  /** An SNS topic's ARN (the stack's `alarmTopic` is the topic itself). */
  readonly alarmTopicArn?: string;
};

/** The context keys, for the docs and error messages. */
export const CONTEXT_KEYS = {
  logLevel: 'logLevel',
  logRetentionDays: 'logRetentionDays',
  alarmTopicArn: 'alarmTopicArn',
  apiRateLimit: 'apiRateLimit',
  apiBurstLimit: 'apiBurstLimit',
  eventHookAuthHeader: 'eventHookAuthHeader',
  oktaOrgUrl: 'oktaOrgUrl',
  oktaAllowCustomDomain: 'oktaAllowCustomDomain',
  policyFile: 'policyFile',
  calibrationFile: 'calibrationFile',
  mode: 'mode',
  model: 'model',
  openaiBaseUrl: 'openaiBaseUrl',
  approvalsIssuer: 'approvalsIssuer',
  approvalsAudience: 'approvalsAudience',
  consoleClientId: 'consoleClientId',
  consoleUrl: 'consoleUrl',
  inlineConfigFile: 'inlineConfigFile',
  inlineOAuthIssuer: 'inlineOAuthIssuer',
  inlineOAuthAudience: 'inlineOAuthAudience',
  inlineOAuthClientIds: 'inlineOAuthClientIds',
  inlineOAuthScopes: 'inlineOAuthScopes',
  /** Comma-separated channels to turn on: `teams`, `webhook`, `slack` (docs/notifications.md). */
  notifications: 'notifications',
} as const;

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
const RETENTION_DAYS = new Set<number>(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

function modeOf(value: string | undefined): AppOptions['mode'] {
  if (value === undefined) return undefined;
  if (!(MODES as readonly string[]).includes(value)) {
    throw new Error(`context ${CONTEXT_KEYS.mode} must be one of ${MODES.join(', ')} (got "${value}")`);
  }
  return value as AppOptions['mode'];
}

export function appOptions(context: (key: string) => unknown): AppOptions {
  const text = (key: string): string | undefined => {
    const value = context(key);
    if (value === undefined || value === null || value === '') return undefined;
    return String(value).trim();
  };
  const positiveInt = (key: string): number | undefined => {
    const raw = text(key);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`context ${key} must be a whole number above 0 (got "${raw}")`);
    return value;
  };

  const logLevelRaw = text(CONTEXT_KEYS.logLevel)?.toUpperCase();
  if (logLevelRaw !== undefined && !LOG_LEVELS.includes(logLevelRaw as LogLevel)) {
    throw new Error(`context ${CONTEXT_KEYS.logLevel} must be one of ${LOG_LEVELS.join(', ')} (got "${logLevelRaw}")`);
  }
  const retentionDays = positiveInt(CONTEXT_KEYS.logRetentionDays);
  if (retentionDays !== undefined && !RETENTION_DAYS.has(retentionDays)) {
    throw new Error(
      `context ${CONTEXT_KEYS.logRetentionDays} must be one of CloudWatch's retention periods: ${[...RETENTION_DAYS].sort((a, b) => a - b).join(', ')} (got ${retentionDays})`,
    );
  }
  const alarmTopicArn = text(CONTEXT_KEYS.alarmTopicArn);
  if (alarmTopicArn !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(alarmTopicArn)) {
    throw new Error(`context ${CONTEXT_KEYS.alarmTopicArn} must be an SNS topic ARN (got "${alarmTopicArn}")`);
  }
  const inlineIssuer = text(CONTEXT_KEYS.inlineOAuthIssuer);
  const inlineAudience = text(CONTEXT_KEYS.inlineOAuthAudience);
  if ((inlineIssuer === undefined) !== (inlineAudience === undefined)) {
    throw new Error(
      `context ${CONTEXT_KEYS.inlineOAuthIssuer} and ${CONTEXT_KEYS.inlineOAuthAudience} go together: set both for OAuth-secured inline hooks, or neither`,
    );
  }
  if (inlineIssuer !== undefined && !/^https:\/\/[^\s?#]+$/.test(inlineIssuer)) {
    throw new Error(`context ${CONTEXT_KEYS.inlineOAuthIssuer} must be an https:// issuer URL (got "${inlineIssuer}")`);
  }
  const commaList = (key: string) =>
    (text(key) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const notifyChannels = commaList(CONTEXT_KEYS.notifications);
  const unknownChannel = notifyChannels.find((c) => !(CHANNEL_KINDS as readonly string[]).includes(c));
  if (unknownChannel !== undefined) {
    throw new Error(
      `context ${CONTEXT_KEYS.notifications} must list channels among ${CHANNEL_KINDS.join(', ')} (got "${unknownChannel}")`,
    );
  }
  const rateLimit = positiveInt(CONTEXT_KEYS.apiRateLimit);
  const burstLimit = positiveInt(CONTEXT_KEYS.apiBurstLimit);

  return {
    logLevel: logLevelRaw as LogLevel | undefined,
    logRetention: retentionDays as RetentionDays | undefined,
    alarmTopicArn,
    eventHookAuthHeader: text(CONTEXT_KEYS.eventHookAuthHeader),
    oktaOrgUrl: text(CONTEXT_KEYS.oktaOrgUrl),
    oktaAllowCustomDomain: text(CONTEXT_KEYS.oktaAllowCustomDomain) === 'true',
    policyFile: text(CONTEXT_KEYS.policyFile),
    calibrationFile: text(CONTEXT_KEYS.calibrationFile),
    inlineConfigFile: text(CONTEXT_KEYS.inlineConfigFile),
    inlineOAuth:
      inlineIssuer !== undefined && inlineAudience !== undefined
        ? {
            issuer: inlineIssuer.replace(/\/+$/, ''),
            audience: inlineAudience,
            clientIds: commaList(CONTEXT_KEYS.inlineOAuthClientIds),
            requiredScopes: commaList(CONTEXT_KEYS.inlineOAuthScopes),
          }
        : undefined,
    mode: modeOf(text(CONTEXT_KEYS.mode)),
    approvalsIssuer: text(CONTEXT_KEYS.approvalsIssuer),
    approvalsAudience: text(CONTEXT_KEYS.approvalsAudience),
    consoleClientId: text(CONTEXT_KEYS.consoleClientId),
    consoleUrl: text(CONTEXT_KEYS.consoleUrl),
    model: text(CONTEXT_KEYS.model)
      ? {
          name: text(CONTEXT_KEYS.model) as string,
          ...(text(CONTEXT_KEYS.openaiBaseUrl) ? { baseUrl: text(CONTEXT_KEYS.openaiBaseUrl) } : {}),
        }
      : undefined,
    notifications: notifyChannels.length > 0 ? { channels: [...new Set(notifyChannels)] as ChannelKind[] } : undefined,
    apiThrottle:
      rateLimit === undefined && burstLimit === undefined
        ? undefined
        : {
            rateLimit: rateLimit ?? DEFAULT_API_THROTTLE.rateLimit,
            burstLimit: burstLimit ?? DEFAULT_API_THROTTLE.burstLimit,
          },
  };
}
