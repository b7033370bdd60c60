import { ENV, SECRET_PLACEHOLDER } from '../lambda/config.ts';
import { NOTIFY_ENV } from '../lambda/notify/config.ts';
import { INLINE_ENV } from '../lambda/okta/inline-config-env.ts';
import { INLINE_HOOK_TYPES, type InlineHookType, inlineHookPath } from '../lambda/okta/inline-types.ts';
import { OKTA_ENV } from '../lambda/okta/okta-config.ts';
import { LLM_ENV } from '../lambda/recommend/llm-env.ts';
import {
  ACTIONS_TABLE,
  APPROVALS_TABLE,
  AUDIT_TABLE,
  CONSOLE_SESSIONS_TABLE,
  GRANTS_TABLE,
  IDEMPOTENCY_TABLE,
  LEGACY_HASHES_TABLE,
  RATE_LIMITS_TABLE,
  type TableDesign,
} from '../lambda/store/tables.ts';
import { TELEPHONY_ENV } from '../lambda/telephony/config.ts';

/**
 * What hookpilot is made of, as data: functions, the HTTP routes and queues that trigger them, and the resources each
 * one uses with the access it needs. The CDK stack turns `uses` into environment variables and narrow `grant*` calls;
 * the local stack turns it into the same environment variables pointing at the emulators. Adding a function or a
 * resource starts here.
 */

export type TableId =
  | 'auditTable'
  | 'idempotencyTable'
  | 'actionsTable'
  | 'approvalsTable'
  | 'grantsTable'
  | 'rateLimitsTable'
  | 'legacyHashesTable'
  | 'consoleSessionsTable';
export type QueueId = 'eventsQueue' | 'actionsQueue' | 'approvalQueue' | 'notificationsQueue';
export type SecretId =
  | 'eventHookSecret'
  | 'inlineHookSecret'
  | 'oktaCredentials'
  | 'openaiApiKey'
  | 'telephonyConfig'
  | 'notificationsConfig';

/**
 * `read`: GetItem, BatchGetItem and Query (the table and its named indexes); no scan, no write.
 * `append`: PutItem (conditional, never overwrite) + reads. No function may update or delete audit records.
 * `update`: reads, (conditional, transactional) puts and updates — never a delete.
 */
export type TableAccess = 'read' | 'append' | 'update' | 'readWrite';
/**
 * `send`: SendMessage. `consume`: the queue's consumer also learns its URL (to delay a retry with
 * ChangeMessageVisibility); receiving and deleting come with the event source.
 */
export type QueueAccess = 'send' | 'consume';
export type SecretAccess = 'read';
/**
 * `read`: the function reads users, groups, apps, roles and the System Log; `manage`: it also changes them. Either way
 * it gets the org URL and read access to the Okta credentials secret; the difference is documented for the scopes and
 * admin role the Okta service app needs.
 */
export type OktaAccess = 'read' | 'manage';

export interface Uses {
  readonly auditTable?: TableAccess;
  readonly idempotencyTable?: TableAccess;
  readonly actionsTable?: TableAccess;
  readonly approvalsTable?: TableAccess;
  /** Time-bound grants (recorded by the executor, revoked by the sweeper, listed and ended by approvers). */
  readonly grantsTable?: TableAccess;
  readonly rateLimitsTable?: TableAccess;
  readonly legacyHashesTable?: TableAccess;
  /** The approvals console's server-side sessions and pending sign-ins. */
  readonly consoleSessionsTable?: TableAccess;
  readonly eventsQueue?: QueueAccess;
  readonly actionsQueue?: QueueAccess;
  readonly approvalQueue?: QueueAccess;
  /**
   * The notifier's copy of the approval events. Publishers get it only when notifications are on (the stack's
   * `notifications` setting, the local stack's `--notify`): without it they publish to the approval queue alone.
   */
  readonly notificationsQueue?: QueueAccess;
  readonly eventHookSecret?: SecretAccess;
  /** The inline hooks' header secret, and Okta's OAuth 2.0 settings when the stack is deployed with them. */
  readonly inlineHookSecret?: SecretAccess;
  /** The inline hooks' rules (policy/inline-hooks.json, built into the function). */
  readonly inlineConfig?: 'read';
  /** The telephony hook's providers, routes and limits (a secret: it holds provider credentials). */
  readonly telephonyConfig?: SecretAccess;
  /** The notification channels' settings (a secret: Teams Workflows URLs, webhook signing secrets, a Slack token). */
  readonly notificationsConfig?: SecretAccess;
  /** Which channels are on and the console's URL for the links in messages (stack settings). */
  readonly notify?: 'deliver';
  /** The Okta Management API (the org URL and the `oktaCredentials` secret). */
  readonly okta?: OktaAccess;
  /** The policy file (built into the function) and the mode. */
  readonly policy?: 'read';
  /** An OpenAI-compatible model, when one is configured (its settings and the `openaiApiKey` secret). */
  readonly model?: 'read';
  /** Verifies approvers' Okta access tokens: the authorization server's issuer and the audience (stack settings). */
  readonly approverTokens?: 'verify';
  /** Signs approvers in with Okta (OIDC code + PKCE): the console's client id and public URL (stack settings). */
  readonly consoleSignIn?: 'oidc';
}

