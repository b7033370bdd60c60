import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, DefaultRequestExecutor, OktaApiError } from '@okta/okta-sdk-nodejs';
import type {
  GroupType,
  LifecycleOperation,
  Okta,
  OktaAppAssignment,
  OktaAppLink,
  OktaApps,
  OktaGroup,
  OktaRoleAssignment,
  OktaUser,
  OktaWriteResult,
  UserStatus,
} from '../ports.ts';
import { OktaCallError, searchLiteral } from '../ports.ts';
import { type LogEvent, LogEventSchema } from './event-hook.ts';
import type { OktaCredentials, OktaSettings } from './okta-config.ts';

/** The Okta request ids seen by the calls made inside one `track()` (per operation, safe under concurrency). */
const tracked = new AsyncLocalStorage<string[]>();

type SdkRequest = Parameters<DefaultRequestExecutor['parseResponse']>[0];
type SdkResponse = Parameters<DefaultRequestExecutor['parseResponse']>[1];

/**
 * The SDK's executor, with two changes: it records each `X-Okta-Request-Id` for the audit trail, and it waits out a
 * 429 in-process only when the reset is near (`maxWaitMs`); a longer wait surfaces as `rate_limited` so the queue can
 * hold the work instead of a Lambda sleeping.
 */
class HookpilotRequestExecutor extends DefaultRequestExecutor {
  constructor(
    private readonly maxWaitMs: number,
    config: { maxRetries: number; requestTimeout: number },
  ) {
    super(config);
  }

  override parseResponse(request: SdkRequest, response: SdkResponse) {
    const requestId = response.headers.get('x-okta-request-id');
    if (requestId) tracked.getStore()?.push(requestId);
    if (response.status === 429 && this.validateRetryResponseHeaders(response)) {
      if (this.getRetryDelayMs(response) > this.maxWaitMs) return response;
    }
    return super.parseResponse(request, response);
  }
}

const ALREADY_DONE = new Set(['E0000062', 'E0000090', 'E0000263', 'E0000016']);
const INVALID_STATE = new Set(['E0000038', 'E0000032', 'E0000112', 'E0000117']);

/** Turns whatever the SDK threw into an `OktaCallError` with a kind the executor can act on. */
export function classifyOktaError(error: unknown, label: string, requestId?: string): OktaCallError {
  if (error instanceof OktaCallError) return error;
  if (error instanceof OktaApiError || isHttpError(error)) {
    const status = error.status;
    const errorCode = error instanceof OktaApiError && error.errorCode ? String(error.errorCode) : undefined;
    const headers = (error as { headers?: { get?: (n: string) => string | null } }).headers;
    const details = {
      status,
      errorCode,
      errorId: error instanceof OktaApiError ? error.errorId : undefined,
      requestId: headers?.get?.('x-okta-request-id') ?? requestId,
    };
    const what = `${label}: Okta answered ${status}${errorCode ? ` ${errorCode}` : ''}`;
    if (status === 429) {
      const reset = Number(headers?.get?.('x-rate-limit-reset'));
      return new OktaCallError('rate_limited', what, {
        ...details,
        retryAt: Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : undefined,
      });
    }
    if (errorCode && ALREADY_DONE.has(errorCode)) return new OktaCallError('already_done', what, details);
    if (errorCode && INVALID_STATE.has(errorCode)) return new OktaCallError('invalid_state', what, details);
    if (status === 404 || errorCode === 'E0000007') return new OktaCallError('not_found', what, details);
    if (status === 401)
      return new OktaCallError('misconfigured', `${what} (hookpilot's Okta credentials were refused)`, details);
    if (status === 403) return new OktaCallError('forbidden', what, details);
    if (status === 409) return new OktaCallError('conflict', what, details);
    if (status >= 500) return new OktaCallError('transient', what, details);
    return new OktaCallError('invalid', what, details);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/429 retry delay would exceed/.test(message)) {
    return new OktaCallError('rate_limited', `${label}: rate limited beyond the request budget`, { requestId });
  }
  // Timeouts, refused connections, DNS failures and anything unexpected: try again later (then the DLQ).
  const name = error instanceof Error ? error.name : 'Error';
  return new OktaCallError(
    'transient',
    `${label}: ${name === 'FetchError' || name === 'AbortError' ? 'network error or timeout' : name}`,
    {
      requestId,
    },
  );
}

function isHttpError(error: unknown): error is { status: number; url: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: string }).name === 'HttpError' &&
    typeof (error as { status?: unknown }).status === 'number'
  );
}

/**
 * The Okta port implemented with `@okta/okta-sdk-nodejs`. GET caching is off (a cached user would hide status changes
 * from the executor), every call is bounded by `requestTimeoutMs`, and credentials are re-read from their source so a
 * rotated token takes effect without a redeploy.
 */
export class OktaSdkAdapter implements Okta, OktaApps {
  private client?: { key: string; client: Client };

  constructor(
    private readonly settings: OktaSettings,
    /** Items per page on list calls (Okta's maximum for users is 200); the SDK follows `Link` headers across pages. */
    private readonly pageSize = 200,
  ) {}

