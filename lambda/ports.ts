import type { ApprovalRecord, ApprovalState, ApprovalStep } from './domain/approval.ts';
/**
 * The small interfaces use cases depend on. Adapters in `store/` (and later `okta/`, `recommend/`) implement them; tests
 * pass the real adapters pointed at the local emulators, or tiny fakes to inject faults.
 */

/** A protocol-neutral HTTP request: what handlers build from an API Gateway event. Header names are lower case. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The query string's parameters (the last value of a repeated one), when there are any. */
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** The route template's parameters, e.g. `{id}` of `/approvals/{id}`. */
  readonly pathParameters?: Readonly<Record<string, string | undefined>>;
  /** The decoded body, or undefined when there is none. */
  readonly body: string | undefined;
}

export interface HttpResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One append-only audit record. `(correlationId, recordKey)` identifies it: appending a record whose key exists already
 * is a no-op, which makes every step's audit write idempotent under retries.
 */
export interface AuditRecord {
  /** The originating event's uuid (or inline hook eventId, approval id): ties together everything one event caused. */
  readonly correlationId: string;
  /** Unique within the correlation and stable across retries of the same step, e.g. `received`, `routed`. */
  readonly recordKey: string;
  /** What happened, dotted: `event.received`, `event.accepted`, `event.skipped`, … */
  readonly kind: string;
  /** ISO-8601 time the step happened. */
  readonly at: string;
  /** Which part of hookpilot wrote it, e.g. `event-hook`, `events-consumer`. */
  readonly actor: string;
  /** One human-readable line. */
  readonly summary: string;
  /** The Okta user the record is about, when there is one. */
  readonly subjectUserId?: string;
  readonly eventType?: string;
  /** Structured detail. Never a secret: the audit store drops secret-looking keys as a last line of defence. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditKey {
  readonly correlationId: string;
  readonly recordKey: string;
}

export interface AuditLog {
  /** Appends records; an existing `(correlationId, recordKey)` is left unchanged (idempotent). */
  append(records: readonly AuditRecord[]): Promise<void>;
  /** Which of these keys already have a record. */
  existing(keys: readonly AuditKey[]): Promise<Set<string>>;
  /** Every record of one correlation (at most `limit`), oldest first. */
  byCorrelation(correlationId: string, options?: { limit?: number }): Promise<AuditRecord[]>;
  /** Records about one Okta user, newest first. */
  bySubject(userId: string, options?: { limit?: number; since?: string }): Promise<AuditRecord[]>;
  /**
   * Records between two instants (inclusive), oldest first; with `newestFirst`, newest first — so `limit` keeps the
   * latest records of the window rather than the earliest.
   */
  byTime(from: string, to: string, options?: { limit?: number; newestFirst?: boolean }): Promise<AuditRecord[]>;
}

export const auditKeyString = (key: AuditKey): string => `${key.correlationId}\u0000${key.recordKey}`;

/** A message for a queue. `id` is the dedupe key the consumer uses (e.g. the Okta event uuid). */
export interface QueueMessage<T> {
  readonly id: string;
  readonly body: T;
  readonly attributes?: Readonly<Record<string, string>>;
  /** Deliver no sooner than this many seconds from now (0–900). */
  readonly delaySeconds?: number;
}

export interface MessageQueue<T> {
  /** Sends every message, or throws `DependencyError` (some may have been sent: consumers are idempotent). */
  send(messages: readonly QueueMessage<T>[]): Promise<void>;
}

export type Clock = () => Date;

// ── Approvals (the shared model is lambda/domain/approval.ts) ──────────────────────────────────────────────────────────

