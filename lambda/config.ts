import { ConfigError } from './errors.ts';

/** What the stack puts in a secret the operator must fill in (Okta credentials, the model key) until they do. */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

/**
 * Settings come from environment variables, read through these getters so that a missing or malformed value fails at
 * start-up with a message naming the variable (in the spirit of Powertools' `getStringFromEnv`).
 */
export function requiredEnv(name: string, hint?: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    throw new ConfigError(`${name} is not set${hint ? `: ${hint}` : ''}`);
  }
  return value;
}

export function optionalEnv(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

export function intEnv(name: string, fallback: number, range: { min: number; max: number }): number {
  const raw = optionalEnv(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(`${name} must be a whole number from ${range.min} to ${range.max} (got "${raw}")`);
  }
  return value;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL's hostname is the loopback interface (the local stack's stand-ins and simulator). */
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname);

/**
 * The one rule for every URL hookpilot is configured with: https, or http only on a loopback host. Returns the parsed
 * URL, or why not (`not-a-url`, `insecure`) so each caller keeps its own message naming its setting.
 */
export function checkSecureUrl(raw: string): { readonly url: URL } | { readonly problem: 'not-a-url' | 'insecure' } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'not-a-url' };
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return { url };
  return { problem: 'insecure' };
}

/**
 * `HOOKPILOT_CONSOLE_URL`'s origin, e.g. `https://approvals.acme.example` (https, or http on a loopback host), or
 * undefined when unset. The console's sign-in redirect and every link to a request's page
 * (`<origin>/console/approvals/<id>`) are built on it.
 */
export function consoleOrigin(value = optionalEnv(ENV.consoleUrl)): string | undefined {
  if (!value) return undefined;
  const checked = checkSecureUrl(value);
  if ('problem' in checked) {
    throw new ConfigError(
      checked.problem === 'not-a-url'
        ? `${ENV.consoleUrl} must be a URL, e.g. https://approvals.acme.example (got "${value}")`
        : `${ENV.consoleUrl} must be an https:// URL (http:// only on 127.0.0.1 or localhost)`,
    );
  }
  return checked.url.origin;
}

/**
 * The HTTP settings of every AWS SDK client the functions use (DynamoDB, SQS, Secrets Manager): each call is bounded by
 * HOOKPILOT_AWS_REQUEST_TIMEOUT_MS, so a hung dependency becomes a retryable 503 inside Okta's 3 s, not a silent Okta
 * timeout. Without `throwOnRequestTimeout` the SDK's HTTP handler only logs a warning at `requestTimeout` and keeps waiting.
 */
export function awsRequestHandler() {
  const requestTimeout = intEnv(ENV.awsRequestTimeoutMs, 2000, { min: 100, max: 60_000 });
  return { requestTimeout, connectionTimeout: Math.min(1000, requestTimeout), throwOnRequestTimeout: true };
}

/**
 * The names of the environment variables the handlers and the pipeline read (the CDK stack and the local stack set them).
 * Okta's, the model's and the policy's live with their readers: `OKTA_ENV`, `LLM_ENV`, `POLICY_ENV`.
 */
export const ENV = {
  auditTable: 'HOOKPILOT_AUDIT_TABLE',
  idempotencyTable: 'HOOKPILOT_IDEMPOTENCY_TABLE',
  eventsQueueUrl: 'HOOKPILOT_EVENTS_QUEUE_URL',
  actionsTable: 'HOOKPILOT_ACTIONS_TABLE',
  actionsQueueUrl: 'HOOKPILOT_ACTIONS_QUEUE_URL',
  approvalsTable: 'HOOKPILOT_APPROVALS_TABLE',
  approvalQueueUrl: 'HOOKPILOT_APPROVAL_QUEUE_URL',
  /** Set on the approval event publishers only when notifications are on: each event is copied there for the notifier. */
  notificationsQueueUrl: 'HOOKPILOT_NOTIFICATIONS_QUEUE_URL',
  grantsTable: 'HOOKPILOT_GRANTS_TABLE',
  /** This deployment's name (the stack name in AWS, `local` locally): the approval events' CloudEvent `source`. */
  instance: 'HOOKPILOT_INSTANCE',
  rateLimitsTable: 'HOOKPILOT_RATE_LIMITS_TABLE',
  legacyHashesTable: 'HOOKPILOT_LEGACY_HASHES_TABLE',
  consoleSessionsTable: 'HOOKPILOT_CONSOLE_SESSIONS_TABLE',
  /** The event hook secret itself (local use), or a JSON array of accepted secrets for rotation. */
  eventHookSecret: 'HOOKPILOT_EVENT_HOOK_SECRET',
  /** The ARN of a Secrets Manager secret holding the same (deployed use). */
  eventHookSecretArn: 'HOOKPILOT_EVENT_HOOK_SECRET_ARN',
  eventHookAuthHeader: 'HOOKPILOT_EVENT_HOOK_AUTH_HEADER',
  maxBodyBytes: 'HOOKPILOT_MAX_BODY_BYTES',
  awsRequestTimeoutMs: 'HOOKPILOT_AWS_REQUEST_TIMEOUT_MS',
  /**
   * Optional for the console, required by the notifier and Slack interactivity: the console's public URL (only its
   * origin counts), e.g. `https://approvals.acme.example` — read by `consoleOrigin()`. Unset, the console takes the
   * request's host (https; http only on 127.0.0.1 / localhost).
   */
  consoleUrl: 'HOOKPILOT_CONSOLE_URL',
} as const;