  private async sdk(): Promise<Client> {
    const credentials = await this.settings.credentials();
    const key = JSON.stringify(credentials);
    if (this.client?.key !== key) this.client = { key, client: this.build(credentials) };
    return this.client.client;
  }

  private build(credentials: OktaCredentials): Client {
    const requestExecutor = new HookpilotRequestExecutor(this.settings.maxRateLimitWaitMs, {
      maxRetries: 2,
      requestTimeout: this.settings.requestTimeoutMs,
    });
    const common = { orgUrl: this.settings.orgUrl, cacheMiddleware: null, requestExecutor };
    return credentials.kind === 'apiToken'
      ? new Client({ ...common, authorizationMode: 'SSWS', token: credentials.apiToken })
      : new Client({
          ...common,
          authorizationMode: 'PrivateKey',
          clientId: credentials.clientId,
          scopes: [...credentials.scopes],
          privateKey: credentials.privateKey,
          keyId: credentials.keyId,
        });
  }

  /** Runs one logical operation, collecting its Okta request ids, classifying failures. */
  private async track<T>(label: string, fn: (client: Client) => Promise<T>): Promise<{ value: T; requestId?: string }> {
    const client = await this.sdk();
    const ids: string[] = [];
    try {
      const value = await tracked.run(ids, () => fn(client));
      return { value, requestId: ids.at(-1) };
    } catch (error) {
      throw classifyOktaError(error, label, ids.at(-1));
    }
  }

  private async write(label: string, fn: (client: Client) => Promise<unknown>): Promise<OktaWriteResult> {
    const { requestId } = await this.track(label, fn);
    return { requestId };
  }

  /** A read that answers undefined when Okta says 404. */
  private async find<T>(label: string, fn: (client: Client) => Promise<T>): Promise<T | undefined> {
    try {
      return (await this.track(label, fn)).value;
    } catch (error) {
      if (error instanceof OktaCallError && error.kind === 'not_found') return undefined;
      throw error;
    }
  }

  getUser(idOrLogin: string): Promise<OktaUser | undefined> {
    return this.find('get user', async (c) => toUser(await c.userApi.getUser({ userId: idOrLogin })));
  }

  getApp(appId: string): Promise<{ id: string; label: string } | undefined> {
    return this.find('get app', async (c) => {
      const app = await c.applicationApi.getApplication({ appId });
      return { id: String(app.id), label: String(app.label ?? appId) };
    });
  }

  getGroup(groupId: string): Promise<OktaGroup | undefined> {
    return this.find('get group', async (c) => toGroup(await c.groupApi.getGroup({ groupId })));
  }

  async findGroupByName(name: string): Promise<OktaGroup | undefined> {
    const search = `profile.name eq ${searchLiteral(name)}`;
    const groups = (
      await this.track('find group', async (c) =>
        collect(await c.groupApi.listGroups({ search, limit: 10 }), toGroup, 10),
      )
    ).value;
    return groups.find((g) => g.name === name);
  }

  async listUserGroups(userId: string): Promise<OktaGroup[]> {
    return (
      await this.track('list user groups', async (c) => collect(await c.userApi.listUserGroups({ userId }), toGroup))
    ).value;
  }

  async listAppLinks(userId: string): Promise<OktaAppLink[]> {
    return (
      await this.track('list app links', async (c) =>
        collect(await c.userApi.listAppLinks({ userId }), (l) => ({
          appInstanceId: String(l.appInstanceId ?? ''),
          appName: String(l.appName ?? ''),
          label: String(l.label ?? ''),
        })),
      )
    ).value;
  }

  getAppAssignment(appId: string, userId: string): Promise<OktaAppAssignment | undefined> {
    return this.find('get app assignment', async (c) => {
      const appUser = await c.applicationApi.getApplicationUser({ appId, userId });
      return { appId, userId, scope: appUser.scope === 'GROUP' ? 'GROUP' : 'USER' } as const;
    });
  }

  async listRoles(userId: string): Promise<OktaRoleAssignment[]> {
    return (
      await this.track('list admin roles', async (c) =>
        collect(await c.roleAssignmentApi.listAssignedRolesForUser({ userId }), (r) => {
          const role = r as { id?: string; type?: string; label?: string };
          return { id: String(role.id ?? ''), type: String(role.type ?? ''), label: role.label };
        }),
      )
    ).value;
  }

  async searchUsers(search: string, limit: number): Promise<OktaUser[]> {
    return (
      await this.track('search users', async (c) =>
        collect(await c.userApi.listUsers({ search, limit: this.pageSize }), toUser, limit),
      )
    ).value;
  }

