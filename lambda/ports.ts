import type { ActionMessage } from './domain/action-message.ts';
import type { ApprovalRecord, ApprovalState, ApprovalStep } from './domain/approval.ts';
import type { ApprovalCloudEvent } from './domain/approval-events.ts';
import type { Grant } from './domain/grant.ts';
import type { LegacyHashRecord } from './domain/legacy-hash.ts';
import type { PolicyConfig } from './domain/policy-config.ts';
import type { RecommendationContext, RecommendationResult } from './domain/recommendation.ts';
import type { LogEvent } from './okta/event-hook.ts';

/**
 * The small interfaces use cases depend on, grouped by what they stand for: HTTP, the audit trail, queues and the
 * clock, Okta, the action ledger, the recommender, approvals. Adapters in `store/`, `okta/` and `recommend/` implement
 * them; tests pass the real adapters pointed at the local emulators, or tiny fakes to inject faults. A use case asks
 * only for the ports it uses (e.g. `ExecutionLedger & RequestRegistry`), so a fake never has to stub the rest.
 */

// ─── HTTP ───────────────────────────────────────────────────────────────────────────────────────────────────────────

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
  /** JSON (any value), or a string sent as it is when `headers` name a `content-type` (the console's HTML). */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** `Set-Cookie` values (API Gateway's payload 2.0 `cookies`). */
  readonly cookies?: readonly string[];
}

// ─── The audit trail ────────────────────────────────────────────────────────────────────────────────────────────────

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

// ─── Queues and the clock ───────────────────────────────────────────────────────────────────────────────────────────

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

// ─── Okta ───────────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * What hookpilot needs from an Okta org, as small interfaces over plain types (not SDK models). The SDK adapter
 * (`okta/okta-sdk-adapter.ts`) implements them; use cases and the action catalog depend only on these.
 */

export const USER_STATUSES = [
  'STAGED',
  'PROVISIONED',
  'ACTIVE',
  'RECOVERY',
  'LOCKED_OUT',
  'PASSWORD_EXPIRED',
  'SUSPENDED',
  'DEPROVISIONED',
] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface OktaUser {
  readonly id: string;
  readonly status: UserStatus;
  /** Okta's profile: user-editable, attacker-controlled text. */
  readonly profile: Readonly<Record<string, unknown>> & { readonly login: string };
  readonly created?: string;
  readonly lastUpdated?: string;
  readonly statusChanged?: string | null;
}

export type GroupType = 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';

export interface OktaGroup {
  readonly id: string;
  readonly type: GroupType;
  readonly name: string;
  readonly description?: string | null;
}

export interface OktaAppLink {
  readonly appInstanceId: string;
  readonly appName: string;
  readonly label: string;
}

export interface OktaAppAssignment {
  readonly appId: string;
  readonly userId: string;
  /** USER: assigned directly (can be unassigned); GROUP: through a group (change the group instead). */
  readonly scope: 'USER' | 'GROUP';
}

export interface OktaRoleAssignment {
  /** The assignment id (needed to unassign). */
  readonly id: string;
  readonly type: string;
  readonly label?: string;
  /** `USER`: assigned to the user (can be unassigned from them); `GROUP`: through a group they are in. */
  readonly assignmentType?: 'USER' | 'GROUP';
}

/** What an Okta write returns for the audit trail. */
export interface OktaWriteResult {
  /** `X-Okta-Request-Id` of the call that made the change (Okta support can trace it). */
  readonly requestId?: string;
}

export type LifecycleOperation =
  | 'activate'
  | 'reactivate'
  | 'deactivate'
  | 'suspend'
  | 'unsuspend'
  | 'unlock'
  | 'expire_password'
  | 'reset_password'
  | 'reset_factors';

