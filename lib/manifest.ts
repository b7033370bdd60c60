import { ENV } from '../lambda/config.ts';
import { AUDIT_TABLE, IDEMPOTENCY_TABLE, type TableDesign } from '../lambda/store/tables.ts';

/**
 * What hookpilot is made of, as data: functions, the HTTP routes and queues that trigger them, and the resources each
 * one uses with the access it needs. The CDK stack turns `uses` into environment variables and narrow `grant*` calls;
 * the local stack turns it into the same environment variables pointing at the emulators. Adding a function or a
 * resource starts here.
 */

export type TableId = 'auditTable' | 'idempotencyTable';
export type QueueId = 'eventsQueue';
export type SecretId = 'eventHookSecret';

/** `append`: PutItem (conditional, never overwrite) + reads. No function may update or delete audit records. */
export type TableAccess = 'read' | 'append' | 'readWrite';
export type QueueAccess = 'send';
export type SecretAccess = 'read';

export interface Uses {
  readonly auditTable?: TableAccess;
  readonly idempotencyTable?: TableAccess;
  readonly eventsQueue?: QueueAccess;
  readonly eventHookSecret?: SecretAccess;
}

export interface FunctionSpec {
  /** Path of the handler module from the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly uses: Uses;
}

export const FUNCTIONS = {
  eventHook: {
    entry: 'lambda/handlers/event-hook.ts',
    description: 'Okta event hook receiver: verification, authentication, validation, queueing',
    timeoutSeconds: 10,
    memoryMb: 512,
    uses: { auditTable: 'append', eventsQueue: 'send', eventHookSecret: 'read' },
  },
  eventsConsumer: {
    entry: 'lambda/handlers/events-consumer.ts',
    description: 'Events queue consumer: once per event uuid, route by event type, audit',
    timeoutSeconds: 60,
    memoryMb: 512,
    uses: { auditTable: 'append', idempotencyTable: 'readWrite' },
  },
  health: {
    entry: 'lambda/handlers/health.ts',
    description: 'Liveness check',
    timeoutSeconds: 3,
    memoryMb: 256,
    uses: {},
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionId = keyof typeof FUNCTIONS;

export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly fn: FunctionId;
}

/** The HTTP routes (stable: Okta configurations and scripts rely on them). */
export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/okta/events', fn: 'eventHook' },
  { method: 'POST', path: '/okta/events', fn: 'eventHook' },
  { method: 'GET', path: '/health', fn: 'health' },
];

export interface QueueSpec {
  readonly consumer: FunctionId;
  readonly batchSize: number;
  /** Times a message is received before it moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
}

export const QUEUES = {
  eventsQueue: { consumer: 'eventsConsumer', batchSize: 10, maxReceiveCount: 5, retentionDays: 14 },
} as const satisfies Record<QueueId, QueueSpec>;

/** SQS visibility timeout for a queue: six times its consumer's timeout, as AWS recommends for Lambda sources. */
export const visibilityTimeoutSeconds = (queue: QueueId): number =>
  FUNCTIONS[QUEUES[queue].consumer].timeoutSeconds * 6;

export const TABLES = {
  auditTable: AUDIT_TABLE,
  idempotencyTable: IDEMPOTENCY_TABLE,
} as const satisfies Record<TableId, TableDesign>;

/** The environment variable through which a function learns each resource (table name, queue URL, secret ARN). */
export const RESOURCE_ENV = {
  auditTable: ENV.auditTable,
  idempotencyTable: ENV.idempotencyTable,
  eventsQueue: ENV.eventsQueueUrl,
  eventHookSecret: ENV.eventHookSecretArn,
} as const satisfies Record<TableId | QueueId | SecretId, string>;