export interface FunctionSpec {
  /** Path of the handler module from the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly uses: Uses;
  /** Run on a fixed schedule (EventBridge in AWS, a timer in the local stack). */
  readonly schedule?: { readonly everyMinutes: number };
  /**
   * Someone waits for its answer (Okta's 3-second deadline, a person signing in): its bundle must stay near the floor of
   * the AWS clients it needs (`npm run bench:cold-start`), and never carry the Okta SDK, openai or zod's full build.
   * @default false
   */
  readonly synchronous?: boolean;
}

/** What every inline hook function is given: a person waits, so 1 GiB (more CPU for the cold start) and a short timeout. */
const inlineHook = (type: InlineHookType, description: string, uses: Uses = {}) =>
  ({
    entry: `lambda/handlers/inline-${type}.ts`,
    description: `Okta ${INLINE_HOOK_TYPES[type].eventType} inline hook: ${description}`,
    synchronous: true,
    // Okta gives up after 3 s; the answer is due within the budget (default 2 s). The rest is room for a cold start.
    timeoutSeconds: 5,
    memoryMb: 1024,
    uses: { auditTable: 'append', inlineHookSecret: 'read', ...uses },
  }) as const satisfies FunctionSpec;

/**
 * Changing approval requests means publishing each step: the approval queue, and the notifier's copy (granted only when
 * notifications are on). A function that has these builds its queues with `approvalEventQueues` (store/).
 */
const CHANGES_APPROVALS = { approvalsTable: 'update', approvalQueue: 'send', notificationsQueue: 'send' } as const;

/** Deciding approval requests (the API, the console, Slack's buttons): `decideApproval` and its effects. */
const DECIDES_APPROVALS = {
  ...CHANGES_APPROVALS,
  auditTable: 'append',
  // An approved request's exact action goes to the executor.
  actionsQueue: 'send',
  policy: 'read',
} as const;