export interface OktaDirectory {
  /** By id or login; undefined when there is no such user. */
  getUser(idOrLogin: string): Promise<OktaUser | undefined>;
  getGroup(groupId: string): Promise<OktaGroup | undefined>;
  /** A group by its exact name, or undefined. */
  findGroupByName(name: string): Promise<OktaGroup | undefined>;
  listUserGroups(userId: string): Promise<OktaGroup[]>;
  listAppLinks(userId: string): Promise<OktaAppLink[]>;
  /** The user's assignment to one app, or undefined when not assigned. */
  getAppAssignment(appId: string, userId: string): Promise<OktaAppAssignment | undefined>;
  listRoles(userId: string): Promise<OktaRoleAssignment[]>;
  /** Users matching an Okta `search` expression (e.g. `profile.department eq "Sales"`), at most `limit`. */
  searchUsers(search: string, limit: number): Promise<OktaUser[]>;
  /**
   * System Log events between two instants (a bounded query, oldest first), matching a SCIM `filter` such as
   * `actor.id eq "00u…" or target.id eq "00u…"`, at most `limit`.
   */
  listLogEvents(query: { since: string; until: string; filter?: string; limit: number }): Promise<LogEvent[]>;
}

/** An Okta app (integration) as people know it: its label. */
export interface OktaApp {
  readonly id: string;
  /** The label admins gave it (user-editable text). */
  readonly label: string;
  /** The app's kind, e.g. `salesforce`, `oidc_client`. */
  readonly name: string;
  readonly status?: string;
}

/** Apps by id (the console and the notifications name the app an action concerns). */
export interface OktaAppDirectory {
  getApp(appId: string): Promise<OktaApp | undefined>;
}

export interface OktaOperations {
  addGroupMember(groupId: string, userId: string): Promise<OktaWriteResult>;
  removeGroupMember(groupId: string, userId: string): Promise<OktaWriteResult>;
  assignApp(appId: string, userId: string): Promise<OktaWriteResult>;
  unassignApp(appId: string, userId: string): Promise<OktaWriteResult>;
  /** Lifecycle operations never ask Okta to email tokens or links back to us (`sendEmail` is true where it exists). */
  lifecycle(userId: string, operation: LifecycleOperation): Promise<OktaWriteResult>;
  clearSessions(userId: string, options: { oauthTokens: boolean }): Promise<OktaWriteResult>;
  assignRole(userId: string, roleType: string): Promise<OktaWriteResult>;
  unassignRole(userId: string, roleAssignmentId: string): Promise<OktaWriteResult>;
  updateProfile(userId: string, attributes: Readonly<Record<string, unknown>>): Promise<OktaWriteResult>;
  deleteUser(userId: string): Promise<OktaWriteResult>;
}

export type Okta = OktaDirectory & OktaOperations;

/** How a failed Okta call should be treated. */
export type OktaFailureKind =
  | 'rate_limited' // 429: try again after `retryAt`
  | 'invalid_state' // E0000038 and friends: the user's status does not allow it (now)
  | 'not_found' // E0000007: the user/group/app is gone
  | 'conflict' // 409 other than "already assigned"
  | 'already_done' // E0000062 / E0000090 / E0000263 / E0000016
  | 'misconfigured' // 401: Okta rejects hookpilot's credentials; fix them, the actions wait (retry, then the DLQ)
  | 'forbidden' // 403: the credentials may not do this; a permanent failure for this action
  | 'invalid' // 400: the request itself is wrong
  | 'transient'; // 5xx, network, timeout: retry later

/** A failed Okta call, classified. Its message is safe to audit (Okta's errorSummary can echo input; we do not keep it). */
export class OktaCallError extends Error {
  override readonly name = 'OktaCallError';
  constructor(
    readonly kind: OktaFailureKind,
    message: string,
    readonly details: {
      readonly status?: number;
      readonly errorCode?: string;
      readonly errorId?: string;
      readonly requestId?: string;
      readonly retryAt?: Date;
    } = {},
  ) {
    super(message);
  }
}

/**
 * A string literal for an Okta `search`/`filter` expression. Profile values are attacker-controlled text: quotes and
 * backslashes are escaped so a value can never end the literal and add clauses of its own.
 */
