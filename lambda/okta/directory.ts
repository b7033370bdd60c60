import type { LogEvent } from './event-hook.ts';

/**
 * What hookpilot needs from an Okta org, as small interfaces over plain types (not SDK models). The SDK adapter
 * (`okta-sdk-adapter.ts`) implements them; use cases and the action catalog depend only on these.
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
