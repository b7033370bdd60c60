import { resolve } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type ILogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../lambda/config.ts';
import { BUNDLED_CALIBRATION_DEFINE } from '../../lambda/domain/calibration.ts';
import { BUNDLED_INLINE_CONFIG_DEFINE } from '../../lambda/domain/inline-config.ts';
import { BUNDLED_POLICY_DEFINE, POLICY_ENV } from '../../lambda/domain/policy-config.ts';
import { type ChannelKind, NOTIFY_ENV } from '../../lambda/notify/config.ts';
import { APPROVER_TOKEN_ENV } from '../../lambda/okta/access-token-config.ts';
import { INLINE_OAUTH_ENV } from '../../lambda/okta/inline-config-env.ts';
import { CONSOLE_ENV } from '../../lambda/okta/oidc-client.ts';
import { BUNDLING, LAMBDA_RUNTIME, LOCK_FILE, ROOT, SOURCE_MAP_NODE_OPTIONS } from '../bundling.ts';
import {
  FUNCTIONS,
  type FunctionId,
  type FunctionSpec,
  MODEL_ENV,
  OKTA_ORG_URL_ENV,
  type QueueAccess,
  type QueueId,
  RESOURCE_ENV,
  type SecretAccess,
  type SecretId,
  TABLES,
  type TableAccess,
  type TableId,
  type Uses,
  usedResources,
} from '../manifest.ts';
import { constructId, entriesOf } from './names.ts';

/** Powertools log levels. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface FunctionsProps {
  /** The tables the functions may use (by manifest id). */
  readonly tables: Readonly<Record<TableId, ITable>>;
  /** The queues the functions may send to (by manifest id). */
  readonly queues: Readonly<Record<QueueId, IQueue>>;
  /** The secrets the functions may read (by manifest id). */
  readonly secrets: Readonly<Record<SecretId, ISecret>>;
  /**
   * How long each function's logs are kept.
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
   * The policy built into every function that uses the policy (its JSON text, already validated).
   *
   * @default - none: such functions use the built-in defaults
   */
  readonly policyJson?: string;
  /**
   * The calibration built into every function that uses the policy (its JSON text, already validated).
   *
   * @default - none: confidences are used as stated
   */
  readonly calibrationJson?: string;
  /**
   * `HOOKPILOT_MODE` for every function that uses the policy.
   *
   * @default - none: the policy file's `mode`
   */
  readonly mode?: 'observe' | 'assisted' | 'autonomous';
  /**
   * The model settings for every function that uses a model (`HOOKPILOT_MODEL`, `OPENAI_BASE_URL`).
   *
   * @default - none: the rules recommender answers
   */
  readonly model?: { readonly name: string; readonly baseUrl?: string };
  /**
   * The Okta org URL given to every function that uses Okta (`HOOKPILOT_OKTA_ORG_URL`), already validated.
   *
   * @default - not set: such functions stop at start-up with a message asking for it
   */
  readonly oktaOrgUrl?: string;
  /**
   * The Okta authorization server whose access tokens approvers present (`HOOKPILOT_APPROVALS_ISSUER`, `_AUDIENCE`), for
   * every function that `uses.approverTokens`.
   *
   * @default - not set: such functions answer 500 misconfigured, naming the variable in their log
   */
  readonly approverTokens?: { readonly issuer: string; readonly audience: string };
  /**
   * The approvals console's sign-in: its OIDC app's client id in Okta (`HOOKPILOT_CONSOLE_CLIENT_ID`) and, optionally, its
   * public URL (`HOOKPILOT_CONSOLE_URL`, when it is served under a custom domain), for every function that
   * `uses.consoleSignIn`.
   *
   * @default - not set: the console answers 500 misconfigured, naming the variable in its log
   */
  readonly console?: { readonly clientId?: string; readonly url?: string };
  /**
   * The inline hooks' rules built into every function that uses them (JSON text, already validated).
   *
   * @default - none: such functions use the built-in defaults
   */
  readonly inlineConfigJson?: string;
  /**
   * Okta's OAuth 2.0 settings for the inline hooks (issuer, audience, client ids, scopes).
   *
   * @default - none: the inline hooks accept only the header secret
   */
  readonly inlineOAuth?: {
    readonly issuer: string;
    readonly audience: string;
    readonly clientIds?: readonly string[];
    readonly requiredScopes?: readonly string[];
  };
  /**
   * Notifications (docs/notifications.md): the channels that are on. Only then do the approval event publishers get the
   * notifications queue (its URL and send permission), and the notifier its `HOOKPILOT_NOTIFY_CHANNELS`.
   *
   * @default - off: nothing is sent to the notifications queue, and the notifier has nothing to do
   */
  readonly notifications?: { readonly channels: readonly ChannelKind[] };
  /**
   * Further settings per function (e.g. `{ eventHook: { HOOKPILOT_EVENT_HOOK_AUTH_HEADER: 'x-hookpilot-secret' } }`).
   *
   * @default - none
   */
  readonly environment?: Readonly<Partial<Record<FunctionId, Readonly<Record<string, string>>>>>;
}