export function searchLiteral(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

// ─── The action ledger (one DynamoDB table, `store/action-ledger.ts`, implements all five) ──────────────────────────

export type ActionStatus = 'EXECUTING' | 'SUCCEEDED' | 'VOIDED' | 'FAILED' | 'DEFERRED' | 'RETRYING';
export const FINAL_STATUSES: readonly ActionStatus[] = ['SUCCEEDED', 'VOIDED', 'FAILED'];

/**
 * What a finished action's outcome audit record says, kept with its final status: a redelivery writes the record again
 * if it was lost (the audit store ignores a record it already has).
 */
export interface ActionResult {
  readonly kind: string;
  readonly summary: string;
  /** When the action finished (ISO 8601). */
  readonly at: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export type Claim =
  | { readonly outcome: 'claimed'; readonly attempt: number }
  | { readonly outcome: 'finished'; readonly status: ActionStatus; readonly result?: ActionResult }
  | { readonly outcome: 'busy' };

/** Executes each action once: the executor's claim on an action id and its final status. */
export interface ExecutionLedger {
  /**
   * Takes the action for execution: only one worker holds it at a time (a lease), and an action that has reached a
   * final status is never taken again. This is what makes a redelivered message execute once.
   */
  claim(actionId: string, now: Date, leaseMs: number, seed: Readonly<Record<string, unknown>>): Promise<Claim>;
  /** Records the final status and the outcome (request id, inverse, expiry… in its detail). */
  finish(actionId: string, status: 'SUCCEEDED' | 'VOIDED' | 'FAILED', result: ActionResult): Promise<void>;
  /** Puts the action back for later (rate limited: DEFERRED; transient failure: RETRYING). */
  release(actionId: string, status: 'DEFERRED' | 'RETRYING', now: Date): Promise<void>;
}

/** Which Okta requests hookpilot made: Okta sends each change back as an event, which the consumer recognises as ours. */
export interface RequestRegistry {
  /** Notes that an Okta request (its X-Okta-Request-Id) was made by this action, for a week. */
  rememberRequest(requestId: string, actionId: string, now: Date): Promise<void>;
  /** The action that made an Okta request, if hookpilot made it. */
  actionForRequest(requestId: string): Promise<string | undefined>;
}

/** The policy's cap on automatic actions per hour. */
export interface HourlyBudget {
  /**
   * Takes one of `cap` automatic-action slots of an hour for an action; true if it got one (or already had it). The
   * same action asking again never takes a second slot.
   */
  reserveAutoSlot(hour: string, actionId: string, cap: number, now: Date): Promise<boolean>;
}

/** The approval-fatigue guard's cap on approval requests about one user (`limits.maxPendingApprovalsPerUser`). */
export interface ApprovalQuota {
  /**
   * Takes one of `cap` approval-request slots of a subject user for an action, within a rolling window of `windowMs`
   * ending now; true if it got one (or already had it). Race-free across concurrent consumers, and the same action
   * asking again (a redelivered event) never takes a second slot.
   */
  reserveApprovalSlot(userId: string, actionId: string, cap: number, windowMs: number, now: Date): Promise<boolean>;
}

/** Keys one event holds against the others ("the joiner response for user X", a security response in its window). */
export interface Claims {
  /**
   * Claims a key for one event, for two days: undefined if this event holds it (now, or from an earlier attempt), else
   * the event that claimed it first. Race-free across concurrent consumers.
   */
  claimOnce(key: string, correlationId: string, now: Date): Promise<string | undefined>;
  /** The event holding a key claimed with `claimOnce`, if any. */
  holderOf(key: string): Promise<string | undefined>;
  /** Gives back a key this event claimed with `claimOnce` (a key another event holds is left alone). */
  releaseOnce(key: string, correlationId: string): Promise<void>;
}

// ─── The recommender ────────────────────────────────────────────────────────────────────────────────────────────────

/** Proposes actions for one event's context (a model or the rules). What it returns is untrusted until validated. */
export interface Recommender {
  readonly name: 'llm' | 'rules';
  recommend(context: RecommendationContext, policy: PolicyConfig): Promise<RecommendationResult>;
}

// ─── Approvals ──────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * THE APPROVAL SEAM. A decision that needs a human is handed to an `ApprovalGateway` with the exact action message that
 * would be queued if a human approves it (`pipeline/approvals.ts` makes it an approval request).
 */
export interface PendingApproval {
  /** Exactly what the executor would get once approved (`origin.kind` becomes `approval` then). */
  readonly message: ActionMessage;
  readonly risk: string;
  /** The recommender's stated confidence. */
  readonly confidence: number;
  /** The confidence the policy compared with its thresholds, when a calibration applied. */
  readonly calibratedConfidence?: number;
  /** What calibration did, in words (applied, or why not), when one is configured. */
  readonly calibrationNote?: string;
  readonly rationale: string;
  readonly evidence: readonly string[];
  /** The policy rule that asked for a human. */
  readonly rule: string;
  readonly reason: string;
  /** The originating Okta event's type. */
  readonly eventType?: string;
  /** Time-bound actions: how long the access is asked for (seconds). */
  readonly durationSeconds?: number;
}

export interface ApprovalGateway {
  /** Idempotent per action id. */
  submit(pending: PendingApproval): Promise<void>;
}

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

// ─── Time-bound grants ──────────────────────────────────────────────────────────────────────────────────────────────

/** The grants table (`store/grant-store.ts`): one record per time-bound grant, changed by conditional writes only. */
export interface GrantStore {
  /** Records a new grant; false when it exists already (a redelivery finds it and changes nothing). */
  create(grant: Grant): Promise<boolean>;
  get(grantId: string): Promise<Grant | undefined>;
  /** Writes `next` if the stored grant is still at `expectedVersion` (next.version = expected + 1); false otherwise. */
  update(next: Grant, expectedVersion: number): Promise<boolean>;
  /** Grants the sweeper must look at: active ones past `expiresAt`, revoking ones whose retry time has come. */
  due(now: Date, limit: number): Promise<Grant[]>;
  /** Newest first: all grants, or one user's; `activeOnly` keeps `active` and `revoking` ones. */
  list(options: { subjectUserId?: string; activeOnly?: boolean; limit: number }): Promise<Grant[]>;
}

// ─── Work claims ────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Short claims on work, so that concurrent copies of the same work do it once: the first caller to claim a key holds it
 * until it releases it or the claim's time runs out; meanwhile nobody else can claim it.
 */
export interface WorkClaims {
  /** Claims every key that is free (never claimed, released, or expired); returns the keys `holder` now holds. */
  claim(keys: readonly string[], holder: string, until: Date): Promise<Set<string>>;
  /** Gives back keys `holder` holds (best effort: an unreleased claim simply runs out). */
  release(keys: readonly string[], holder: string): Promise<void>;
}

// ─── Access tokens: approvers', and Okta's for inline hooks ───────────────────────────────────────────────────────

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

// ── Inline hooks ─────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * An optional risk screen of a registration (a model behind an OpenAI-compatible API). It sees the submitted values as
 * data and says `deny` or `allow`; the registration use case lets it only tighten the rules' answer (deny what they
 * allow), never loosen it. It runs under a hard timeout and its failure leaves the rules' answer.
 */
export interface RegistrationScreen {
  screen(
    input: { readonly kind: 'registration' | 'progressive'; readonly attributes: Readonly<Record<string, string>> },
    signal: AbortSignal,
  ): Promise<{ readonly verdict: 'allow' | 'deny'; readonly reason?: string }>;
}

/**
 * The user's active time-bound grants (the grants table), as entitlement names (`group:<groupId>`, `app:<appId>`,
 * `role:<roleType>`), for the token and SAML hooks. Implemented by `store/active-grants.ts` with one DynamoDB query;
 * `signal` aborts it when the hook's budget runs out (docs/inline-hooks.md, "Time-bound grants").
 */
export interface ActiveGrants {
  entitlementsOf(userId: string, at: Date, signal: AbortSignal): Promise<readonly string[]>;
}

// ─── Inline hooks: telephony and password import ────────────────────────────────────────────────────────────────────

/** One OTP message to deliver. `text` holds the OTP: it goes to the provider and nowhere else (never logged). */
export interface OtpMessage {
  /** E.164, e.g. `+14155550142`. */
  readonly phoneNumber: string;
  readonly channel: 'SMS' | 'VOICE';
  readonly text: string;
  readonly locale?: string;
}

/** What a provider says once it has accepted a message. */
export interface ProviderReceipt {
  /** The provider's id for the message (Twilio's SID, the gateway's id). */
  readonly transactionId: string;
}

/**
 * An SMS/voice provider. `send` resolves only once the provider accepted the message; it rejects on a refusal, a
 * network error or when `signal` aborts (the hook's budget ran out). Its errors never carry the message text.
 */
export interface TelephonyProvider {
  /** The name Okta records as `provider` (e.g. `twilio`, `acme-sms-gw`). */
  readonly name: string;
  send(message: OtpMessage, signal: AbortSignal): Promise<ProviderReceipt>;
}

/**
 * Fixed-window counters, race-free (conditional writes): `take` counts one use of `key` and says whether it was within
 * `limit` for the current window of `windowSeconds`. A refused take counts nothing.
 */
export interface RateLimiter {
  take(key: string, limit: number, windowSeconds: number, now: Date): Promise<boolean>;
}

/** A legacy password hash waiting for the user's first sign-in (see `domain/legacy-hash.ts`). */
export interface LegacyHashStore {
  get(login: string): Promise<LegacyHashRecord | undefined>;
  /** Writes or replaces the records (an import run may be repeated). */
  put(records: readonly LegacyHashRecord[]): Promise<void>;
  /** Deletes the record of `login`; a missing one is no error. */
  delete(login: string): Promise<void>;
  /** Every record whose import's sunset is at or before `at`, by login. */
  pastSunset(at: string): Promise<LegacyHashRecord[]>;
}

// ─── The approvals console ──────────────────────────────────────────────────────────────────────────────────────────

/**
 * A signed-in approver's console session, kept server-side (the browser holds only a random id). It lives no longer
 * than the access token obtained at sign-in: the identity is that token's, verified by the approvals API's verifier.
 */
export interface ConsoleSession {
  /** The SHA-256 of the cookie's random id (the table never holds a usable session cookie). */
  readonly idHash: string;
  readonly userId: string;
  readonly login: string;
  readonly groups: readonly string[];
  /** The access token's `jti` (for the logs and the audit trail; the token itself is never kept). */
  readonly tokenId: string;
  /** The synchronizer token every POST must carry. */
  readonly csrfToken: string;
  readonly createdAt: string;
  /** The access token's expiry: after it, the approver signs in again. */
  readonly expiresAt: string;
  /** A one-time message for the next page (after a POST's redirect). */
  readonly flash?: { readonly kind: 'success' | 'error'; readonly text: string };
}

/** A sign-in under way: what the callback must match (state, nonce) and prove (the PKCE verifier). Single use. */
export interface PendingSignIn {
  readonly idHash: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** The console page to return to (a path under the console, checked before it was stored). */
  readonly returnTo: string;
  readonly expiresAt: string;
}

export interface ConsoleSessionStore {
  putSession(session: ConsoleSession): Promise<void>;
  getSession(idHash: string): Promise<ConsoleSession | undefined>;
  /** Sets (or clears, with undefined) the session's flash message. */
  setFlash(idHash: string, flash: ConsoleSession['flash'] | undefined): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  putSignIn(pending: PendingSignIn): Promise<void>;
  /** Returns and deletes it (one callback per sign-in); undefined when unknown or already taken. */
  takeSignIn(idHash: string): Promise<PendingSignIn | undefined>;
}

/** OpenID Connect authorization code + PKCE against the approvers' authorization server (a maintained client library). */
export interface OidcSignIn {
  /** Where to send the browser, and the secrets the callback needs (kept server-side in the pending sign-in). */
  begin(redirectUri: string): Promise<{ url: string; state: string; nonce: string; codeVerifier: string }>;
  /** Exchanges the code in `callbackUrl` (checking state, nonce and PKCE) for the access token. */
  complete(
    callbackUrl: URL,
    expected: { readonly state: string; readonly nonce: string; readonly codeVerifier: string },
  ): Promise<{ readonly accessToken: string }>;
}

// ─── Notifications (the notifier: `pipeline/notify.ts`; channels in `notify/`) ─────────────────────────────────────

/**
 * Who a notification is for. `approvers`: the people asked to decide (every step of a request, so a channel that edits
 * its earlier message can close the call to action); `outcome`: the requesting side and the subject user's manager
 * (the decision and what the executor did); `grant-ended`: the same side, told that time-bound access has ended.
 * Which step goes to whom is one table: `WHO_HEARS` in `pipeline/notify.ts` (docs/notifications.md).
 */
export const NOTIFICATION_AUDIENCES = ['approvers', 'outcome', 'grant-ended'] as const;
export type NotificationAudience = (typeof NOTIFICATION_AUDIENCES)[number];

/** An Okta user as a notification names them. Display names are profile text: attacker-controlled, render as text. */
export interface NotificationPerson {
  readonly id: string;
  readonly login?: string;
  /** `firstName lastName` (or `displayName`) from the profile, when it has one. */
  readonly displayName?: string;
  readonly email?: string;
}

/** A labelled fact for a message's fact list (`Risk: high`, `Subject: Jane Doe (jane@…)`), in display order. */
export interface NotificationFact {
  readonly label: string;
  readonly value: string;
}

/**
 * One approval lifecycle step for one audience, with everything a human needs resolved once by the use case (names
 * from Okta, the request's facts from the approvals table, the console link), so channels only render and send.
 * Every string that came from Okta or the model is untrusted text: channels must escape it for their format.
 */
export interface Notification {
  /** The delivery id: `<CloudEvent id>/<audience>` — one delivery record per (id, channel); a `perEvent` channel's record is keyed by the CloudEvent id alone. */
  readonly id: string;
  readonly audience: NotificationAudience;
  /** The lifecycle step exactly as the outbox holds it (`event.id` is the CloudEvent id). */
  readonly event: ApprovalEvent;
  /** The CloudEvent exactly as published on the approval queue (the generic webhook posts it as is). */
  readonly cloudEvent: ApprovalCloudEvent;
  readonly step: ApprovalStep;
  readonly approvalId: string;
  /** The request's state after this step. */
  readonly state: ApprovalState;
  /** One line for a title or a push notification, e.g. `Approval needed: add Jane Doe to the group "Admins"`. */
  readonly headline: string;
  /** What happened at this step, in words with names, e.g. `Approved by alice@example.com`, `Expired with 1 of 2 approvals`. */
  readonly status: string;
  /** The action in words with names (`add Jane Doe (jane@example.com) to the group "Admins"`), and as queued. */
  readonly action: { readonly type: string; readonly text: string; readonly params: Readonly<Record<string, unknown>> };
  readonly subject?: NotificationPerson;
  /** The subject user's manager (Okta `managerId` → that user), resolved for the outcome audiences. */
  readonly manager?: NotificationPerson;
  readonly risk: 'low' | 'medium' | 'high' | 'critical';
  /** From the request (present on every step, not only `requested`). */
  readonly confidence?: number;
  readonly rationale?: string;
  readonly evidence: readonly string[];
  /** The policy rule that asked for a human, and its reason. */
  readonly rule?: string;
  /** Why this step happened, when the step has a reason (a rejection's reason, why it was voided or failed…). */
  readonly reason?: string;
  /** The Okta logins of the approvers who decided so far (approved: all of them; rejected: the one who rejected). */
  readonly decidedBy: readonly string[];
  /** Approvals still missing (pending steps), for "1 of 2 approvals". */
  readonly approvalsMissing?: number;
  /** When the request expires (RFC 3339). */
  readonly expiresAt: string;
  /** Time-bound actions: how long the access is (asked for, or granted once approved), in seconds. */
  readonly durationSeconds?: number;
  /** Okta's request id, once executed. */
  readonly oktaRequestId?: string;
  /** `<consoleBaseUrl>/console/approvals/<approvalId>`: where a human reads and decides it (behind Okta sign-in). */
  readonly consoleUrl: string;
  /** The facts above as ordered label/value pairs, for cards and field lists. */
  readonly facts: readonly NotificationFact[];
}

/** What a channel says about one delivery. Never a secret, token or webhook URL. */
export interface DeliveryResult {
  /** `sent`: something was posted or edited; `skipped`: the channel had nothing to do for it (e.g. no destination). */
  readonly outcome: 'sent' | 'skipped';
  /** A short, safe description: `posted to #approvals`, `edited message 1712345.000100`, `no destination for outcome`. */
  readonly detail?: string;
}

/**
 * A delivery that failed but may succeed later: 5xx, 429 (with its `Retry-After`, in seconds), a network error, a
 * timeout. The notifier leaves the message on the queue (it comes back after its visibility timeout, then the DLQ).
 * Any error a channel throws that is not a `PermanentDeliveryError` is treated as retryable.
 */
export class RetryableDeliveryError extends Error {
  override readonly name = 'RetryableDeliveryError';
  constructor(
    readonly channel: string,
    /** Safe to log: never the URL, token or the receiver's body. */
    readonly reason: string,
    readonly details: { readonly httpStatus?: number; readonly retryAfterSeconds?: number } = {},
  ) {
    super(`${channel}: ${reason}`);
  }
}

/**
 * A delivery that will never succeed as configured: 400/401/403/404/410 and the like (a revoked token, a deleted
 * channel, workflow or URL). The notifier records and logs it once, with the channel and the reason, and does not
 * retry it; fixing the configuration is the way out.
 */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
  constructor(
    readonly channel: string,
    /** Safe to log: never the URL, token or the receiver's body (a platform error code like `channel_not_found` is fine). */
    readonly reason: string,
    readonly details: { readonly httpStatus?: number } = {},
  ) {
    super(`${channel}: ${reason}`);
  }
}