export const FUNCTIONS = {
  eventHook: {
    entry: 'lambda/handlers/event-hook.ts',
    description: 'Okta event hook receiver: verification, authentication, validation, queueing',
    synchronous: true,
    timeoutSeconds: 10,
    memoryMb: 512,
    // The idempotency table holds its claims on event uuids (conditional puts only: `append`).
    uses: { auditTable: 'append', idempotencyTable: 'append', eventsQueue: 'send', eventHookSecret: 'read' },
  },
  eventsConsumer: {
    entry: 'lambda/handlers/events-consumer.ts',
    description: 'Events queue consumer: once per event uuid, route, gather context, recommend, decide, hand off',
    // Context reads from Okta plus a model call (20 s, one retry) fit comfortably.
    timeoutSeconds: 120,
    memoryMb: 1024,
    uses: {
      auditTable: 'append',
      idempotencyTable: 'readWrite',
      actionsTable: 'readWrite',
      actionsQueue: 'send',
      // Okta rate limits put an event back on its own queue until the reset.
      eventsQueue: 'send',
      // Actions that need a human become approval requests, published on the approval queue.
      ...CHANGES_APPROVALS,
      // Deletes a legacy password hash once Okta reports the password imported (`user.import.password`).
      legacyHashesTable: 'readWrite',
      okta: 'read',
      policy: 'read',
      model: 'read',
    },
  },
  executor: {
    entry: 'lambda/handlers/executor.ts',
    description: 'Actions queue consumer: executes each catalogued action once against Okta, audits the outcome',
    timeoutSeconds: 60,
    memoryMb: 512,
    uses: {
      auditTable: 'append',
      actionsTable: 'readWrite',
      actionsQueue: 'send',
      okta: 'manage',
      // An approved action's outcome moves its request to executed / voided / failed and is published.
      ...CHANGES_APPROVALS,
      // Time-bound actions: the grant is recorded (its duration capped by the policy), its revocation marks it ended.
      grantsTable: 'update',
      policy: 'read',
    },
  },
  sweeper: {
    entry: 'lambda/handlers/sweeper.ts',
    description:
      'Scheduled sweeper: expires, reminds and escalates pending approvals; re-queues approved actions that never reached the executor; publishes what the outbox holds; revokes expired grants',
    timeoutSeconds: 120,
    memoryMb: 512,
    schedule: { everyMinutes: 5 },
    // Approved requests whose action never reached the executor are queued again (decide-approval.ts explains); expired
    // grants' inverses go to the actions queue (the executor runs them like any action).
    uses: {
      auditTable: 'append',
      ...CHANGES_APPROVALS,
      actionsQueue: 'send',
      grantsTable: 'update',
    },
  },
  approvalsApi: {
    entry: 'lambda/handlers/approvals-api.ts',
    description: 'Approvals API: approvers (Okta access tokens) list, read and decide approval requests',
    timeoutSeconds: 10,
    memoryMb: 512,
    uses: {
      ...DECIDES_APPROVALS,
      approverTokens: 'verify',
      // GET /grants, POST /grants/{id}/end (ending early queues the grant's revocation).
      grantsTable: 'update',
    },
  },
  console: {
    entry: 'lambda/handlers/console.ts',
    description:
      'Approvals console: Okta sign-in (OIDC code + PKCE), server-rendered pages to list, read and decide approval requests',
    timeoutSeconds: 10,
    memoryMb: 1024,
    uses: {
      // The same use cases and effects as the approvals API.
      ...DECIDES_APPROVALS,
      approverTokens: 'verify',
      consoleSignIn: 'oidc',
      // Sessions: put, get, update (flash messages), delete (sign-out, single-use sign-ins).
      consoleSessionsTable: 'readWrite',
      // Names for Okta ids (users, groups, apps) on the pages.
      okta: 'read',
    },
  },
  notifier: {
    entry: 'lambda/handlers/notifier.ts',
    description:
      'Notifications queue consumer: tells approvers and the requesting side about each approval step (Slack, Teams, signed webhooks)',
    // A few HTTP calls (10 s timeout each) and names from Okta.
    timeoutSeconds: 30,
    memoryMb: 512,
    uses: {
      // The request's facts (confidence, rationale, evidence, decisions) that later steps' events do not repeat.
      approvalsTable: 'read',
      // Delivery records and the channels' per-request state: conditional puts only.
      idempotencyTable: 'append',
      notificationsQueue: 'consume',
      notificationsConfig: 'read',
      notify: 'deliver',
      // Names: the subject user, their manager, the group or app of the action.
      okta: 'read',
    },
  },
  slackInteractivity: {
    entry: 'lambda/handlers/slack-interactivity.ts',
    description:
      'Slack interactivity (optional, off unless configured): Approve / Reject clicks on non-critical requests, signed by Slack, decided as the mapped Okta user',
    // Slack wants an answer within 3 s: one Okta search, one group list, one conditional write.
    timeoutSeconds: 10,
    memoryMb: 512,
    uses: {
      // The same effects as a decision through the API.
      ...DECIDES_APPROVALS,
      // The signing secrets and the bot token are in the notifications settings.
      notificationsConfig: 'read',
      // Who clicked: the Okta user with the Slack user id in the profile attribute, and their groups.
      okta: 'read',
    },
  },
  health: {
    entry: 'lambda/handlers/health.ts',
    description: 'Liveness check',
    synchronous: true,
    timeoutSeconds: 3,
    memoryMb: 256,
    uses: {},
  },
  inlineTelephony: inlineHook('telephony', 'sends the OTP through the configured SMS/voice providers', {
    // Per-number and per-user counters (conditional updates) and the providers' configuration.
    rateLimitsTable: 'readWrite',
    telephonyConfig: 'read',
  }),
  inlinePasswordImport: inlineHook('password-import', 'verifies a migrating user’s password against the legacy hash', {
    legacyHashesTable: 'read',
  }),
  // `model`: the optional risk screen (plain fetch to an OpenAI-compatible endpoint; no SDK in this bundle).
  inlineRegistration: inlineHook('registration', 'self-service registration and progressive profile rules', {
    inlineConfig: 'read',
    model: 'read',
  }),
  // The user's active time-bound grants join the mapped entitlements: one Query on the grants table's `bySubject` index.
  inlineToken: inlineHook('token', 'entitlement claims in OAuth 2.0 / OIDC tokens', {
    inlineConfig: 'read',
    grantsTable: 'read',
  }),
  inlineSaml: inlineHook('saml', 'entitlement attributes in SAML assertions', {
    inlineConfig: 'read',
    grantsTable: 'read',
  }),
  inlineUserImport: inlineHook('user-import', 'matches imported app users to Okta users', { inlineConfig: 'read' }),
} as const satisfies Record<string, FunctionSpec>;

