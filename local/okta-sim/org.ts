import { type Clock, iso } from './clock.ts';
import { E, type OktaError } from './errors.ts';
import { newId, stableId } from './ids.ts';
import type { GroupType, Seed, StandardRoleType, UserStatus } from './seed.ts';
import { STANDARD_ROLE_TYPES } from './seed.ts';
import type { LogContext, LogEventInput, LogTarget, SystemLog } from './system-log.ts';

/**
 * The org's state and every operation that changes it. Each operation checks what Okta checks, applies the change and
 * appends the System Log events Okta would (docs/okta-protocol.md §3.1–3.2). Rendering to Okta JSON lives in
 * `render.ts`.
 */

export interface UserRecord {
  id: string;
  status: UserStatus;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  profile: Record<string, unknown>;
  hasPassword: boolean;
  recoveryQuestion: string | null;
  typeId: string;
  factors: string[];
  failedSignIns: number;
  sessions: number;
}

export interface GroupRecord {
  id: string;
  type: GroupType;
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  profile: Record<string, unknown>;
  sourceAppId?: string;
  /** Explicit members (the BUILT_IN group's members are every user, computed). */
  members: Set<string>;
}

export interface DirectAssignment {
  created: string;
  lastUpdated: string;
  statusChanged: string;
  profile: Record<string, unknown>;
  userName?: string;
}

export interface GroupAssignment {
  created: string;
  lastUpdated: string;
  priority: number;
}

export interface AppRecord {
  id: string;
  name: string;
  label: string;
  signOnMode: string;
  status: 'ACTIVE' | 'INACTIVE';
  created: string;
  lastUpdated: string;
  features: string[];
  users: Map<string, DirectAssignment>;
  groups: Map<string, GroupAssignment>;
}

export type RoleType = StandardRoleType | 'CUSTOM';

export interface RoleRecord {
  id: string;
  type: RoleType;
  created: string;
  lastUpdated: string;
  userId?: string;
  groupId?: string;
  /** CUSTOM roles: the role id and resource set id. */
  role?: string;
  resourceSet?: string;
}

export type AppScope = 'USER' | 'GROUP';

/**
 * The lifecycle operations of `POST /api/v1/users/{id}/lifecycle/{op}` and where each may start (docs/okta-protocol.md
 * §3.1).
 */