/**
 * A place notifications go: Slack, Teams, a signed webhook. `deliver` posts (or edits) what the notification says,
 * resolving when the platform accepted it; it throws `PermanentDeliveryError` or (anything else) a retryable failure.
 * It is called at most once per (notification id, channel) that succeeded — the notifier's delivery record sees to it.
 */
export interface NotificationChannel {
  /** Unique among the configured channels, stable (it is part of the delivery record's key): `slack`, `teams`, `webhook`. */
  readonly name: string;
  /** The audiences this channel has a destination for; the notifier only hands it notifications for these. */
  readonly audiences: readonly NotificationAudience[];
  /**
   * `true` when what this channel sends does not depend on the audience (the webhook posts the event's CloudEvent):
   * the notifier then delivers each event to it once — if any of its audiences hears the step — under a delivery
   * record keyed by the event id, instead of once per audience.
   */
  readonly perEvent?: boolean;
  deliver(notification: Notification): Promise<DeliveryResult>;
}

export type DeliveryBegin =
  /** Yours: send it, then `delivered` / `refused`, or `release` on a retryable failure. */
  | { readonly outcome: 'claimed' }
  /** Sent before (a redelivered queue message): do nothing. */
  | { readonly outcome: 'delivered' }
  /** Refused permanently before: reported then, do nothing. */
  | { readonly outcome: 'refused' }
  /** Another worker is sending it right now: try again later. */
  | { readonly outcome: 'busy' };