/** The function that serves each inline hook type. */
export const INLINE_FUNCTIONS = {
  telephony: 'inlineTelephony',
  'password-import': 'inlinePasswordImport',
  registration: 'inlineRegistration',
  token: 'inlineToken',
  saml: 'inlineSaml',
  'user-import': 'inlineUserImport',
} as const satisfies Record<InlineHookType, string>;

export type FunctionId = keyof typeof FUNCTIONS;

export interface RouteSpec {
  /** `ANY` catches every method without a route of its own (API Gateway's rule), e.g. to answer 405 with `Allow`. */
  readonly method: 'GET' | 'POST' | 'ANY';
  /** A literal path, or a template with `{name}` segments (API Gateway's syntax). */
  readonly path: string;
  readonly fn: FunctionId;
  /**
   * `approver`: an Okta access token is required. In AWS the HTTP API's JWT authorizer checks it first (issuer,
   * audience, expiry, signature); the function verifies it again and reads the claims it relies on.
   */
  readonly auth?: 'approver';
}

/** The approvals console's routes (`lambda/console/app.ts`). */
export const CONSOLE_ROUTES = [
  ['GET', '/console'],
  ['GET', '/console/approvals'],
  ['GET', '/console/approvals/{id}'],
  ['POST', '/console/approvals/{id}/decision'],
  ['GET', '/console/login'],
  ['GET', '/console/callback'],
  ['POST', '/console/logout'],
  ['ANY', '/console/{proxy+}'],
] as const satisfies readonly (readonly [RouteSpec['method'], string])[];

/** Where Okta's event hook points (its one-time verification GET and the deliveries). */
export const EVENT_HOOK_PATH = '/okta/events';

/** Where a Slack app's interactivity requests go (its Request URL is `<api>/slack/interactivity`). */
export const SLACK_INTERACTIVITY_PATH = '/slack/interactivity';

/** The HTTP routes (stable: Okta configurations and scripts rely on them). */
export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: EVENT_HOOK_PATH, fn: 'eventHook' },
  { method: 'POST', path: EVENT_HOOK_PATH, fn: 'eventHook' },
  // Other methods reach the function too, which answers 405 with `Allow: GET, POST` (without it API Gateway says 404).
  { method: 'ANY', path: EVENT_HOOK_PATH, fn: 'eventHook' },
  { method: 'GET', path: '/approvals', fn: 'approvalsApi', auth: 'approver' },
  { method: 'GET', path: '/approvals/{id}', fn: 'approvalsApi', auth: 'approver' },
  { method: 'POST', path: '/approvals/{id}/decision', fn: 'approvalsApi', auth: 'approver' },
  { method: 'GET', path: '/grants', fn: 'approvalsApi', auth: 'approver' },
  { method: 'POST', path: '/grants/{id}/end', fn: 'approvalsApi', auth: 'approver' },
  // Slack's interactivity request URL (docs/notifications.md): signed by Slack, not by an approver's token.
  { method: 'POST', path: SLACK_INTERACTIVITY_PATH, fn: 'slackInteractivity' },
  { method: 'GET', path: '/health', fn: 'health' },
  // The approvals console: its own sign-in and session (no API Gateway authorizer; docs/console.md). Other methods and
  // other paths under /console reach it too, which answers 405 / 404 pages.
  ...CONSOLE_ROUTES.map(([method, path]) => ({ method, path, fn: 'console' as const })),
  // Each inline hook: POST only (other methods get its 405 with `Allow: POST`).
  ...(Object.entries(INLINE_FUNCTIONS) as [InlineHookType, FunctionId][]).flatMap(([type, fn]) => [
    { method: 'POST' as const, path: inlineHookPath(type), fn },
    { method: 'ANY' as const, path: inlineHookPath(type), fn },
  ]),
];