export const LIFECYCLE_FROM: Readonly<Record<LifecycleOperation, readonly UserStatus[]>> = {
  activate: ['STAGED', 'DEPROVISIONED'],
  reactivate: ['PROVISIONED', 'RECOVERY'],
  deactivate: ['STAGED', 'PROVISIONED', 'ACTIVE', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED'],
  suspend: ['ACTIVE'],
  unsuspend: ['SUSPENDED'],
  // Okta also accepts unlock on an ACTIVE user (to clear an unknown-device block); it changes nothing here.
  unlock: ['LOCKED_OUT', 'ACTIVE'],
  // Okta does not document these three; the simulator's choice (docs/okta-simulator.md).
  expire_password: ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY'],
  expire_password_with_temp_password: ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY'],
  reset_password: ['ACTIVE', 'RECOVERY', 'PASSWORD_EXPIRED', 'LOCKED_OUT'],
  reset_factors: ['PROVISIONED', 'ACTIVE', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED'],
};

export type LifecycleOperation =
  | 'activate'
  | 'reactivate'
  | 'deactivate'
  | 'suspend'
  | 'unsuspend'
  | 'unlock'
  | 'expire_password'
  | 'expire_password_with_temp_password'
  | 'reset_password'
  | 'reset_factors';

export const LIFECYCLE_OPERATIONS = Object.keys(LIFECYCLE_FROM) as LifecycleOperation[];

export const ROLE_LABELS: Readonly<Record<RoleType, string>> = {
  SUPER_ADMIN: 'Super Administrator',
  ORG_ADMIN: 'Organization Administrator',
  APP_ADMIN: 'Application Administrator',
  USER_ADMIN: 'Group Administrator',
  HELP_DESK_ADMIN: 'Help Desk Administrator',
  READ_ONLY_ADMIN: 'Read-only Administrator',
  GROUP_MEMBERSHIP_ADMIN: 'Group Membership Administrator',
  API_ACCESS_MANAGEMENT_ADMIN: 'API Access Management Administrator',
  REPORT_ADMIN: 'Report Administrator',
  WORKFLOWS_ADMIN: 'Workflows Administrator',
  ACCESS_CERTIFICATIONS_ADMIN: 'Access Certifications Administrator',
  ACCESS_REQUESTS_ADMIN: 'Access Requests Administrator',
  CUSTOM: 'Custom Role',
};

/** Default Okta user schema: attributes every user must have (Okta's base profile). */
const REQUIRED_PROFILE = ['login', 'email', 'firstName', 'lastName'] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_GROUP_IDS_ON_CREATE = 20;

export interface OrgOptions {
  /** `POST /api/v1/apps/{id}/users` for a user already assigned: `idempotent` (200, the default) or `conflict` (409). */
  duplicateAppAssignment: 'idempotent' | 'conflict';
  /** Failed sign-ins (through the control API) before an ACTIVE user is LOCKED_OUT. */
  lockoutAttempts: number;
}

export interface CreateUserInput {
  profile?: unknown;
  credentials?: unknown;
  groupIds?: unknown;
  type?: unknown;
}

/** The result of a lifecycle operation: what the endpoint returns (token/link objects) besides the new state. */
export type LifecycleResult = { kind: 'empty' } | { kind: 'user' } | { kind: 'json'; body: Record<string, unknown> };

export class Org {
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();
  readonly apps = new Map<string, AppRecord>();
  readonly roles = new Map<string, RoleRecord>();
  /** Stable AppUser ids (`0ua…`), per app and user. */
  private readonly assignmentIds = new Map<string, string>();
  readonly everyoneId: string;
  readonly orgName: string;
  readonly defaultTypeId: string;

  constructor(
    seed: Seed,
    private readonly clock: Clock,
    private readonly log: SystemLog,
    readonly options: OrgOptions,
    private readonly orgUrl: () => string,
  ) {
    this.orgName = seed.org.name;
    this.defaultTypeId = seed.userTypeId;
    const orgCreated = seed.org.created;
    for (const u of seed.users) {
      const created = u.created ?? orgCreated;
      const activatedStatus = u.status !== 'STAGED' && u.status !== 'PROVISIONED';
      const hasPassword = u.password ?? (u.status !== 'STAGED' && u.status !== 'PROVISIONED');
      this.users.set(u.id, {
        id: u.id,
        status: u.status,
        created,
        activated: u.activated !== undefined ? u.activated : activatedStatus ? created : null,
        statusChanged: u.statusChanged !== undefined ? u.statusChanged : activatedStatus ? created : null,
        lastLogin: u.lastLogin ?? null,
        lastUpdated: u.lastUpdated ?? created,
        passwordChanged: u.passwordChanged !== undefined ? u.passwordChanged : hasPassword ? created : null,
        profile: structuredClone(u.profile),
        hasPassword,
        recoveryQuestion: u.recoveryQuestion ?? null,
        typeId: seed.userTypeId,
        factors: [...u.factors],
        failedSignIns: 0,
        sessions: 0,
      });
    }
    const seededEveryone = seed.groups.find((g) => g.type === 'BUILT_IN');
    this.everyoneId = seededEveryone?.id ?? stableId('group', `${seed.org.name}:Everyone`);
    if (!seededEveryone) {
      this.groups.set(this.everyoneId, {
        id: this.everyoneId,
        type: 'BUILT_IN',
        created: orgCreated,
        lastUpdated: orgCreated,
        lastMembershipUpdated: orgCreated,
        profile: { name: 'Everyone', description: 'All users in your organization' },
        members: new Set(),
      });
    }
    for (const g of seed.groups) {
      const created = g.created ?? orgCreated;
      this.groups.set(g.id, {
        id: g.id,
        type: g.type,
        created,
        lastUpdated: created,
        lastMembershipUpdated: created,
        profile: { description: null, ...structuredClone(g.profile) },
        ...(g.sourceAppId ? { sourceAppId: g.sourceAppId } : {}),
        members: new Set(g.type === 'BUILT_IN' ? [] : g.members),
      });
    }
    for (const a of seed.apps) {
      const created = a.created ?? orgCreated;
      const app: AppRecord = {
        id: a.id,
        name: a.name,
        label: a.label,
        signOnMode: a.signOnMode,
        status: a.status,
        created,
        lastUpdated: created,
        features: [...a.features],
        users: new Map(),
        groups: new Map(),
      };
      for (const entry of a.users) {
        const id = typeof entry === 'string' ? entry : entry.id;
        const profile = typeof entry === 'string' ? {} : structuredClone(entry.profile ?? {});
        app.users.set(id, { created, lastUpdated: created, statusChanged: created, profile });
      }
      a.groups.forEach((g, priority) => {
        app.groups.set(g, { created, lastUpdated: created, priority });
      });
      this.apps.set(a.id, app);
    }
    for (const r of seed.adminRoles) {
      const created = r.created ?? orgCreated;
      const id = stableId('roleAssignment', `${r.userId ?? r.groupId}:${r.type}`);
      this.roles.set(id, {
        id,
        type: r.type,
        created,
        lastUpdated: created,
        ...(r.userId ? { userId: r.userId } : {}),
        ...(r.groupId ? { groupId: r.groupId } : {}),
      });
    }
  }

  private now(): string {
    return iso(this.clock());
  }

  // ---- lookups ---------------------------------------------------------------------------------------------------

  /** A user by id, login (case-insensitive) or unambiguous login short name, as `GET /api/v1/users/{id}` accepts. */
  findUser(idOrLogin: string): UserRecord | undefined {
    const byId = this.users.get(idOrLogin);
    if (byId) return byId;
    const wanted = idOrLogin.toLowerCase();
    const users = [...this.users.values()];
    const byLogin = users.find((u) => String(u.profile.login).toLowerCase() === wanted);
    if (byLogin) return byLogin;
    if (wanted.includes('@')) return undefined;
    const byShort = users.filter((u) => String(u.profile.login).toLowerCase().split('@')[0] === wanted);
    return byShort.length === 1 ? byShort[0] : undefined;
  }

  user(idOrLogin: string): UserRecord {
    const user = this.findUser(idOrLogin);
    if (!user) throw E.notFound(idOrLogin, 'User');
    return user;
  }

  group(id: string): GroupRecord {
    const group = this.groups.get(id);
    if (!group) throw E.notFound(id, 'UserGroup');
    return group;
  }

  app(id: string): AppRecord {
    const app = this.apps.get(id);
    if (!app) throw E.notFound(id, 'AppInstance');
    return app;
  }

  isMember(group: GroupRecord, userId: string): boolean {
    return group.type === 'BUILT_IN' ? this.users.has(userId) : group.members.has(userId);
  }

  groupMemberIds(group: GroupRecord): string[] {
    return group.type === 'BUILT_IN' ? [...this.users.keys()] : [...group.members].filter((id) => this.users.has(id));
  }

  userGroups(userId: string): GroupRecord[] {
    return [...this.groups.values()].filter((g) => this.isMember(g, userId));
  }

  /** The stable AppUser id (`0ua…`) for a user's assignment to an app. */
  assignmentId(appId: string, userId: string): string {
    const key = `${appId}:${userId}`;
    let id = this.assignmentIds.get(key);
    if (!id) {
      id = stableId('appAssignment', key);
      this.assignmentIds.set(key, id);
    }
    return id;
  }

  /** How a user has each app: directly (USER) or through a group (GROUP). Deactivated users have no apps. */
  appAccess(userId: string): Map<string, AppScope> {
    const access = new Map<string, AppScope>();
    const user = this.users.get(userId);
    if (!user || user.status === 'DEPROVISIONED') return access;
    const groupIds = new Set(this.userGroups(userId).map((g) => g.id));
    for (const app of this.apps.values()) {
      if (app.users.has(userId)) access.set(app.id, 'USER');
      else if ([...app.groups.keys()].some((g) => groupIds.has(g))) access.set(app.id, 'GROUP');
    }
    return access;
  }

  /** The users who have an app, with how they have it. */
  appUsers(app: AppRecord): Array<{ user: UserRecord; scope: AppScope }> {
    const out: Array<{ user: UserRecord; scope: AppScope }> = [];
    for (const user of this.users.values()) {
      const scope = this.appAccess(user.id).get(app.id);
      if (scope) out.push({ user, scope });
    }
    return out;
  }

  /** When a user got an app through a group: the latest of the group assignment and (unknown here) membership. */
  groupGrant(app: AppRecord, userId: string): GroupAssignment | undefined {
    const groupIds = new Set(this.userGroups(userId).map((g) => g.id));
    return [...app.groups.entries()].find(([g]) => groupIds.has(g))?.[1];
  }

  userRoles(userId: string): RoleRecord[] {
    const groupIds = new Set(this.userGroups(userId).map((g) => g.id));
    return [...this.roles.values()].filter(
      (r) => r.userId === userId || (r.groupId !== undefined && groupIds.has(r.groupId)),
    );
  }

  // ---- log targets ---------------------------------------------------------------------------------------------

  userTarget(user: UserRecord): LogTarget {
    return {
      id: user.id,
      type: 'User',
      alternateId: String(user.profile.login),
      displayName: displayName(user),
      detailEntry: null,
    };
  }

  groupTarget(group: GroupRecord): LogTarget {
    return {
      id: group.id,
      type: 'UserGroup',
      alternateId: 'unknown',
      displayName: String(group.profile.name),
      detailEntry: null,
    };
  }

  appTarget(app: AppRecord): LogTarget {
    return { id: app.id, type: 'AppInstance', alternateId: app.label, displayName: app.label, detailEntry: null };
  }

  private emit(ctx: LogContext, input: LogEventInput): void {
    this.log.append(ctx, input);
  }

  // ---- users -----------------------------------------------------------------------------------------------------

  createUser(
    ctx: LogContext,
    input: CreateUserInput,
    options: { activate: boolean; nextLogin?: string | null },
  ): UserRecord {
    const profile = validateProfile(input.profile, 'create');
    this.assertLoginFree(String(profile.login));
    const credentials = parseCredentials(input.credentials, profile);
    const groupIds = parseGroupIds(input.groupIds);
    if (groupIds.length > MAX_GROUP_IDS_ON_CREATE) throw E.tooManyGroups();
    const groups = groupIds.map((id) => {
      const group = this.group(id);
      if (group.type !== 'OKTA_GROUP') throw appGroupRefusal(group);
      return group;
    });
    const expirePassword = options.nextLogin === 'changePassword';
    if (expirePassword && !credentials.password) throw E.expiredPasswordNeedsPassword();
    if (expirePassword && !options.activate) throw E.expiredPasswordNeedsActivation();
    const now = this.now();
    const typeId = typeIdOf(input.type) ?? this.defaultTypeId;
    const status: UserStatus = !options.activate
      ? 'STAGED'
      : expirePassword
        ? 'PASSWORD_EXPIRED'
        : credentials.password
          ? 'ACTIVE'
          : 'PROVISIONED';
    const user: UserRecord = {
      id: newId('user'),
      status,
      created: now,
      activated: status === 'ACTIVE' || status === 'PASSWORD_EXPIRED' ? now : null,
      statusChanged: status === 'STAGED' ? null : now,
      lastLogin: null,
      lastUpdated: now,
      passwordChanged: credentials.password ? now : null,
      profile,
      hasPassword: credentials.password,
      recoveryQuestion: credentials.recoveryQuestion,
      typeId,
      factors: [],
      failedSignIns: 0,
      sessions: 0,
    };
    // The new user gets the apps of Everyone and of the groupIds: those app assignments are logged too.
    this.withAppDiff(ctx, [user.id], () => {
      this.users.set(user.id, user);
      this.emit(ctx, { eventType: 'user.lifecycle.create', target: [this.userTarget(user)] });
      if (options.activate) this.emit(ctx, { eventType: 'user.lifecycle.activate', target: [this.userTarget(user)] });
      for (const group of groups) {
        if (group.members.has(user.id)) continue;
        group.members.add(user.id);
        group.lastMembershipUpdated = now;
        this.emit(ctx, {
          eventType: 'group.user_membership.add',
          target: [this.userTarget(user), this.groupTarget(group)],
        });
      }
    });
    return user;
  }

  private assertLoginFree(login: string, exceptId?: string): void {
    const taken = [...this.users.values()].some(
      (u) => u.id !== exceptId && String(u.profile.login).toLowerCase() === login.toLowerCase(),
    );
    if (taken) {
      throw E.validation('login', ['login: An object with this field already exists in the current organization']);
    }
  }

  /** `POST /api/v1/users/{id}` (partial) or `PUT` (replace): profile and credentials. */
  updateUser(ctx: LogContext, user: UserRecord, input: CreateUserInput, mode: 'partial' | 'replace'): UserRecord {
    if (user.status === 'DEPROVISIONED') throw E.wrongStatus('Updating a user', user.status);
    let nextProfile = user.profile;
    if (input.profile !== undefined || mode === 'replace') {
      if (mode === 'replace') {
        nextProfile = validateProfile(input.profile, 'replace');
      } else {
        if (!isObject(input.profile)) throw E.validation('profile', ['profile: must be an object']);
        nextProfile = validateProfile({ ...user.profile, ...input.profile }, 'update');
      }
      this.assertLoginFree(String(nextProfile.login), user.id);
    }
    const credentials = input.credentials === undefined ? undefined : parseCredentials(input.credentials, nextProfile);
    const changed = changedAttributes(user.profile, nextProfile);
    const now = this.now();
    if (changed.length > 0) {
      user.profile = nextProfile;
      user.lastUpdated = now;
      this.emit(ctx, {
        eventType: 'user.account.update_profile',
        target: [this.userTarget(user)],
        debugData: { changedAttributes: changed.join(',') },
      });
    }
    if (credentials?.recoveryQuestion) {
      user.recoveryQuestion = credentials.recoveryQuestion;
      user.lastUpdated = now;
    }
    if (credentials?.password) {
      user.hasPassword = true;
      user.passwordChanged = now;
      user.lastUpdated = now;
      this.emit(ctx, { eventType: 'user.account.update_password', target: [this.userTarget(user)] });
      // An admin-set password completes a pending credential flow (simulator choice, docs/okta-simulator.md).
      if (user.status === 'PASSWORD_EXPIRED' || user.status === 'RECOVERY' || user.status === 'PROVISIONED') {
        this.setStatus(user, 'ACTIVE');
      }
    }
    return user;
  }

  private setStatus(user: UserRecord, status: UserStatus): void {
    const now = this.now();
    if (status === 'ACTIVE' && user.activated === null) user.activated = now;
    user.status = status;
    user.statusChanged = now;
    user.lastUpdated = now;
  }

  private refuse(operation: LifecycleOperation, user: UserRecord): OktaError {
    if (operation === 'activate') return E.alreadyActive();
    if (operation === 'unlock') return E.unlockNotAllowed();
    return E.wrongStatus(operation, user.status);
  }

  /** `POST /api/v1/users/{id}/lifecycle/{operation}`. */
  lifecycle(
    ctx: LogContext,
    user: UserRecord,
    operation: LifecycleOperation,
    params: { sendEmail?: boolean; revokeSessions?: boolean },
  ): LifecycleResult {
    if (!LIFECYCLE_FROM[operation].includes(user.status)) throw this.refuse(operation, user);
    const target = () => [this.userTarget(user)];
    const token = () => ({
      activationUrl: `${this.orgUrl()}/welcome/${newId('session').slice(3)}`,
      activationToken: newId('session').slice(3),
    });
    switch (operation) {
      case 'activate': {
        // STAGED users with a password go straight to ACTIVE; others wait in PROVISIONED for the welcome flow.
        // A DEPROVISIONED user always restarts activation (docs/okta-protocol.md §3.1 diagram).
        const next = user.status === 'STAGED' && user.hasPassword ? 'ACTIVE' : 'PROVISIONED';
        this.withAppDiff(ctx, [user.id], () => {
          if (user.status === 'DEPROVISIONED') user.hasPassword = false;
          this.setStatus(user, next);
          this.emit(ctx, { eventType: 'user.lifecycle.activate', target: target() });
        });
        return params.sendEmail === false ? { kind: 'json', body: token() } : { kind: 'json', body: {} };
      }
      case 'reactivate':
        this.setStatus(user, 'PROVISIONED');
        this.emit(ctx, { eventType: 'user.lifecycle.reactivate', target: target() });
        return params.sendEmail === false ? { kind: 'json', body: token() } : { kind: 'json', body: {} };
      case 'deactivate':
        this.deactivate(ctx, user);
        return { kind: 'empty' };
      case 'suspend':
        this.setStatus(user, 'SUSPENDED');
        user.sessions = 0;
        this.emit(ctx, { eventType: 'user.lifecycle.suspend', target: target() });
        return { kind: 'empty' };
      case 'unsuspend':
        this.setStatus(user, 'ACTIVE');
        this.emit(ctx, { eventType: 'user.lifecycle.unsuspend', target: target() });
        return { kind: 'empty' };
      case 'unlock':
        if (user.status === 'LOCKED_OUT') {
          this.setStatus(user, 'ACTIVE');
          user.failedSignIns = 0;
          this.emit(ctx, { eventType: 'user.account.unlock_by_admin', target: target() });
        }
        return { kind: 'empty' };
      case 'expire_password':
      case 'expire_password_with_temp_password': {
        this.setStatus(user, 'PASSWORD_EXPIRED');
        user.failedSignIns = 0;
        let body: Record<string, unknown> | undefined;
        if (operation === 'expire_password_with_temp_password') {
          user.hasPassword = true;
          user.passwordChanged = this.now();
          if (params.revokeSessions) user.sessions = 0;
          body = { tempPassword: `Tmp-${newId('session').slice(3, 15)}` };
        }
        this.emit(ctx, { eventType: 'user.account.expire_password', target: target() });
        return body ? { kind: 'json', body } : { kind: 'user' };
      }
      case 'reset_password':
        if (params.sendEmail === undefined) throw E.missingParameter('sendEmail');
        this.setStatus(user, 'RECOVERY');
        user.failedSignIns = 0;
        if (params.revokeSessions) user.sessions = 0;
        this.emit(ctx, { eventType: 'user.account.reset_password', target: target() });
        return params.sendEmail
          ? { kind: 'json', body: {} }
          : {
              kind: 'json',
              body: { resetPasswordUrl: `${this.orgUrl()}/reset_password/${newId('session').slice(3)}` },
            };
      case 'reset_factors':
        if (user.factors.length > 0) {
          user.factors = [];
          user.lastUpdated = this.now();
          this.emit(ctx, { eventType: 'user.mfa.factor.reset_all', target: target() });
        }
        return { kind: 'empty' };
    }
  }

  private deactivate(ctx: LogContext, user: UserRecord): void {
    this.withAppDiff(ctx, [user.id], () => {
      this.setStatus(user, 'DEPROVISIONED');
      user.sessions = 0;
      user.failedSignIns = 0;
      this.emit(ctx, { eventType: 'user.lifecycle.deactivate', target: [this.userTarget(user)] });
      // Deactivation deprovisions the user from every app: direct assignments are removed for good.
      for (const app of this.apps.values()) app.users.delete(user.id);
    });
  }

  /** `DELETE /api/v1/users/{id}`: deactivates a user that is not yet DEPROVISIONED; deletes one that is. */
  deleteUser(ctx: LogContext, user: UserRecord): 'deactivated' | 'deleted' {
    if (user.status !== 'DEPROVISIONED') {
      this.deactivate(ctx, user);
      return 'deactivated';
    }
    const target = [this.userTarget(user)];
    this.emit(ctx, { eventType: 'user.lifecycle.delete.initiated', target });
    this.users.delete(user.id);
    for (const group of this.groups.values()) group.members.delete(user.id);
    for (const app of this.apps.values()) app.users.delete(user.id);
    for (const [id, role] of this.roles) if (role.userId === user.id) this.roles.delete(id);
    this.emit(ctx, { eventType: 'user.lifecycle.delete.completed', target });
    return 'deleted';
  }

  /** `DELETE /api/v1/users/{id}/sessions`. */
  clearSessions(ctx: LogContext, user: UserRecord): void {
    user.sessions = 0;
    this.emit(ctx, { eventType: 'user.session.clear', target: [this.userTarget(user)] });
  }

  // ---- sign-ins (control API: Okta has no API for these) ---------------------------------------------------------

  /** `count` failed sign-ins; after `lockoutAttempts` consecutive failures an ACTIVE user is LOCKED_OUT. */
  failSignIns(ctx: LogContext, user: UserRecord, count = 1, reason = 'INVALID_CREDENTIALS'): { locked: boolean } {
    let locked = false;
    for (let i = 0; i < count; i++) locked = this.failSignIn(ctx, user, reason).locked || locked;
    return { locked };
  }

  private failSignIn(ctx: LogContext, user: UserRecord, reason: string): { locked: boolean } {
    this.emitSignIn(ctx, user, 'FAILURE', reason);
    user.failedSignIns += 1;
    if (user.status === 'ACTIVE' && user.failedSignIns >= this.options.lockoutAttempts) {
      this.setStatus(user, 'LOCKED_OUT');
      this.emit(ctx, { eventType: 'user.account.lock', actor: this.userTarget(user), target: [this.userTarget(user)] });
      return { locked: true };
    }
    return { locked: false };
  }

  /** A sign-in attempt with the right password: succeeds for ACTIVE and PASSWORD_EXPIRED users, fails otherwise. */
  signIn(ctx: LogContext, user: UserRecord): { result: 'SUCCESS' | 'FAILURE'; reason: string | null } {
    if (user.status !== 'ACTIVE' && user.status !== 'PASSWORD_EXPIRED') {
      const reason = user.status === 'LOCKED_OUT' ? 'LOCKED_OUT' : 'VERIFICATION_ERROR';
      this.emitSignIn(ctx, user, 'FAILURE', reason);
      return { result: 'FAILURE', reason };
    }
    user.lastLogin = this.now();
    user.failedSignIns = 0;
    user.sessions += 1;
    this.emitSignIn(ctx, user, 'SUCCESS', null);
    return { result: 'SUCCESS', reason: null };
  }

  private emitSignIn(ctx: LogContext, user: UserRecord, result: 'SUCCESS' | 'FAILURE', reason: string | null): void {
    this.emit(ctx, {
      eventType: 'user.session.start',
      actor: this.userTarget(user),
      outcome: { result, reason },
      severity: result === 'SUCCESS' ? 'INFO' : 'WARN',
      legacyEventType: result === 'SUCCESS' ? 'core.user_auth.login_success' : 'core.user_auth.login_failed',
      target: [
        {
          id: `lae${user.id.slice(3)}`,
          type: 'AuthenticatorEnrollment',
          alternateId: 'unknown',
          displayName: 'Password',
          detailEntry: null,
        },
      ],
      authenticationContext: { credentialType: 'PASSWORD', authenticationProvider: 'OKTA_AUTHENTICATION_PROVIDER' },
      debugData: { threatSuspected: 'false' },
    });
  }

  /** The end user completing a pending password flow (welcome link, reset link, or forced change). */
  completePasswordFlow(ctx: LogContext, user: UserRecord): void {
    if (user.status !== 'PROVISIONED' && user.status !== 'RECOVERY' && user.status !== 'PASSWORD_EXPIRED') {
      throw E.wrongStatus('Setting a password', user.status);
    }
    const wasProvisioned = user.status === 'PROVISIONED';
    user.hasPassword = true;
    user.passwordChanged = this.now();
    this.setStatus(user, 'ACTIVE');
    const selfCtx = { ...ctx, actor: this.userTarget(user) };
    this.emit(selfCtx, { eventType: 'user.account.update_password', target: [this.userTarget(user)] });
    if (wasProvisioned) this.emit(selfCtx, { eventType: 'user.lifecycle.activate', target: [this.userTarget(user)] });
  }

  // ---- groups ----------------------------------------------------------------------------------------------------

  createGroup(ctx: LogContext, input: unknown): GroupRecord {
    const profile = isObject(input) && isObject(input.profile) ? input.profile : undefined;
    if (!profile || typeof profile.name !== 'string' || profile.name.trim() === '') {
      throw E.validation('name', ['name: The field cannot be left blank']);
    }
    const name = profile.name;
    if ([...this.groups.values()].some((g) => String(g.profile.name).toLowerCase() === name.toLowerCase())) {
      throw E.validation('name', ['name: An object with this field already exists in the current organization']);
    }
    const now = this.now();
    const group: GroupRecord = {
      id: newId('group'),
      type: 'OKTA_GROUP',
      created: now,
      lastUpdated: now,
      lastMembershipUpdated: now,
      profile: { description: null, ...structuredClone(profile) },
      members: new Set(),
    };
    this.groups.set(group.id, group);
    this.emit(ctx, { eventType: 'group.lifecycle.create', target: [this.groupTarget(group)] });
    return group;
  }

  updateGroup(ctx: LogContext, group: GroupRecord, input: unknown): GroupRecord {
    if (group.type !== 'OKTA_GROUP') throw appGroupRefusal(group);
    const profile = isObject(input) && isObject(input.profile) ? input.profile : undefined;
    if (!profile || typeof profile.name !== 'string' || profile.name.trim() === '') {
      throw E.validation('name', ['name: The field cannot be left blank']);
    }
    group.profile = { description: null, ...structuredClone(profile) };
    group.lastUpdated = this.now();
    this.emit(ctx, { eventType: 'group.profile.update', target: [this.groupTarget(group)] });
    return group;
  }

  deleteGroup(ctx: LogContext, group: GroupRecord): void {
    if (group.type !== 'OKTA_GROUP') throw appGroupRefusal(group);
    const members = this.groupMemberIds(group);
    this.withAppDiff(ctx, members, () => {
      this.groups.delete(group.id);
      for (const app of this.apps.values()) app.groups.delete(group.id);
      for (const [id, role] of this.roles) if (role.groupId === group.id) this.roles.delete(id);
      this.emit(ctx, { eventType: 'group.lifecycle.delete', target: [this.groupTarget(group)] });
    });
  }

  /** `PUT /api/v1/groups/{g}/users/{u}`: idempotent; only OKTA_GROUP memberships can be changed. */
  addMember(ctx: LogContext, group: GroupRecord, user: UserRecord): void {
    if (group.type !== 'OKTA_GROUP') throw appGroupRefusal(group);
    if (group.members.has(user.id)) return;
    this.withAppDiff(ctx, [user.id], () => {
      group.members.add(user.id);
      group.lastMembershipUpdated = this.now();
      this.emit(ctx, {
        eventType: 'group.user_membership.add',
        target: [this.userTarget(user), this.groupTarget(group)],
      });
    });
  }

  /** `DELETE /api/v1/groups/{g}/users/{u}`: removing a non-member is a no-op (204). */
  removeMember(ctx: LogContext, group: GroupRecord, user: UserRecord): void {
    if (group.type !== 'OKTA_GROUP') throw appGroupRefusal(group);
    if (!group.members.has(user.id)) return;
    this.withAppDiff(ctx, [user.id], () => {
      group.members.delete(user.id);
      group.lastMembershipUpdated = this.now();
      this.emit(ctx, {
        eventType: 'group.user_membership.remove',
        target: [this.userTarget(user), this.groupTarget(group)],
      });
    });
  }

  // ---- apps ------------------------------------------------------------------------------------------------------

  /**
   * Runs `change` and logs what it did to app access: `application.user_membership.add` for each app a user gained,
   * `.remove` for each lost, `.update` when only the scope changed (direct ↔ through a group).
   */
  private withAppDiff(ctx: LogContext, userIds: Iterable<string>, change: () => void): void {
    const ids = [...userIds];
    const before = new Map(ids.map((id) => [id, this.appAccess(id)]));
    const snapshot = new Map(ids.map((id) => [id, this.users.get(id)]));
    change();
    for (const id of ids) {
      const was = before.get(id) ?? new Map<string, AppScope>();
      const now = this.appAccess(id);
      const user = this.users.get(id) ?? snapshot.get(id);
      if (!user) continue;
      for (const [appId, scope] of now) {
        const app = this.apps.get(appId);
        if (!app) continue;
        const previous = was.get(appId);
        if (previous === undefined) this.emitAppMembership(ctx, 'add', app, user);
        else if (previous !== scope) this.emitAppMembership(ctx, 'update', app, user);
      }
      for (const appId of was.keys()) {
        const app = this.apps.get(appId);
        if (app && !now.has(appId)) this.emitAppMembership(ctx, 'remove', app, user);
      }
    }
  }

  private emitAppMembership(ctx: LogContext, what: 'add' | 'remove' | 'update', app: AppRecord, user: UserRecord) {
    this.emit(ctx, {
      eventType: `application.user_membership.${what}`,
      target: [
        this.appTarget(app),
        {
          id: this.assignmentId(app.id, user.id),
          type: 'AppUser',
          alternateId: String(user.profile.login),
          displayName: displayName(user),
          detailEntry: null,
        },
        this.userTarget(user),
      ],
    });
  }

  /** `POST /api/v1/apps/{appId}/users`. */
  assignUser(ctx: LogContext, app: AppRecord, body: unknown): UserRecord {
    if (!isObject(body) || typeof body.id !== 'string' || body.id === '') {
      throw E.validation('id', ['id: The field cannot be left blank']);
    }
    const user = this.user(body.id);
    if (user.status === 'DEPROVISIONED') throw E.inactiveUserApp();
    const profile = isObject(body.profile) ? structuredClone(body.profile) : undefined;
    const credentials = isObject(body.credentials) ? body.credentials : undefined;
    const userName = typeof credentials?.userName === 'string' ? credentials.userName : undefined;
    const existing = app.users.get(user.id);
    const now = this.now();
    if (existing) {
      if (this.options.duplicateAppAssignment === 'conflict') throw E.alreadyAssignedToApp();
      if (profile || userName) {
        if (profile) existing.profile = { ...existing.profile, ...profile };
        if (userName) existing.userName = userName;
        existing.lastUpdated = now;
        this.emitAppMembership(ctx, 'update', app, user);
      }
      return user;
    }
    this.withAppDiff(ctx, [user.id], () => {
      app.users.set(user.id, {
        created: now,
        lastUpdated: now,
        statusChanged: now,
        profile: profile ?? {},
        ...(userName ? { userName } : {}),
      });
    });
    return user;
  }

  /** `DELETE /api/v1/apps/{appId}/users/{userId}`. */
  unassignUser(ctx: LogContext, app: AppRecord, user: UserRecord): void {
    if (!app.users.has(user.id)) {
      if (this.appAccess(user.id).get(app.id) === 'GROUP') {
        throw E.noPermission([
          `${String(user.profile.login)} has ${app.label} through a group assignment; remove the group membership or the group's assignment instead`,
        ]);
      }
      throw E.notFound(user.id, 'AppUser');
    }
    this.withAppDiff(ctx, [user.id], () => {
      app.users.delete(user.id);
    });
  }

  /** `PUT /api/v1/apps/{appId}/groups/{groupId}`. */
  assignGroup(ctx: LogContext, app: AppRecord, group: GroupRecord, body: unknown): GroupAssignment {
    const existing = app.groups.get(group.id);
    const priority = isObject(body) && typeof body.priority === 'number' ? body.priority : app.groups.size;
    const now = this.now();
    if (existing) {
      existing.priority = priority;
      existing.lastUpdated = now;
      return existing;
    }
    const assignment: GroupAssignment = { created: now, lastUpdated: now, priority };
    this.withAppDiff(ctx, this.groupMemberIds(group), () => {
      app.groups.set(group.id, assignment);
      this.emit(ctx, {
        eventType: 'group.application_assignment.add',
        target: [this.appTarget(app), this.groupTarget(group)],
      });
    });
    return assignment;
  }

  /** `DELETE /api/v1/apps/{appId}/groups/{groupId}`. */
  unassignGroup(ctx: LogContext, app: AppRecord, group: GroupRecord): void {
    if (!app.groups.has(group.id)) throw E.notFound(group.id, 'ApplicationGroupAssignment');
    this.withAppDiff(ctx, this.groupMemberIds(group), () => {
      app.groups.delete(group.id);
      this.emit(ctx, {
        eventType: 'group.application_assignment.remove',
        target: [this.appTarget(app), this.groupTarget(group)],
      });
    });
  }

  // ---- admin roles -----------------------------------------------------------------------------------------------

  /** `POST /api/v1/users/{userId}/roles`. */
  assignRole(ctx: LogContext, user: UserRecord, body: unknown): RoleRecord {
    const type = isObject(body) ? body.type : undefined;
    if (typeof type !== 'string' || !(type === 'CUSTOM' || (STANDARD_ROLE_TYPES as readonly string[]).includes(type))) {
      throw E.validation('type', [
        `type: must be one of ${[...STANDARD_ROLE_TYPES, 'CUSTOM'].join(', ')}${typeof type === 'string' ? ` (got "${type}")` : ''}`,
      ]);
    }
    let role: string | undefined;
    let resourceSet: string | undefined;
    if (type === 'CUSTOM') {
      role = isObject(body) && typeof body.role === 'string' ? body.role : undefined;
      resourceSet = isObject(body) && typeof body['resource-set'] === 'string' ? body['resource-set'] : undefined;
      if (!role || !resourceSet) {
        throw E.validation('role', ['A CUSTOM role assignment needs "role" and "resource-set"']);
      }
    }
    const duplicate = [...this.roles.values()].some(
      (r) => r.userId === user.id && r.type === type && r.role === role && r.resourceSet === resourceSet,
    );
    if (duplicate) throw E.duplicateRole();
    const now = this.now();
    const record: RoleRecord = {
      id: newId('roleAssignment'),
      type: type as RoleType,
      created: now,
      lastUpdated: now,
      userId: user.id,
      ...(role ? { role } : {}),
      ...(resourceSet ? { resourceSet } : {}),
    };
    this.roles.set(record.id, record);
    this.emit(ctx, {
      eventType: 'user.account.privilege.grant',
      target: [this.userTarget(user)],
      debugData: { privilegeGranted: ROLE_LABELS[record.type] },
    });
    return record;
  }

  /** `DELETE /api/v1/users/{userId}/roles/{roleAssignmentId}` (direct assignments only). */
  unassignRole(ctx: LogContext, user: UserRecord, roleId: string): void {
    const role = this.roles.get(roleId);
    if (!role || role.userId !== user.id) throw E.notFound(roleId, 'Role');
    this.roles.delete(roleId);
    this.emit(ctx, {
      eventType: 'user.account.privilege.revoke',
      target: [this.userTarget(user)],
      debugData: { privilegeRevoked: ROLE_LABELS[role.type] },
    });
  }
}

// ---- helpers -----------------------------------------------------------------------------------------------------

export function displayName(user: UserRecord): string {
  return `${String(user.profile.firstName ?? '')} ${String(user.profile.lastName ?? '')}`.trim();
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function appGroupRefusal(group: GroupRecord): OktaError {
  return E.noPermission([
    group.type === 'APP_GROUP'
      ? `${String(group.profile.name)} is an APP_GROUP: its memberships are managed by the app it was imported from`
      : `${String(group.profile.name)} is a BUILT_IN group: Okta manages its profile and memberships`,
  ]);
}

function validateProfile(input: unknown, mode: 'create' | 'update' | 'replace'): Record<string, unknown> {
  if (!isObject(input)) {
    throw E.validation('profile', [
      `profile: ${mode === 'create' ? 'The field cannot be left blank' : 'must be an object'}`,
    ]);
  }
  const causes: string[] = [];
  let firstField: string | undefined;
  const fail = (field: string, message: string) => {
    firstField ??= field;
    causes.push(`${field}: ${message}`);
  };
  for (const field of REQUIRED_PROFILE) {
    const value = input[field];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      fail(field, 'The field cannot be left blank');
    } else if (typeof value !== 'string') {
      fail(field, 'Must be a string');
    }
  }
  const login = input.login;
  if (typeof login === 'string' && login.trim() !== '') {
    if (login.length < 5 || login.length > 100) fail('login', 'Must be between 5 and 100 characters');
    else if (!EMAIL.test(login)) fail('login', 'Username must be in the form of an email address');
  }
  const email = input.email;
  if (typeof email === 'string' && email.trim() !== '' && !EMAIL.test(email)) {
    fail('email', 'Does not match required pattern');
  }
  for (const field of ['firstName', 'lastName'] as const) {
    const value = input[field];
    if (typeof value === 'string' && value.length > 50) fail(field, 'Must be at most 50 characters');
  }
  const countryCode = input.countryCode;
  if (typeof countryCode === 'string' && countryCode.length > 2) fail('countryCode', 'Must be at most 2 characters');
  if (firstField) throw E.validation(firstField, causes);
  return structuredClone(input);
}

function parseCredentials(
  input: unknown,
  profile: Record<string, unknown>,
): { password: boolean; recoveryQuestion: string | null } {
  if (input === undefined || input === null) return { password: false, recoveryQuestion: null };
  if (!isObject(input)) throw E.validation('credentials', ['credentials: must be an object']);
  let password = false;
  if (input.password !== undefined) {
    const value = isObject(input.password) ? input.password.value : undefined;
    if (isObject(input.password) && input.password.hash !== undefined) {
      const problems = hashProblems(input.password.hash);
      if (problems.length > 0)
        throw E.validation(
          'password',
          problems.map((p) => `password.hash: ${p}`),
        );
      password = true;
    } else if (isObject(input.password) && input.password.hook !== undefined) {
      if (!isObject(input.password.hook) || input.password.hook.type !== 'default') {
        throw E.validation('password', ['password.hook: type must be "default"']);
      }
      password = true;
    } else if (typeof value === 'string') {
      const problems = passwordProblems(value, profile);
      if (problems.length > 0) {
        throw E.validation('password', [`password: Password requirements were not met. ${problems.join(' ')}`]);
      }
      password = true;
    } else {
      throw E.validation('password', ['password: The field cannot be left blank']);
    }
  }
  let recoveryQuestion: string | null = null;
  if (isObject(input.recovery_question)) {
    const { question, answer } = input.recovery_question;
    if (typeof question !== 'string' || typeof answer !== 'string' || answer.length < 4) {
      throw E.validation('recovery_question', [
        'recovery_question: The security question answer must be at least 4 characters in length',
      ]);
    }
    recoveryQuestion = question;
  }
  return { password, recoveryQuestion };
}

/**
 * OAS `PasswordCredentialHash`, as Okta checks it: a known algorithm; BCRYPT with a 22-character radix-64 salt and a
 * work factor of 1–20; PBKDF2 with ≥ 4096 iterations, a key size, an HMAC digest and a salt; the others a base64 value
 * and, with a salt, its order.
 */
function hashProblems(hash: unknown): string[] {
  if (!isObject(hash)) return ['must be an object'];
  const { algorithm, value, salt, saltOrder, workFactor, iterationCount, keySize, digestAlgorithm } = hash;
  const b64 = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(v);
  if (typeof value !== 'string' || value === '') return ['value: The field cannot be left blank'];
  switch (algorithm) {
    case 'BCRYPT': {
      const problems: string[] = [];
      if (typeof salt !== 'string' || !/^[./A-Za-z0-9]{22}$/.test(salt))
        problems.push('salt: must be 22 radix-64 characters');
      if (!Number.isInteger(workFactor) || (workFactor as number) < 1 || (workFactor as number) > 20)
        problems.push('workFactor: must be 1 to 20');
      return problems;
    }
    case 'PBKDF2': {
      const problems: string[] = [];
      if (!Number.isInteger(iterationCount) || (iterationCount as number) < 4096)
        problems.push('iterationCount: must be >= 4096');
      if (!Number.isInteger(keySize) || (keySize as number) < 1) problems.push('keySize: required');
      if (digestAlgorithm !== 'SHA256_HMAC' && digestAlgorithm !== 'SHA512_HMAC')
        problems.push('digestAlgorithm: SHA256_HMAC or SHA512_HMAC');
      if (!b64(salt)) problems.push('salt: must be base64');
      if (!b64(value)) problems.push('value: must be base64');
      return problems;
    }
    case 'SHA-512':
    case 'SHA-256':
    case 'SHA-1':
    case 'MD5': {
      const problems: string[] = [];
      if (!b64(value)) problems.push('value: must be base64');
      if (salt !== undefined && !b64(salt)) problems.push('salt: must be base64');
      if (salt !== undefined && saltOrder !== 'PREFIX' && saltOrder !== 'POSTFIX')
        problems.push('saltOrder: PREFIX or POSTFIX');
      return problems;
    }
    default:
      return ['algorithm: must be one of BCRYPT, SHA-512, SHA-256, SHA-1, MD5, PBKDF2'];
  }
}

/** Okta's default password policy: 8+ characters, a lower-case and an upper-case letter, a digit, no part of the login. */
function passwordProblems(password: string, profile: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (password.length < 8) problems.push('Password requirements: at least 8 characters.');
  if (!/[a-z]/.test(password)) problems.push('At least 1 lowercase letter.');
  if (!/[A-Z]/.test(password)) problems.push('At least 1 uppercase letter.');
  if (!/[0-9]/.test(password)) problems.push('At least 1 number.');
  const user =
    String(profile.login ?? '')
      .split('@')[0]
      ?.toLowerCase() ?? '';
  if (user.length >= 3 && password.toLowerCase().includes(user)) problems.push('No parts of your username.');
  return problems;
}

function parseGroupIds(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input) || !input.every((g) => typeof g === 'string')) {
    throw E.validation('groupIds', ['groupIds: must be an array of group ids']);
  }
  return [...new Set(input as string[])];
}

function typeIdOf(input: unknown): string | undefined {
  return isObject(input) && typeof input.id === 'string' ? input.id : undefined;
}

/** The profile attributes whose value differs (Okta's `debugData.changedAttributes`, comma-separated). */
export function changedAttributes(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null));
}