/**
 * One record per (notification id, channel), changed by conditional writes only, so a redelivered queue message never
 * sends twice and two workers never send the same delivery at once (`store/notification-ledger.ts`).
 */
export interface DeliveryLedger {
  /** Claims the delivery for `leaseMs` (absent, or released, or its lease has run out), or says why not. */
  begin(notificationId: string, channel: string, now: Date, leaseMs: number): Promise<DeliveryBegin>;
  /** Records success (only by the claim's holder; afterwards `begin` answers `delivered` for good). */
  delivered(notificationId: string, channel: string, result: DeliveryResult, now: Date): Promise<void>;
  /** Records a permanent refusal with its safe reason (afterwards `begin` answers `refused`). */
  refused(notificationId: string, channel: string, reason: string, now: Date): Promise<void>;
  /** Gives the claim back after a retryable failure, so the queue's next attempt can claim it at once. */
  release(notificationId: string, channel: string): Promise<void>;
}

/**
 * A channel's own state about one approval request (Slack: the channel and `ts` of the message it edits on each later
 * step), versioned: a write succeeds only over the version read, so concurrent steps never lose each other's update.
 */
export interface ChannelStateStore {
  get(
    approvalId: string,
    channel: string,
  ): Promise<{ readonly state: Readonly<Record<string, unknown>>; readonly version: number } | undefined>;
  /**
   * Writes `state` as version `expectedVersion + 1` if the stored version is `expectedVersion` (`undefined`: only if no
   * record exists yet). False when another write got there first: re-read and decide again.
   */
  put(
    approvalId: string,
    channel: string,
    state: Readonly<Record<string, unknown>>,
    expectedVersion: number | undefined,
  ): Promise<boolean>;
}