/** Settings of the event hook receiver. */
export function eventHookConfig() {
  return {
    auditTable: requiredEnv(ENV.auditTable, 'the name of the audit DynamoDB table'),
    eventsQueueUrl: requiredEnv(ENV.eventsQueueUrl, 'the URL of the events SQS queue'),
    idempotencyTable: requiredEnv(ENV.idempotencyTable, 'the name of the idempotency DynamoDB table (event claims)'),
    authHeader: (optionalEnv(ENV.eventHookAuthHeader) ?? 'authorization').toLowerCase(),
    maxBodyBytes: intEnv(ENV.maxBodyBytes, 1024 * 1024, { min: 1024, max: 6 * 1024 * 1024 }),
  };
}

/** Settings of the events consumer (Okta, policy and model settings are read by their own modules). */
export function eventsConsumerConfig() {
  return {
    auditTable: requiredEnv(ENV.auditTable, 'the name of the audit DynamoDB table'),
    idempotencyTable: requiredEnv(ENV.idempotencyTable, 'the name of the idempotency DynamoDB table'),
    actionsTable: requiredEnv(ENV.actionsTable, 'the name of the actions (ledger) DynamoDB table'),
    actionsQueueUrl: requiredEnv(ENV.actionsQueueUrl, 'the URL of the actions SQS queue'),
    eventsQueueUrl: requiredEnv(ENV.eventsQueueUrl, 'the URL of the events SQS queue'),
    /** Optional: without it, `user.import.password` events are only recorded. */
    legacyHashesTable: optionalEnv(ENV.legacyHashesTable),
    ...approvalsConfig(),
  };
}

/** Where approval requests live and are published (the events consumer, the executor and the sweeper use them). */
export function approvalsConfig() {
  return {
    approvalsTable: requiredEnv(ENV.approvalsTable, 'the name of the approvals DynamoDB table'),
    approvalQueueUrl: requiredEnv(ENV.approvalQueueUrl, 'the URL of the approval SQS queue'),
    /** Notifications on: the same events go to the notifier's own queue too (docs/notifications.md). */
    notificationsQueueUrl: optionalEnv(ENV.notificationsQueueUrl),
    /** The CloudEvent `source` names the deployment; `local` when unset. */
    instance: optionalEnv(ENV.instance) ?? 'local',
  };
}

const grantsTable = () => requiredEnv(ENV.grantsTable, 'the name of the grants DynamoDB table');

/** Settings of the sweeper. */
export function sweeperConfig() {
  return {
    auditTable: requiredEnv(ENV.auditTable, 'the name of the audit DynamoDB table'),
    grantsTable: grantsTable(),
    actionsQueueUrl: requiredEnv(ENV.actionsQueueUrl, 'the URL of the actions SQS queue'),
    ...approvalsConfig(),
  };
}

/** Settings of the executor (Okta settings are read by `oktaSettings()`). */
export function executorConfig() {
  return {
    grantsTable: grantsTable(),
    auditTable: requiredEnv(ENV.auditTable, 'the name of the audit DynamoDB table'),
    actionsTable: requiredEnv(ENV.actionsTable, 'the name of the actions (ledger) DynamoDB table'),
    actionsQueueUrl: requiredEnv(ENV.actionsQueueUrl, 'the URL of the actions SQS queue'),
    ...approvalsConfig(),
  };
}

/** Settings of the approvals console (its sign-in settings are read by `okta/oidc-client.ts`). */
export function consoleConfig() {
  return {
    auditTable: requiredEnv(ENV.auditTable, 'the name of the audit DynamoDB table'),
    actionsQueueUrl: requiredEnv(ENV.actionsQueueUrl, 'the URL of the actions SQS queue'),
    sessionsTable: requiredEnv(ENV.consoleSessionsTable, 'the name of the console sessions DynamoDB table'),
    ...approvalsConfig(),
  };
}

/** Settings of the approvals API (the approvers' token settings are read by `approverTokenSettings()`). */
export function approvalsApiConfig() {
  return {
    grantsTable: grantsTable(),
    auditTable: requiredEnv(ENV.auditTable, 'the name of the audit DynamoDB table'),
    actionsQueueUrl: requiredEnv(ENV.actionsQueueUrl, 'the URL of the actions SQS queue'),
    ...approvalsConfig(),
  };
}

/** Settings of the notifier (its channels are read by `notify/config.ts`). */
export function notifierConfig() {
  return {
    approvalsTable: requiredEnv(ENV.approvalsTable, 'the name of the approvals DynamoDB table'),
    idempotencyTable: requiredEnv(
      ENV.idempotencyTable,
      'the name of the idempotency DynamoDB table (delivery records)',
    ),
    /**
     * Its own queue, to delay a failed message's next attempt (always set in AWS). Without it a failed message comes
     * back after the queue's visibility timeout. Locally the variable is withdrawn when notifications are off, and the
     * notifier never runs then.
     */
    notificationsQueueUrl: optionalEnv(ENV.notificationsQueueUrl),
  };
}

/** Settings of the Slack interactivity endpoint (its Slack settings are read by `notify/config.ts`). */
export function slackInteractivityConfig() {
  return {
    auditTable: requiredEnv(ENV.auditTable, 'the name of the audit DynamoDB table'),
    actionsQueueUrl: requiredEnv(ENV.actionsQueueUrl, 'the URL of the actions SQS queue'),
    ...approvalsConfig(),
  };
}