export interface QueueSpec {
  /** The function that consumes it; none: hookpilot only publishes to it (the approval queue is for your consumers). */
  readonly consumer?: FunctionId;
  /** Without a consumer here: the queue's default visibility timeout for whoever consumes it. */
  readonly visibilityTimeoutSeconds?: number;
  readonly batchSize: number;
  /** Times a message is received before it moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  /** At most this many consumer invocations at once (the SQS event source's maximum concurrency, at least 2). */
  readonly maxConcurrency?: number;
}

export const QUEUES = {
  eventsQueue: { consumer: 'eventsConsumer', batchSize: 10, maxReceiveCount: 5, retentionDays: 14 },
  // Few actions at a time: Okta's rate limits and concurrency limits are per org, shared with every other integration.
  actionsQueue: { consumer: 'executor', batchSize: 5, maxReceiveCount: 5, retentionDays: 14, maxConcurrency: 2 },
  // The public approval queue (docs/approval-queue.md): CloudEvents for ticketing/chat consumers outside hookpilot.
  approvalQueue: { batchSize: 10, maxReceiveCount: 5, retentionDays: 14, visibilityTimeoutSeconds: 300 },
  // The notifier's copy of the approval events (docs/notifications.md): a failed delivery comes back after a growing
  // delay (30 s, 1, 2, 4 min…) and moves to the DLQ after 8 receives.
  notificationsQueue: { consumer: 'notifier', batchSize: 10, maxReceiveCount: 8, retentionDays: 14, maxConcurrency: 2 },
} as const satisfies Record<QueueId, QueueSpec>;

/** The function that consumes a queue, if hookpilot has one. */
export const consumerOf = (queue: QueueId): FunctionId | undefined => (QUEUES[queue] as QueueSpec).consumer;

/**
 * SQS visibility timeout for a queue: six times its consumer's timeout, as AWS recommends for Lambda sources; for a
 * queue without a consumer here, its own setting (default 30 s, the SQS default).
 */
export const visibilityTimeoutSeconds = (queue: QueueId): number => {
  const consumer = consumerOf(queue);
  return consumer
    ? FUNCTIONS[consumer].timeoutSeconds * 6
    : ((QUEUES[queue] as QueueSpec).visibilityTimeoutSeconds ?? 30);
};

export const TABLES = {
  auditTable: AUDIT_TABLE,
  idempotencyTable: IDEMPOTENCY_TABLE,
  actionsTable: ACTIONS_TABLE,
  approvalsTable: APPROVALS_TABLE,
  grantsTable: GRANTS_TABLE,
  rateLimitsTable: RATE_LIMITS_TABLE,
  legacyHashesTable: LEGACY_HASHES_TABLE,
  consoleSessionsTable: CONSOLE_SESSIONS_TABLE,
} as const satisfies Record<TableId, TableDesign>;

export interface SecretSpec {
  readonly description: string;
  /** `generate`: the stack creates a random value; `provided`: the operator puts the value in after deploying. */
  readonly value:
    | { readonly generate: { readonly length: number } }
    | { readonly provided: { readonly placeholder: string } };
}

export const SECRETS = {
  eventHookSecret: {
    description:
      'hookpilot: the Okta event hook secret (the value Okta sends in the Authorization header). One secret, or a JSON array of accepted secrets while rotating.',
    value: { generate: { length: 64 } },
  },
  inlineHookSecret: {
    description:
      'hookpilot: the Okta inline hooks secret (the value Okta sends in the Authorization header of every inline hook). One secret, or a JSON array of accepted secrets while rotating.',
    value: { generate: { length: 64 } },
  },
  openaiApiKey: {
    description:
      'hookpilot: the API key of the OpenAI-compatible model endpoint (used only when the stack is deployed with a model).',
    value: { provided: { placeholder: SECRET_PLACEHOLDER } },
  },
  oktaCredentials: {
    description:
      'hookpilot: how to call the Okta Management API. JSON: {"apiToken": "..."} or {"clientId": "0oa...", "privateKey": "<PEM or JWK>", "keyId": "...", "scopes": [...]}.',
    value: { provided: { placeholder: JSON.stringify({ apiToken: SECRET_PLACEHOLDER }) } },
  },
  telephonyConfig: {
    description:
      'hookpilot: the telephony hook configuration (providers with their credentials, routes by number prefix, rate limits; docs/inline-telephony.md). Until filled in: no providers, so Okta sends OTPs itself.',
    value: { provided: { placeholder: JSON.stringify({ providers: {}, routes: [] }) } },
  },
  notificationsConfig: {
    description:
      "hookpilot: the notification channels' settings (JSON: Teams Workflows URLs, signed webhooks with their secrets, Slack; docs/notifications.md). Used only when the stack is deployed with notifications on.",
    value: { provided: { placeholder: '{}' } },
  },
} as const satisfies Record<SecretId, SecretSpec>;

