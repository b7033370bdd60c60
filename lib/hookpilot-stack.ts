import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../lambda/config.ts';
import { parseCalibration } from '../lambda/domain/calibration.ts';
import { parseInlineConfig } from '../lambda/domain/inline-config.ts';
import { parsePolicy } from '../lambda/domain/policy-config.ts';
import { CHANNEL_KINDS, type ChannelKind } from '../lambda/notify/config.ts';
import { validateOrgUrl } from '../lambda/okta/okta-config.ts';
import { ROOT } from './bundling.ts';
import { Alarms } from './constructs/alarms.ts';
import { DataStores } from './constructs/data-stores.ts';
import { EventPipeline } from './constructs/event-pipeline.ts';
import { Functions, type LogLevel } from './constructs/functions.ts';
import { HookApi } from './constructs/hook-api.ts';
import { constructId, entriesOf } from './constructs/names.ts';
import { Schedules } from './constructs/schedules.ts';
import { EVENT_HOOK_PATH, type FunctionId, type QueueId, type SecretId, type TableId } from './manifest.ts';

export interface HookpilotStackProps extends StackProps {
  /**
   * How long function and API access logs are kept.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * `POWERTOOLS_LOG_LEVEL` of every function.
   *
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Where alarms are sent (e.g. a topic with an e-mail or chat subscription).
   *
   * @default - no action: the alarms are visible in the CloudWatch console only
   */
  readonly alarmTopic?: ITopic;
  /**
   * Throttling of the hook API's default stage.
   *
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly apiThrottle?: ThrottleSettings;
  /**
   * The header that carries the event hook secret (Okta's "Authentication field"), if not `Authorization`.
   *
   * @default - `authorization` (the receiver's own default)
   */
  readonly eventHookAuthHeader?: string;
  /**
   * Your Okta org URL (https://<org>.okta.com), for the functions that call the Okta Management API. Checked at synth
   * time the way the functions check it (https, an Okta domain unless `oktaAllowCustomDomain`).
   *
   * @default - not set: the stack deploys, and the functions that call Okta stop at start-up asking for it
   */
  readonly oktaOrgUrl?: string;
  /**
   * Accept an `oktaOrgUrl` that is not an Okta domain (your org's custom URL domain).
   *
   * @default false
   */
  readonly oktaAllowCustomDomain?: boolean;
  /**
   * The policy file (JSON, see docs/policy.md), read and validated at synth time and built into the functions that use
   * it. A policy change is a deploy: reviewed like code.
   *
   * @default 'policy/hookpilot.policy.json' in the repository
   */
  readonly policyFile?: string;
  /**
   * A calibration (JSON, written by `hookpilot calibrate`, see docs/evaluation.md), read and validated at synth time and
   * built into the functions that use the policy: it maps a recommender's stated confidence to observed precision before
   * the policy compares it with its thresholds, for the model and prompt version it was fitted for.
   *
   * @default - 'policy/calibration.json' when that file exists; otherwise none (confidences are used as stated)
   */
  readonly calibrationFile?: string;
  /**
   * The rollout mode: `observe` (record what would be done), `assisted` (everything needs approval), `autonomous`
   * (low-risk, confident actions run on their own).
   *
   * @default - the policy file's `mode`
   */
  readonly mode?: 'observe' | 'assisted' | 'autonomous';
  /**
   * An OpenAI-compatible model for recommendations: its name and, for anything but OpenAI itself, the endpoint. Its API
   * key goes into the `OpenaiApiKey` secret after deploying.
   *
   * @default - none: the deterministic rules recommender answers
   */
  readonly model?: { readonly name: string; readonly baseUrl?: string };
  /**
   * The issuer of the Okta custom authorization server whose access tokens approvers present to the approvals API
   * (exactly the token's `iss`, e.g. `https://acme.okta.com/oauth2/aus1abc…`). The HTTP API's JWT authorizer and the
   * function both check it.
   *
   * @default - `${oktaOrgUrl}/oauth2/default` (Okta's default custom authorization server) when `oktaOrgUrl` is set;
   *   otherwise none, and the approvals API refuses every call (a synth warning says so)
   */
  readonly approvalsIssuer?: string;
  /**
   * The audience (`aud`) of those access tokens, as configured on the authorization server.
   *
   * @default 'api://default' (the audience of Okta's default custom authorization server)
   */
  readonly approvalsAudience?: string;
  /**
   * The approvals console's OIDC app in Okta (its client id): an "OIDC - Web Application" or "Single-Page Application"
   * with PKCE and no client secret, redirect URI `<ApiUrl>console/callback` (docs/console.md).
   *
   * @default - none: the console answers "misconfigured" (a synth warning says so)
   */
  readonly consoleClientId?: string;
  /**
   * The console's public URL when it is served under another domain than the API's (e.g. a custom domain); the redirect
   * URI is `<consoleUrl origin>/console/callback`.
   *
   * @default - the URL each request arrived at (the API's own https URL)
   */
  readonly consoleUrl?: string;
  /**
   * The inline hooks' rules (JSON, see docs/inline-hooks.md), read and validated at synth time and built into the inline
   * functions that use them.
   *
   * @default 'policy/inline-hooks.json' in the repository
   */
  readonly inlineConfigFile?: string;
  /**
   * Accept Okta's OAuth 2.0 access tokens on the inline hooks (hooks registered with `authType` `client_secret_post` or
   * `private_key_jwt`), besides the header secret.
   *
   * @default - none: only the header secret (the `InlineHookSecret`) is accepted
   */
  readonly inlineOAuth?: InlineOAuthSettings;
  /**
   * Notifications about approval requests (docs/notifications.md): the channels to turn on. Their settings (Teams
   * Workflows URLs, webhook signing secrets, the Slack token) go into the `NotificationsConfig` secret after deploying.
   * Messages link to the console at `<ApiUrl>/console/approvals/<id>`.
   *
   * @default - off: no notifications are sent (the notifications queue and the notifier stay idle)
   */
  readonly notifications?: { readonly channels: readonly ChannelKind[] };
}