/** One lifecycle step of an approval request, as stored in the outbox and published on the approval queue. */
export interface ApprovalEvent {
  /** Stable: the CloudEvent `id` consumers dedupe on (e.g. `<approvalId>:<step>:<n>`). */
  readonly id: string;
  readonly step: ApprovalStep;
  readonly approvalId: string;
  /** ISO time of the step. */
  readonly time: string;
  /** The CloudEvent `data` (it carries `schemaVersion`). */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The approvals table. Every write that changes a request also stores the events it causes (outbox), atomically, so a
 * failure to publish never loses a state change; the publisher sends them later and marks them sent.
 */
export interface ApprovalStore {
  /** Creates the request (and its `requested` event) unless its id exists; returns the stored one either way. */
  create(
    record: ApprovalRecord,
    events: readonly ApprovalEvent[],
  ): Promise<{ created: boolean; record: ApprovalRecord }>;
  get(approvalId: string): Promise<ApprovalRecord | undefined>;
  /** Newest first; `cursor` pages. */
  list(query: {
    state?: ApprovalState;
    subjectUserId?: string;
    limit?: number;
    cursor?: string;
  }): Promise<{ items: ApprovalRecord[]; cursor?: string }>;
  /**
   * Replaces the request iff the stored `version` is `expectedVersion` (`next.version` must be `expectedVersion + 1`),
   * together with `events`. Returns false on a version conflict (someone else changed it first: re-read and retry/refuse).
   */
  update(next: ApprovalRecord, expectedVersion: number, events: readonly ApprovalEvent[]): Promise<boolean>;
  /** Pending requests whose expiry, reminder or escalation time has come. */
  pendingDue(now: Date, limit: number): Promise<ApprovalRecord[]>;
}

/** The outbox side of the approvals table: events not yet published on the approval queue. */
export interface ApprovalOutbox {
  unpublished(limit: number): Promise<ApprovalEvent[]>;
  markPublished(ids: readonly string[]): Promise<void>;
}

// ---- approvers' (and Okta's) access tokens ------------------------------------------------------------------------

/** Who presented a verified Okta access token issued to a person (the approvers' API and console). */
export interface Principal {
  /** The Okta user id (`uid` claim, `00u…`): what audit records and separation-of-duties checks use. */
  readonly userId: string;
  /** The user's Okta login (`sub` claim). */
  readonly login: string;
  /** Group names from the token's `groups` claim (empty when the authorization server adds none). */
  readonly groups: readonly string[];
  /** Granted scopes (`scp` claim). */
  readonly scopes: readonly string[];
  /** The OAuth client the token was issued to (`cid` claim). */
  readonly clientId: string;
  /** The token's id (`jti` claim): safe to log and audit, unlike the token. */
  readonly tokenId: string;
  readonly expiresAt: Date;
}

/** Who presented a verified access token issued to a client itself (client credentials: Okta calling an inline hook). */
export interface ServicePrincipal {
  readonly clientId: string;
  /** `sub` (the client id for client-credentials tokens). */
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly tokenId: string;
  readonly expiresAt: Date;
}

/**
 * Verifies `Authorization: Bearer <JWT>`. Throws `UnauthorizedError` (401, naming the failed check, with a
 * `WWW-Authenticate` challenge), `InsufficientScopeError` (403) or `DependencyError` (503: the issuer's keys could not
 * be fetched). Implemented by `lambda/okta/access-token.ts`.
 */
export interface AccessTokenVerifier {
  verify(authorizationHeader: string | undefined): Promise<Principal>;
}

export interface ServiceTokenVerifier {
  verify(authorizationHeader: string | undefined): Promise<ServicePrincipal>;
}

/** What the executor does with an action that came from an approval (`origin.kind === 'approval'`). */
export interface ApprovalFeedback {
  /**
   * Why the action may not run — its request is not `approved` (expired, cancelled, unknown…) or the message is not the
   * action that was approved — or undefined when it may.
   */
  blockedReason(approvalId: string, action: { actionId: string; action: unknown }): Promise<string | undefined>;
  /** Moves the request `approved → executed | voided | failed` and publishes it. Idempotent (redeliveries repeat it). */
  completed(approvalId: string, outcome: ApprovalOutcome): Promise<void>;
}

export interface ApprovalOutcome {
  readonly state: 'executed' | 'voided' | 'failed';
  /** When the executor finished. */
  readonly at: string;
  readonly oktaRequestId?: string;
  /** Why it was voided or failed, or what "already done" meant. */
  readonly detail?: string;
}