  async listLogEvents(query: { since: string; until: string; filter?: string; limit: number }): Promise<LogEvent[]> {
    return (
      await this.track('list System Log events', async (c) => {
        const events = await c.systemLogApi.listLogEvents({
          since: query.since,
          until: query.until, // bounded: the SDK never finishes a polling query (no until)
          ...(query.filter ? { filter: query.filter } : {}),
          limit: Math.min(query.limit, 1000),
          sortOrder: 'ASCENDING',
        });
        const out: LogEvent[] = [];
        for await (const item of events) {
          if (item === null || item === undefined) continue;
          // SDK models carry Date objects; the JSON form is Okta's own.
          const parsed = LogEventSchema.safeParse(JSON.parse(JSON.stringify(item)));
          if (parsed.success) out.push(parsed.data);
          if (out.length >= query.limit) break;
        }
        return out;
      })
    ).value;
  }

  addGroupMember(groupId: string, userId: string) {
    return this.write('add group member', (c) => c.groupApi.assignUserToGroup({ groupId, userId }));
  }

  removeGroupMember(groupId: string, userId: string) {
    return this.write('remove group member', (c) => c.groupApi.unassignUserFromGroup({ groupId, userId }));
  }

  assignApp(appId: string, userId: string) {
    return this.write('assign app', (c) =>
      c.applicationApi.assignUserToApplication({ appId, appUser: { id: userId } }),
    );
  }

  unassignApp(appId: string, userId: string) {
    return this.write('unassign app', (c) =>
      c.applicationApi.unassignUserFromApplication({ appId, userId, sendEmail: false }),
    );
  }

  lifecycle(userId: string, operation: LifecycleOperation) {
    // Where Okta can return an activation or reset link instead of emailing it, ask for the email: links are secrets.
    const calls: Record<LifecycleOperation, (c: Client) => Promise<unknown>> = {
      activate: (c) => c.userApi.activateUser({ userId, sendEmail: true }),
      reactivate: (c) => c.userApi.reactivateUser({ userId, sendEmail: true }),
      deactivate: (c) => c.userApi.deactivateUser({ userId, sendEmail: false }),
      suspend: (c) => c.userApi.suspendUser({ userId }),
      unsuspend: (c) => c.userApi.unsuspendUser({ userId }),
      unlock: (c) => c.userApi.unlockUser({ userId }),
      expire_password: (c) => c.userApi.expirePassword({ userId }),
      reset_password: (c) => c.userApi.generateResetPasswordToken({ userId, sendEmail: true }),
      reset_factors: (c) => c.userApi.resetFactors({ userId }),
    };
    return this.write(operation.replace('_', ' '), async (c) => {
      await calls[operation](c); // the response body is dropped unread
    });
  }

  clearSessions(userId: string, options: { oauthTokens: boolean }) {
    return this.write('clear sessions', (c) =>
      c.userApi.revokeUserSessions({ userId, oauthTokens: options.oauthTokens }),
    );
  }

  assignRole(userId: string, roleType: string) {
    return this.write('assign admin role', (c) =>
      c.roleAssignmentApi.assignRoleToUser({
        userId,
        assignRoleRequest: { type: roleType } as Parameters<
          Client['roleAssignmentApi']['assignRoleToUser']
        >[0]['assignRoleRequest'],
      }),
    );
  }

  unassignRole(userId: string, roleAssignmentId: string) {
    return this.write('unassign admin role', (c) =>
      c.roleAssignmentApi.unassignRoleFromUser({ userId, roleId: roleAssignmentId }),
    );
  }

  updateProfile(userId: string, attributes: Readonly<Record<string, unknown>>) {
    return this.write('update profile', (c) =>
      c.userApi.updateUser({
        userId,
        user: { profile: { ...attributes } as Parameters<Client['userApi']['updateUser']>[0]['user']['profile'] },
      }),
    );
  }

  deleteUser(userId: string) {
    return this.write('delete user', (c) => c.userApi.deleteUser({ userId, sendEmail: false }));
  }
}

/** Drains an SDK collection (skipping the null items its pager can yield), up to `limit`. */
async function collect<S, T>(
  collection: AsyncIterable<S | null>,
  map: (item: S) => T,
  limit = Number.POSITIVE_INFINITY,
): Promise<T[]> {
  const out: T[] = [];
  for await (const item of collection) {
    if (item === null || item === undefined) continue;
    out.push(map(item));
    if (out.length >= limit) break;
  }
  return out;
}

function toUser(user: {
  id?: string;
  status?: unknown;
  profile?: unknown;
  created?: unknown;
  lastUpdated?: unknown;
  statusChanged?: unknown;
}): OktaUser {
  const profile = { ...((user.profile ?? {}) as Record<string, unknown>) };
  return {
    id: String(user.id),
    status: String(user.status) as UserStatus,
    profile: { ...profile, login: String(profile.login ?? '') },
    created: user.created ? new Date(user.created as string).toISOString() : undefined,
    lastUpdated: user.lastUpdated ? new Date(user.lastUpdated as string).toISOString() : undefined,
    statusChanged: user.statusChanged ? new Date(user.statusChanged as string).toISOString() : null,
  };
}

function toGroup(group: {
  id?: string;
  type?: unknown;
  profile?: { name?: string; description?: string | null };
}): OktaGroup {
  return {
    id: String(group.id),
    type: String(group.type) as GroupType,
    name: String(group.profile?.name ?? ''),
    description: group.profile?.description ?? null,
  };
}