/** The authorization server whose access tokens Okta sends to OAuth-secured inline hooks. */
export interface InlineOAuthSettings {
  /** e.g. `https://acme.okta.com/oauth2/aus…` (not the server whose policy calls the token hook: that would loop). */
  readonly issuer: string;
  /** The `aud` its tokens carry, e.g. `api://hookpilot-inline`. */
  readonly audience: string;
  /** The OAuth client(s) Okta uses for the hooks (`cid`). */
  readonly clientIds?: readonly string[];
  /** Scopes every token must carry, e.g. `hookpilot.inline`. */
  readonly requiredScopes?: readonly string[];
}

/** The `notifications` setting, checked: known channels, each once, at least one. */
export function notificationSettings(
  value: HookpilotStackProps['notifications'],
): { readonly channels: readonly ChannelKind[] } | undefined {
  if (!value) return undefined;
  const channels = [...new Set(value.channels)];
  for (const c of channels) {
    if (!(CHANNEL_KINDS as readonly string[]).includes(c)) {
      throw new Error(`notifications: unknown channel "${c}" (expected ${CHANNEL_KINDS.join(', ')})`);
    }
  }
  if (channels.length === 0) throw new Error('notifications: name at least one channel, or leave it unset (off)');
  return { channels };
}

/** The policy file the stack builds in when none is given. */
export const DEFAULT_POLICY_FILE = 'policy/hookpilot.policy.json';

/** The calibration the stack builds in when none is given and this file exists. */
export const DEFAULT_CALIBRATION_FILE = 'policy/calibration.json';