/** The environment variable through which a function learns each resource (table name, queue URL, secret ARN). */
export const RESOURCE_ENV = {
  auditTable: ENV.auditTable,
  idempotencyTable: ENV.idempotencyTable,
  actionsTable: ENV.actionsTable,
  approvalsTable: ENV.approvalsTable,
  grantsTable: ENV.grantsTable,
  rateLimitsTable: ENV.rateLimitsTable,
  legacyHashesTable: ENV.legacyHashesTable,
  consoleSessionsTable: ENV.consoleSessionsTable,
  eventsQueue: ENV.eventsQueueUrl,
  actionsQueue: ENV.actionsQueueUrl,
  approvalQueue: ENV.approvalQueueUrl,
  notificationsQueue: ENV.notificationsQueueUrl,
  eventHookSecret: ENV.eventHookSecretArn,
  inlineHookSecret: INLINE_ENV.secretArn,
  oktaCredentials: OKTA_ENV.credentialsSecretArn,
  openaiApiKey: LLM_ENV.apiKeySecretArn,
  telephonyConfig: TELEPHONY_ENV.configSecretArn,
  notificationsConfig: NOTIFY_ENV.configSecretArn,
} as const satisfies Record<TableId | QueueId | SecretId, string>;

/** The variables that carry the model settings to every function that `uses.model`. */
export const MODEL_ENV = { model: LLM_ENV.model, baseUrl: LLM_ENV.baseUrl } as const;

/** The variable that carries the Okta org URL to every function that `uses.okta`. */
export const OKTA_ORG_URL_ENV = OKTA_ENV.orgUrl;

/** One resource a function uses, with its kind; `okta` brings the Okta credentials secret with it. */
export type UsedResource =
  | { readonly kind: 'table'; readonly id: TableId; readonly access: TableAccess }
  | { readonly kind: 'queue'; readonly id: QueueId; readonly access: QueueAccess }
  | { readonly kind: 'secret'; readonly id: SecretId; readonly access: SecretAccess }
  | { readonly kind: 'okta'; readonly access: OktaAccess }
  | { readonly kind: 'policy' }
  | { readonly kind: 'inlineConfig' }
  | { readonly kind: 'inlineOAuth' }
  | { readonly kind: 'model' }
  | { readonly kind: 'approverTokens' }
  | { readonly kind: 'consoleSignIn' }
  | { readonly kind: 'notify' };

/** Everything a function's `uses` stands for, normalised: what the stack grants and what the local stack provides. */
export function usedResources(uses: Uses): UsedResource[] {
  const out: UsedResource[] = [];
  for (const [key, access] of Object.entries(uses) as [keyof Uses, string][]) {
    if (key === 'okta') {
      out.push(
        { kind: 'okta', access: access as OktaAccess },
        { kind: 'secret', id: 'oktaCredentials', access: 'read' },
      );
    } else if (key === 'policy') out.push({ kind: 'policy' });
    else if (key === 'inlineConfig') out.push({ kind: 'inlineConfig' });
    // The inline secret brings Okta's OAuth settings with it (set only when the stack is deployed with them).
    else if (key === 'inlineHookSecret') {
      out.push({ kind: 'secret', id: 'inlineHookSecret', access: access as SecretAccess }, { kind: 'inlineOAuth' });
    }
    // The model brings its key secret only when a model is configured: the stack decides (see Functions.wire).
    else if (key === 'model') out.push({ kind: 'model' });
    else if (key === 'approverTokens') out.push({ kind: 'approverTokens' });
    else if (key === 'consoleSignIn') out.push({ kind: 'consoleSignIn' });
    else if (key === 'notify') out.push({ kind: 'notify' });
    else if (Object.hasOwn(TABLES, key)) out.push({ kind: 'table', id: key as TableId, access: access as TableAccess });
    else if (Object.hasOwn(QUEUES, key)) out.push({ kind: 'queue', id: key as QueueId, access: access as QueueAccess });
    else out.push({ kind: 'secret', id: key as SecretId, access: access as SecretAccess });
  }
  return out;
}