/**
 * One `NodejsFunction` per `FUNCTIONS` entry (nodejs22.x on arm64, bundled locally by esbuild with `BUNDLING`), each
 * with its own role and log group. Every entry of the function's `uses` becomes the environment variable named by
 * `RESOURCE_ENV` and one narrow grant, side by side in `wire()`.
 */
export class Functions extends Construct {
  readonly functions: Readonly<Record<FunctionId, IFunction>>;
  readonly logGroups: Readonly<Record<FunctionId, ILogGroup>>;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const functions = {} as Record<FunctionId, IFunction>;
    const logGroups = {} as Record<FunctionId, ILogGroup>;
    for (const [functionId, spec] of entriesOf<FunctionId, FunctionSpec>(FUNCTIONS)) {
      const name = constructId(functionId);
      const logGroup = new LogGroup(this, `${name}Logs`, {
        retention: props.logRetention ?? RetentionDays.ONE_MONTH,
        // Operational logs only (the audit trail is the retained DynamoDB table); they go with the stack.
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // An own role instead of the AWSLambdaBasicExecutionRole managed policy: it may write to this log group only.
      const role = new Role(this, `${name}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `hookpilot ${functionId} function`,
      });
      logGroup.grantWrite(role);

      const fn = new NodejsFunction(this, name, {
        entry: resolve(ROOT, spec.entry),
        handler: 'handler',
        description: spec.description,
        runtime: LAMBDA_RUNTIME,
        architecture: Architecture.ARM_64,
        timeout: Duration.seconds(spec.timeoutSeconds),
        memorySize: spec.memoryMb,
        role,
        logGroup,
        projectRoot: ROOT,
        depsLockFilePath: LOCK_FILE,
        bundling: bundlingFor(spec.uses, props),
        environment: {
          POWERTOOLS_SERVICE_NAME: 'hookpilot',
          POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
          // Which deployment this is (the approval queue's CloudEvent `source`).
          [ENV.instance]: Stack.of(this).stackName,
          NODE_OPTIONS: SOURCE_MAP_NODE_OPTIONS,
          ...props.environment?.[functionId],
        },
      });
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to nodejs22.x on purpose: the code is built and tested for Node 22 (and 20 locally); moving to a newer runtime is a deliberate, tested change, not an automatic one.',
      });
      this.wire(fn, role, spec.uses, props);
      functions[functionId] = fn;
      logGroups[functionId] = logGroup;
    }
    this.functions = functions;
    this.logGroups = logGroups;
  }

  /** Each resource the function uses: the variable that names it, and the one grant that allows exactly that use. */
  private wire(fn: NodejsFunction, role: IRole, uses: Uses, props: FunctionsProps): void {
    for (const used of usedResources(uses)) {
      switch (used.kind) {
        case 'table': {
          const table = props.tables[used.id];
          fn.addEnvironment(RESOURCE_ENV[used.id], table.tableName);
          grantTable(role, table, used.id, used.access);
          break;
        }
        case 'queue': {
          // Publishers copy approval events to the notifier's queue only when notifications are on.
          if (used.id === 'notificationsQueue' && used.access === 'send' && !props.notifications) break;
          const queue = props.queues[used.id];
          fn.addEnvironment(RESOURCE_ENV[used.id], queue.queueUrl);
          grantQueue(role, queue, used.access);
          break;
        }
        case 'secret': {
          const secret = props.secrets[used.id];
          fn.addEnvironment(RESOURCE_ENV[used.id], secret.secretArn);
          grantSecret(role, secret, used.access);
          break;
        }
        case 'okta':
          // The credentials come with the `oktaCredentials` secret entry; here only where the org is.
          if (props.oktaOrgUrl) fn.addEnvironment(OKTA_ORG_URL_ENV, props.oktaOrgUrl);
          break;
        case 'policy':
          // The policy itself is built into the bundle (see `bundling`); the mode is a setting.
          if (props.mode) fn.addEnvironment(POLICY_ENV.mode, props.mode);
          break;
        case 'approverTokens':
          if (props.approverTokens) {
            fn.addEnvironment(APPROVER_TOKEN_ENV.issuer, props.approverTokens.issuer);
            fn.addEnvironment(APPROVER_TOKEN_ENV.audience, props.approverTokens.audience);
          }
          break;
        case 'consoleSignIn':
          if (props.console?.clientId) fn.addEnvironment(CONSOLE_ENV.clientId, props.console.clientId);
          if (props.console?.url) fn.addEnvironment(ENV.consoleUrl, props.console.url);
          break;
        case 'inlineConfig':
          // Built into the bundle (see `bundlingFor`).
          break;
        case 'inlineOAuth':
          if (props.inlineOAuth) {
            fn.addEnvironment(INLINE_OAUTH_ENV.issuer, props.inlineOAuth.issuer);
            fn.addEnvironment(INLINE_OAUTH_ENV.audience, props.inlineOAuth.audience);
            if (props.inlineOAuth.clientIds?.length) {
              fn.addEnvironment(INLINE_OAUTH_ENV.clientIds, props.inlineOAuth.clientIds.join(','));
            }
            if (props.inlineOAuth.requiredScopes?.length) {
              fn.addEnvironment(INLINE_OAUTH_ENV.requiredScopes, props.inlineOAuth.requiredScopes.join(','));
            }
          }
          break;
        case 'notify':
          if (props.notifications) fn.addEnvironment(NOTIFY_ENV.channels, props.notifications.channels.join(','));
          break;
        case 'model':
          // Without a model nothing is set, and the rules recommender answers. With one: its settings and its key.
          if (props.model) {
            fn.addEnvironment(MODEL_ENV.model, props.model.name);
            if (props.model.baseUrl) fn.addEnvironment(MODEL_ENV.baseUrl, props.model.baseUrl);
            fn.addEnvironment(RESOURCE_ENV.openaiApiKey, props.secrets.openaiApiKey.secretArn);
            grantSecret(role, props.secrets.openaiApiKey, 'read');
          }
          break;
      }
    }
  }
}

/** The stack's esbuild options, with the policy and the inline rules built in for the functions that read them. */
function bundlingFor(uses: Uses, props: FunctionsProps) {
  const define: Record<string, string> = {};
  if (uses.policy && props.policyJson) define[BUNDLED_POLICY_DEFINE] = JSON.stringify(props.policyJson);
  if (uses.policy && props.calibrationJson) define[BUNDLED_CALIBRATION_DEFINE] = JSON.stringify(props.calibrationJson);
  if (uses.inlineConfig && props.inlineConfigJson) {
    define[BUNDLED_INLINE_CONFIG_DEFINE] = JSON.stringify(props.inlineConfigJson);
  }
  return Object.keys(define).length > 0 ? { ...BUNDLING, define } : BUNDLING;
}

/** The actions of `read`: get and query items; no scan, no write. */
export const READ_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
/** The actions of `append`: write new items (the code makes each put conditional) and read; never update or delete. */
export const APPEND_TABLE_ACTIONS = ['dynamodb:PutItem', ...READ_TABLE_ACTIONS];
/**
 * The actions of `update`: `append` plus `UpdateItem` and `ConditionCheckItem` (used inside TransactWriteItems, which has
 * no IAM action of its own); never a delete.
 */
export const UPDATE_TABLE_ACTIONS = [...APPEND_TABLE_ACTIONS, 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];

function grantTable(role: IRole, table: ITable, tableId: TableId, access: TableAccess): void {
  switch (access) {
    case 'readWrite':
      table.grantReadWriteData(role);
      return;
    case 'read':
    case 'append':
    case 'update': {
      // Named index ARNs rather than `index/*`: the role can query exactly the indexes of the design.
      const indexArns = Object.keys(TABLES[tableId].indexes).map((indexName) => `${table.tableArn}/index/${indexName}`);
      const actions = { read: READ_TABLE_ACTIONS, append: APPEND_TABLE_ACTIONS, update: UPDATE_TABLE_ACTIONS }[access];
      Grant.addToPrincipal({ grantee: role, actions, resourceArns: [table.tableArn] });
      if (indexArns.length > 0) {
        Grant.addToPrincipal({ grantee: role, actions: ['dynamodb:Query'], resourceArns: indexArns });
      }
      return;
    }
  }
}

function grantQueue(role: IRole, queue: IQueue, access: QueueAccess): void {
  switch (access) {
    case 'send':
      queue.grantSendMessages(role);
      return;
    case 'consume':
      // Receive, delete and change visibility (the event source grants the same; here it is explicit for the backoff).
      queue.grantConsumeMessages(role);
      return;
  }
}

function grantSecret(role: IRole, secret: ISecret, access: SecretAccess): void {
  switch (access) {
    case 'read':
      secret.grantRead(role);
      return;
  }
}