/** Reads and validates a calibration file at synth time; a bad one stops the synth with the reason. */
export function readCalibrationFile(path: string | undefined): string | undefined {
  const file = path ?? (existsSync(resolve(ROOT, DEFAULT_CALIBRATION_FILE)) ? DEFAULT_CALIBRATION_FILE : undefined);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(resolve(ROOT, file), 'utf8');
  } catch {
    throw new Error(`calibrationFile ${file} cannot be read`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`calibrationFile ${file} is not JSON: ${(error as Error).message}`);
  }
  parseCalibration(json, file); // throws, naming each wrong field
  return JSON.stringify(json);
}

/** The inline hooks' rules the stack builds in when none is given. */
export const DEFAULT_INLINE_CONFIG_FILE = 'policy/inline-hooks.json';

/** Reads and validates the inline hooks' configuration at synth time; a bad one stops the synth with the reason. */
export function readInlineConfigFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(resolve(ROOT, path), 'utf8');
  } catch {
    throw new Error(`inlineConfigFile ${path} cannot be read`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`inlineConfigFile ${path} is not JSON: ${(error as Error).message}`);
  }
  parseInlineConfig(json, path); // throws, naming each wrong field
  return JSON.stringify(json);
}

/** Reads and validates a policy file at synth time; a bad one stops the synth with the reason. */
export function readPolicyFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(resolve(ROOT, path), 'utf8');
  } catch {
    throw new Error(`policyFile ${path} cannot be read`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`policyFile ${path} is not JSON: ${(error as Error).message}`);
  }
  parsePolicy(json, path); // throws, naming each wrong field
  return JSON.stringify(json);
}

/** An HTTP header name (RFC 9110 token characters), lower-cased as the receiver compares it. */
function validHeaderName(name: string): string {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
    throw new Error(`eventHookAuthHeader "${name}" is not an HTTP header name`);
  return name.toLowerCase();
}

/**
 * The approvers' authorization server: `approvalsIssuer` (an https URL) or the org's default one, and the audience.
 * Undefined when neither an issuer nor the org URL is known.
 */
export function approverTokenSettings(
  props: Pick<HookpilotStackProps, 'approvalsIssuer' | 'approvalsAudience'>,
  oktaOrgUrl: string | undefined,
): { issuer: string; audience: string } | undefined {
  const issuer = props.approvalsIssuer ?? (oktaOrgUrl ? `${oktaOrgUrl.replace(/\/+$/, '')}/oauth2/default` : undefined);
  if (!issuer) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`approvalsIssuer must be a URL, e.g. https://acme.okta.com/oauth2/default (got "${issuer}")`);
  }
  if (url.protocol !== 'https:' || url.search || url.hash) {
    throw new Error(`approvalsIssuer must be an https URL without a query (got "${issuer}")`);
  }
  const audience = props.approvalsAudience ?? 'api://default';
  if (audience.trim() === '') throw new Error('approvalsAudience must not be empty');
  return { issuer: issuer.replace(/\/+$/, ''), audience };
}

/**
 * hookpilot on AWS, built from `lib/manifest.ts`: tables and secrets, queues, functions with their grants, the hook API
 * and alarms. Environment-agnostic, so it synthesizes without credentials.
 */
export class HookpilotStack extends Stack {
  readonly tables: Readonly<Record<TableId, ITable>>;
  readonly secrets: Readonly<Record<SecretId, ISecret>>;
  readonly queues: Readonly<Record<QueueId, IQueue>>;
  readonly deadLetterQueues: Readonly<Record<QueueId, IQueue>>;
  readonly functions: Readonly<Record<FunctionId, IFunction>>;
  readonly logGroups: Readonly<Record<FunctionId, ILogGroup>>;
  readonly hookApi: HookApi;
  readonly alarms: Alarms;
  readonly schedules: Schedules;

