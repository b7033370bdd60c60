/**
 * The DynamoDB table designs, in one place: the CDK stack and the local stack both build their tables from these, so the
 * two can never drift apart.
 */
export interface TableDesign {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly ttlAttribute?: string;
  readonly indexes: Readonly<Record<string, { readonly partitionKey: string; readonly sortKey: string }>>;
}

/**
 * Append-only audit trail. Base key: every record of one originating event (correlation) together. Indexes: by the
 * Okta user a record is about (sparse), and by UTC day (for "what happened between t1 and t2").
 */
export const AUDIT_TABLE = {
  partitionKey: 'correlationId',
  sortKey: 'recordKey',
  indexes: {
    bySubject: { partitionKey: 'subjectUserId', sortKey: 'at' },
    byDay: { partitionKey: 'day', sortKey: 'at' },
  },
} as const satisfies TableDesign;

/** Powertools idempotency records (exactly-once effect in the queue consumers). Items expire by TTL. */
export const IDEMPOTENCY_TABLE = {
  partitionKey: 'id',
  ttlAttribute: 'expiration',
  indexes: {},
} as const satisfies TableDesign;

/**
 * The action ledger: one item per action id, moved between statuses by conditional writes, so that an action executes
 * once however often its message is delivered. Finished grants that expire carry `expiresAt` for the expiry sweeper.
 */
export const ACTIONS_TABLE = {
  partitionKey: 'actionId',
  /** Only the short-lived bookkeeping items (request-id markers, hourly budgets) expire; actions never do. */
  ttlAttribute: 'expiresAtEpoch',
  indexes: {},
} as const satisfies TableDesign;

/**
 * Fixed-window counters of the inline hooks' rate limits (telephony: per phone number, per user). One item per key and
 * window, counted up by conditional updates; items expire by TTL after their window.
 */
export const RATE_LIMITS_TABLE = {
  partitionKey: 'counterKey',
  ttlAttribute: 'expiresAtEpoch',
  indexes: {},
} as const satisfies TableDesign;

/**
 * Legacy password hashes waiting for their user's first sign-in through the password import hook, one item per Okta
 * login (lower case). Deleted once Okta reports `user.import.password` succeeded; `passwords pending` lists the rest.
 */
export const LEGACY_HASHES_TABLE = {
  partitionKey: 'login',
  indexes: {},
} as const satisfies TableDesign;
