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
 * Approval requests and their outbox, in one table so that a state change and the events it causes are written by one
 * transaction. Items (partition key `pk`):
 * - a request: `pk` = its approval id, `kind` = `request`, the record's fields; while pending also `dueShard` = `pending`
 *   and `dueAt` = its next reminder/escalation/expiry time;
 * - an outbox event: `pk` = `event#<event id>`, `kind` = `event`, the event in `event`; until published also `outbox` =
 *   `unpublished` and `eventKey` = `<time>#<id>`. Published events expire (TTL) after 14 days; requests never do.
 * Indexes: requests newest first (all, by state, by subject user); pending requests by due time (sparse); unpublished
 * events oldest first (sparse). The constant partitions (`kind`, `dueShard`, `outbox`) are fine at the scale of human
 * approvals (thousands a day, not thousands a second).
 */
export const APPROVALS_TABLE = {
  partitionKey: 'pk',
  ttlAttribute: 'expiresAtEpoch',
  indexes: {
    byTime: { partitionKey: 'kind', sortKey: 'requestedAt' },
    byState: { partitionKey: 'state', sortKey: 'requestedAt' },
    bySubject: { partitionKey: 'subjectUserId', sortKey: 'requestedAt' },
    byDue: { partitionKey: 'dueShard', sortKey: 'dueAt' },
    unpublished: { partitionKey: 'outbox', sortKey: 'eventKey' },
  },
} as const satisfies TableDesign;

/**
 * Time-bound grants (`domain/grant.ts`), one item per grant (`grantId` = the granting action's id). A table of their own,
 * not items in the actions table: grants are read by user and by expiry (two indexes the ledger does not need), live as
 * long as the access (a month or more) and must never expire by the ledger's TTL, and are changed by other writers (the
 * sweeper, an approver ending one early) than the ledger's. Indexes: by subject user (newest first); `byDue` (sparse:
 * only `active` and `revoking` grants carry `dueShard` = `due` and `dueAt` = when the sweeper must look at them next —
 * `expiresAt` while active, a retry time while revoking — so the sweeper's one query returns only work).
 */
export const GRANTS_TABLE = {
  partitionKey: 'grantId',
  indexes: {
    bySubject: { partitionKey: 'subjectUserId', sortKey: 'grantedAt' },
    byDue: { partitionKey: 'dueShard', sortKey: 'dueAt' },
    byTime: { partitionKey: 'kind', sortKey: 'grantedAt' },
  },
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

/**
 * The approvals console's server-side sessions and sign-ins under way, one item each (partition `pk`: `session#<hash>`
 * or `signin#<hash>`, the SHA-256 of the browser's random cookie value). Both expire by TTL (a session with its access
 * token, a sign-in after 10 minutes); every read also checks the expiry, since TTL deletes lag.
 */
export const CONSOLE_SESSIONS_TABLE = {
  partitionKey: 'pk',
  ttlAttribute: 'expiresAtEpoch',
  indexes: {},
} as const satisfies TableDesign;