  constructor(scope: Construct, id: string, props: HookpilotStackProps = {}) {
    super(scope, id, {
      description: 'hookpilot: Okta event and inline hooks, AI-recommended actions decided by a deterministic policy',
      ...props,
    });

    const data = new DataStores(this, 'DataStores');
    const pipeline = new EventPipeline(this, 'EventPipeline');
    const oktaOrgUrl =
      props.oktaOrgUrl === undefined
        ? undefined
        : validateOrgUrl(props.oktaOrgUrl, { allowCustomDomain: props.oktaAllowCustomDomain });
    if (!oktaOrgUrl) {
      Annotations.of(this).addWarningV2(
        'hookpilot:oktaOrgUrl',
        'oktaOrgUrl is not set: the executor cannot reach Okta. Deploy with -c oktaOrgUrl=https://<your-org>.okta.com',
      );
    }
    if (props.model?.baseUrl && !/^https:\/\//.test(props.model.baseUrl)) {
      throw new Error(`model base URL must use https (got "${props.model.baseUrl}")`);
    }
    const approverJwt = approverTokenSettings(props, oktaOrgUrl);
    if (!approverJwt) {
      Annotations.of(this).addWarningV2(
        'hookpilot:approvalsIssuer',
        'No Okta authorization server for approvers: the approvals API refuses every call. Deploy with -c oktaOrgUrl=… (uses its default authorization server) or -c approvalsIssuer=https://<your-org>.okta.com/oauth2/<id>',
      );
    }
    if (!props.consoleClientId) {
      Annotations.of(this).addWarningV2(
        'hookpilot:consoleClientId',
        'consoleClientId is not set: the approvals console cannot sign anyone in. Create its OIDC app in Okta (docs/console.md) and deploy with -c consoleClientId=0oa…',
      );
    }
    if (props.consoleUrl !== undefined && !/^https:\/\/[^/?#]+\/?$/.test(props.consoleUrl)) {
      throw new Error(
        `consoleUrl must be an https origin, e.g. https://approvals.acme.example (got "${props.consoleUrl}")`,
      );
    }
    const notifications = notificationSettings(props.notifications);
    const functions = new Functions(this, 'Functions', {
      notifications,
      oktaOrgUrl,
      console: {
        ...(props.consoleClientId ? { clientId: props.consoleClientId } : {}),
        ...(props.consoleUrl ? { url: props.consoleUrl } : {}),
      },
      approverTokens: approverJwt,
      policyJson: readPolicyFile(props.policyFile ?? DEFAULT_POLICY_FILE),
      calibrationJson: readCalibrationFile(props.calibrationFile),
      inlineConfigJson: readInlineConfigFile(props.inlineConfigFile ?? DEFAULT_INLINE_CONFIG_FILE),
      inlineOAuth: props.inlineOAuth,
      mode: props.mode,
      model: props.model,
      tables: data.tables,
      queues: pipeline.queues,
      secrets: data.secrets,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      environment: props.eventHookAuthHeader
        ? { eventHook: { [ENV.eventHookAuthHeader]: validHeaderName(props.eventHookAuthHeader) } }
        : undefined,
    });
    pipeline.connectConsumers(functions.functions);
    this.schedules = new Schedules(this, 'Schedules', { functions: functions.functions });
    this.hookApi = new HookApi(this, 'HookApi', {
      functions: functions.functions,
      approverJwt,
      throttle: props.apiThrottle,
      logRetention: props.logRetention,
    });
    // Messages (and Slack's ephemeral answers) link to the console's request pages: its custom domain when it has one,
    // else the HTTP API that serves it.
    for (const id of ['notifier', 'slackInteractivity'] as const) {
      (functions.functions[id] as NodejsFunction).addEnvironment(ENV.consoleUrl, props.consoleUrl ?? this.hookApi.url);
    }
    this.alarms = new Alarms(this, 'Alarms', {
      deadLetterQueues: pipeline.deadLetterQueues,
      receiver: functions.functions.eventHook,
      sweeper: functions.functions.sweeper,
      stage: this.hookApi.stage,
      guardLogGroup: functions.logGroups.eventsConsumer,
      alarmTopic: props.alarmTopic,
    });

    this.tables = data.tables;
    this.secrets = data.secrets;
    this.queues = pipeline.queues;
    this.deadLetterQueues = pipeline.deadLetterQueues;
    this.functions = functions.functions;
    this.logGroups = functions.logGroups;
    this.outputs();
  }

  /** Outputs at stack level, so their keys are exactly these names. */
  private outputs(): void {
    new CfnOutput(this, 'ApiUrl', { value: this.hookApi.url, description: 'Base URL of the hook API' });
    new CfnOutput(this, 'ConsoleUrl', {
      value: `${this.hookApi.url}console/approvals`,
      description: 'The approvals console (its OIDC redirect URI in Okta: <ApiUrl>console/callback)',
    });
    new CfnOutput(this, 'EventHookUrl', {
      value: `${this.hookApi.url}${EVENT_HOOK_PATH.slice(1)}`,
      description: 'The URL to register as the Okta event hook (GET for verification, POST for deliveries)',
    });
    new CfnOutput(this, 'InlineHookBaseUrl', {
      value: `${this.hookApi.url}okta/inline/`,
      description:
        'Base of the inline hook URLs: add telephony, password-import, registration, token, saml or user-import (docs/inline-hooks.md)',
    });
    const secretHelp: Record<SecretId, string> = {
      inlineHookSecret:
        'ARN of the inline hooks secret (its value is the authentication secret to give every Okta inline hook). Read it with: aws secretsmanager get-secret-value --secret-id <this ARN> --query SecretString --output text',
      eventHookSecret:
        'ARN of the event hook secret (its value is the Okta event hook authentication secret). Read it with: aws secretsmanager get-secret-value --secret-id <this ARN> --query SecretString --output text',
      openaiApiKey:
        'ARN of the model API key secret (created with a placeholder; used only when deployed with -c model=…). Set it with: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string <key>',
      oktaCredentials:
        'ARN of the Okta credentials secret (created with a placeholder). Put your service app or API token in it: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string \'{"clientId":"0oa…","privateKey":"…","keyId":"…"}\' (see docs/actions.md)',
      notificationsConfig:
        "ARN of the notification channels' settings secret (created empty; used when deployed with -c notifications=teams,webhook,…). Put the channels in it: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string file://notifications.json (see docs/notifications.md)",
      telephonyConfig:
        'ARN of the telephony hook configuration secret (created with no providers: Okta sends OTPs itself). Put your providers and routes in it: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string file://telephony.json (see docs/inline-telephony.md)',
    };
    for (const [secretId, secret] of entriesOf(this.secrets)) {
      const name = `${constructId(secretId)}${secretId.endsWith('Secret') ? '' : 'Secret'}Arn`; // …SecretArn
      new CfnOutput(this, name, { value: secret.secretArn, description: secretHelp[secretId] });
    }
    for (const [tableId, table] of entriesOf(this.tables)) {
      new CfnOutput(this, `${constructId(tableId)}Name`, { value: table.tableName, description: `${tableId} name` });
    }
    new CfnOutput(this, 'ApprovalQueueArn', {
      value: this.queues.approvalQueue.queueArn,
      description:
        'ARN of the approval queue: point your own consumer at it (CloudEvents 1.0, see docs/approval-queue.md); grant it sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility, sqs:GetQueueAttributes',
    });
    for (const [queueId, queue] of entriesOf(this.queues)) {
      new CfnOutput(this, `${constructId(queueId)}Url`, { value: queue.queueUrl, description: `${queueId} URL` });
      new CfnOutput(this, `${constructId(queueId)}DlqUrl`, {
        value: this.deadLetterQueues[queueId].queueUrl,
        description: `${queueId} dead-letter queue URL`,
      });
    }
  }
}
