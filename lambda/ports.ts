/**
 * The small interfaces use cases depend on. Adapters in `store/` (and later `okta/`, `recommend/`) implement them; tests
 * pass the real adapters pointed at the local emulators, or tiny fakes to inject faults.
 */

/** A protocol-neutral HTTP request: what handlers build from an API Gateway event. Header names are lower case. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
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
