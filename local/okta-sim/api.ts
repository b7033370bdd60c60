import { createHash } from 'node:crypto';
import { z } from 'zod';
import { E } from './errors.ts';
import { type EventHooks, renderHook } from './event-hooks.ts';
import { conditions, type Expr, type ExpressionError, evaluate, parseExpression, resolvePath } from './expression.ts';
import {
  ApplicationGroupAssignmentSchema,
  ApplicationSchema,
  AppUserSchema,
  AssignedAppLinkSchema,
  EventHookSchema,
  GroupSchema,
  LogEventSchema,
  ResetPasswordTokenSchema,
  RoleAssignmentSchema,
  TempPasswordSchema,
  UserActivationTokenSchema,
  UserSchema,
} from './okta-schemas.ts';
import {
  type AppRecord,
  type GroupRecord,
  isObject,
  LIFECYCLE_OPERATIONS,
  type LifecycleOperation,
  type Org,
  type UserRecord,
} from './org.ts';
import { compareKeys, linkHeaders, paginate, parseLimit, type SortKey } from './pagination.ts';
import {
  renderApp,
  renderAppLink,
  renderAppUser,
  renderGroup,
  renderGroupAssignment,
  renderRole,
  renderUser,
  userAttributes,
} from './render.ts';
import type { ApiRequest, ApiResponse, Router } from './router.ts';
import type { SystemLog } from './system-log.ts';

/** The Management API routes the simulator implements (docs/okta-protocol.md §3.2; paths and scopes from the OAS). */

export interface ApiDeps {
  org: Org;
  log: SystemLog;
  hooks: EventHooks;
  /** The user behind the SSWS token (`/api/v1/users/me`). */
  tokenOwnerId: string;
}

const json = (body: unknown, schema?: z.ZodType, headers?: Record<string, string | string[]>): ApiResponse => ({
  status: 200,
  body,
  ...(schema ? { schema } : {}),
  ...(headers ? { headers } : {}),
});
const noContent = (): ApiResponse => ({ status: 204 });

/** A sorted copy of `items`, ascending by `key`. */
function sortedBy<T>(items: readonly T[], key: (item: T) => SortKey): T[] {
  return [...items].sort((a, b) => compareKeys(key(a), key(b)));
}

/** One page of `items`, sorted here by `key` (ascending, or descending when `descending`): the order cursors rely on. */
function page<T>(
  req: ApiRequest,
  items: readonly T[],
  key: (item: T) => SortKey,
  render: (item: T) => unknown,
  limits: { default: number; max: number },
  schema: z.ZodType,
  options: { descending?: boolean; paginate?: boolean } = {},
): ApiResponse {
  const limit = parseLimit(req.query, limits);
  const sorted = sortedBy(items, key);
  if (options.descending) sorted.reverse();
  const result =
    options.paginate === false
      ? { items: sorted.slice(0, limit) }
      : paginate(sorted, key, {
          after: req.query.get('after'),
          limit,
          ...(options.descending ? { descending: true } : {}),
        });
  return {
    status: 200,
    body: result.items.map(render),
    schema: z.array(schema),
    headers: { Link: linkHeaders(req.base, req.path, req.query, result.nextCursor, limit) },
  };
}

function bool(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw E.validation(name, [`${name}: must be true or false`]);
}

function parse(text: string, what: 'search' | 'filter'): Expr {
  try {
    return parseExpression(text);
  } catch (error) {
    throw E.invalidSearch(`${what}: ${(error as ExpressionError).message}`);
  }
}

/**
 * Okta's `filter` on users only accepts `eq` on status, id and a few profile attributes, and the ordering operators on
 * `lastUpdated` (the OAS `listUsers` description); anything else is refused.
 */
const USER_FILTER_ATTRIBUTES = new Set([
  'status',
  'id',
  'profile.login',
  'profile.email',
  'profile.firstName',
  'profile.lastName',
]);

function checkFilter(expr: Expr, allowed: ReadonlySet<string>, timestamps: ReadonlySet<string>): void {
  for (const c of conditions(expr)) {
    if (!allowed.has(c.path) && !timestamps.has(c.path)) {
      throw E.invalidSearch(`filter: ${c.path} cannot be used in a filter; use search instead`);
    }
    if (c.kind === 'present') throw E.invalidSearch('filter: the pr operator is not supported; use search');
    if (c.op !== 'eq' && !(timestamps.has(c.path) && ['gt', 'ge', 'lt', 'le'].includes(c.op))) {
      throw E.invalidSearch(`filter: the ${c.op} operator is not supported for ${c.path}`);
    }
  }
}

function groupFields(group: GroupRecord): Record<string, unknown> {
  return {
    id: group.id,
    type: group.type,
    created: group.created,
    lastUpdated: group.lastUpdated,
    lastMembershipUpdated: group.lastMembershipUpdated,
    profile: group.profile,
    source: group.sourceAppId ? { id: group.sourceAppId } : undefined,
  };
}

const startsWith = (value: unknown, prefix: string) =>
  typeof value === 'string' && value.toLowerCase().startsWith(prefix.toLowerCase());

const byCreated = (item: { created: string; id: string }): SortKey => [item.created, item.id];

/**
 * The order `search` results come in: `sortBy` (an attribute path of `fields`, ties broken by id) and `sortOrder`
 * (`asc` or `desc`) when `search` is given; otherwise `fallback`, ascending.
 */
function searchOrder<T extends { id: string }>(
  query: URLSearchParams,
  search: string | null,
  fields: (item: T) => Record<string, unknown>,
  fallback: (item: T) => SortKey,
): { key: (item: T) => SortKey; descending: boolean } {
  const sortBy = search ? query.get('sortBy') : null;
  const descending = sortBy !== null && (query.get('sortOrder') ?? 'asc').toLowerCase() === 'desc';
  const key = sortBy ? (item: T): SortKey => [String(resolvePath(fields(item), sortBy) ?? ''), item.id] : fallback;
  return { key, descending };
}

/** `expand=stats` (a comma-separated `expand` list) on group reads. */
const expandStats = (query: URLSearchParams) => (query.get('expand') ?? '').split(',').includes('stats');

export function registerApi(router: Router, deps: ApiDeps): void {
  const { org, log, hooks } = deps;
  const userOf = (req: ApiRequest) => {
    const id = req.params.id ?? '';
    return org.user(id === 'me' && req.principal?.kind === 'ssws' ? deps.tokenOwnerId : id);
  };
  const userResponse = (req: ApiRequest, user: UserRecord) =>
    json(renderUser(req.base, user), UserSchema, {
      ETag: `W/"${createHash('sha1').update(`${user.id}:${user.lastUpdated}`).digest('hex').slice(0, 16)}"`,
    });

  const users = (method: string, pattern: string, scope: string, handler: (req: ApiRequest) => ApiResponse) =>
    router.add({ method, pattern, bucket: 'users', scope, handler });
  /** A page of users as a collection renders them (each with only its `self` link). */
  const userPage = (
    req: ApiRequest,
    list: readonly UserRecord[],
    limits: { default: number; max: number },
    key: (u: UserRecord) => SortKey = byCreated,
    options: { descending?: boolean; paginate?: boolean } = {},
  ) => page(req, list, key, (u) => renderUser(req.base, u, { collection: true }), limits, UserSchema, options);

  // ---- users -----------------------------------------------------------------------------------------------------

  users('GET', '/api/v1/users', 'okta.users.read', (req) => {
    const search = req.query.get('search');
    const filter = req.query.get('filter');
    const q = req.query.get('q');
    let list = [...org.users.values()];
    // GET /api/v1/users omits DEPROVISIONED users unless a filter or search asks (docs/okta-protocol.md §3.1).
    if (!search && !filter) list = list.filter((u) => u.status !== 'DEPROVISIONED');
    if (filter) {
      const expr = parse(filter, 'filter');
      checkFilter(expr, USER_FILTER_ATTRIBUTES, new Set(['lastUpdated']));
      list = list.filter((u) => evaluate(expr, (p) => resolvePath(userAttributes(u), p)));
    }
    if (search) {
      const expr = parse(search, 'search');
      list = list.filter((u) => evaluate(expr, (p) => resolvePath(userAttributes(u), p), { caseInsensitive: true }));
    }
    if (q) {
      list = list.filter((u) =>
        ['firstName', 'lastName', 'email', 'login'].some((attr) => startsWith(u.profile[attr], q)),
      );
      // q: default limit 10, no pagination (the OAS listUsers description).
      return userPage(req, list, { default: 10, max: 200 }, byCreated, { paginate: false });
    }
    const { key, descending } = searchOrder(req.query, search, userAttributes, byCreated);
    return userPage(req, list, { default: 200, max: 200 }, key, { descending });
  });

  users('POST', '/api/v1/users', 'okta.users.manage', (req) => {
    const body = isObject(req.body) ? req.body : {};
    const user = org.createUser(req.ctx, body, {
      activate: bool(req.query, 'activate') ?? true,
      nextLogin: req.query.get('nextLogin'),
    });
    return json(renderUser(req.base, user), UserSchema);
  });

  users('GET', '/api/v1/users/:id', 'okta.users.read', (req) => userResponse(req, userOf(req)));

  users('POST', '/api/v1/users/:id', 'okta.users.manage', (req) => {
    const body = isObject(req.body) ? req.body : {};
    return userResponse(req, org.updateUser(req.ctx, userOf(req), body, 'partial'));
  });

  users('PUT', '/api/v1/users/:id', 'okta.users.manage', (req) => {
    const body = isObject(req.body) ? req.body : {};
    return userResponse(req, org.updateUser(req.ctx, userOf(req), body, 'replace'));
  });

  users('DELETE', '/api/v1/users/:id', 'okta.users.manage', (req) => {
    org.deleteUser(req.ctx, userOf(req));
    return noContent();
  });

  users('POST', '/api/v1/users/:id/lifecycle/:operation', 'okta.users.manage', (req) => {
    const operation = req.params.operation as LifecycleOperation;
    if (!LIFECYCLE_OPERATIONS.includes(operation)) throw E.notFound(req.path, 'Resource');
    const user = userOf(req);
    const sendEmail = bool(req.query, 'sendEmail');
    const revokeSessions = bool(req.query, 'revokeSessions');
    const result = org.lifecycle(req.ctx, user, operation, {
      ...(sendEmail !== undefined ? { sendEmail } : {}),
      ...(revokeSessions !== undefined ? { revokeSessions } : {}),
    });
    if (result.kind === 'user') return json(renderUser(req.base, user), UserSchema);
    if (result.kind === 'empty') return json({});
    const schema =
      operation === 'reset_password'
        ? ResetPasswordTokenSchema
        : operation === 'expire_password_with_temp_password'
          ? TempPasswordSchema
          : UserActivationTokenSchema;
    return json(result.body, schema);
  });

  users('GET', '/api/v1/users/:id/groups', 'okta.users.read', (req) => {
    const user = userOf(req);
    const groups = sortedBy(org.userGroups(user.id), byCreated);
    return json(
      groups.map((g) => renderGroup(org, req.base, g)),
      z.array(GroupSchema),
    );
  });

  users('GET', '/api/v1/users/:id/appLinks', 'okta.users.read', (req) => {
    const user = userOf(req);
    const links = [...org.appAccess(user.id).keys()]
      .map((id) => org.apps.get(id))
      .filter((a): a is AppRecord => a !== undefined && a.status === 'ACTIVE')
      .map((app, i) => renderAppLink(org, req.base, app, user, i));
    return json(links, z.array(AssignedAppLinkSchema));
  });

  users('DELETE', '/api/v1/users/:id/sessions', 'okta.users.manage', (req) => {
    org.clearSessions(req.ctx, userOf(req));
    return noContent();
  });

  // ---- admin roles -----------------------------------------------------------------------------------------------

  router.add({
    method: 'GET',
    pattern: '/api/v1/users/:id/roles',
    bucket: 'roles',
    scope: 'okta.roles.read',
    handler: (req) => {
      const user = userOf(req);
      const roles = sortedBy(org.userRoles(user.id), byCreated);
      return json(
        roles.map((r) => renderRole(req.base, r)),
        z.array(RoleAssignmentSchema),
      );
    },
  });
  router.add({
    method: 'POST',
    pattern: '/api/v1/users/:id/roles',
    bucket: 'roles',
    scope: 'okta.roles.manage',
    handler: (req) => {
      const role = org.assignRole(req.ctx, userOf(req), req.body);
      return { status: 201, body: renderRole(req.base, role), schema: RoleAssignmentSchema };
    },
  });
  router.add({
    method: 'GET',
    pattern: '/api/v1/users/:id/roles/:roleId',
    bucket: 'roles',
    scope: 'okta.roles.read',
    handler: (req) => {
      const user = userOf(req);
      const role = org.userRoles(user.id).find((r) => r.id === req.params.roleId);
      if (!role) throw E.notFound(req.params.roleId ?? '', 'Role');
      return json(renderRole(req.base, role), RoleAssignmentSchema);
    },
  });
  router.add({
    method: 'DELETE',
    pattern: '/api/v1/users/:id/roles/:roleId',
    bucket: 'roles',
    scope: 'okta.roles.manage',
    handler: (req) => {
      org.unassignRole(req.ctx, userOf(req), req.params.roleId ?? '');
      return noContent();
    },
  });

  // ---- groups ----------------------------------------------------------------------------------------------------

  const groups = (method: string, pattern: string, scope: string, handler: (req: ApiRequest) => ApiResponse) =>
    router.add({ method, pattern, bucket: 'groups', scope, handler });
  const groupOf = (req: ApiRequest) => org.group(req.params.groupId ?? '');
  const groupKey = (g: GroupRecord): SortKey => [String(g.profile.name).toLowerCase(), g.id];

  groups('GET', '/api/v1/groups', 'okta.groups.read', (req) => {
    let list = [...org.groups.values()];
    const stats = expandStats(req.query);
    const render = (g: GroupRecord) => renderGroup(org, req.base, g, { stats });
    const q = req.query.get('q');
    if (q) {
      // q: a name prefix for pickers; no paging, 300 results by default (the OAS listGroups description).
      list = list.filter((g) => startsWith(g.profile.name, q));
      return page(req, list, groupKey, render, { default: 300, max: 10000 }, GroupSchema, { paginate: false });
    }
    const filter = req.query.get('filter');
    if (filter) {
      // filter: id and type (eq), lastUpdated and lastMembershipUpdated (eq, gt, ge, lt, le).
      const expr = parse(filter, 'filter');
      checkFilter(expr, new Set(['type', 'id']), new Set(['lastUpdated', 'lastMembershipUpdated']));
      list = list.filter((g) => evaluate(expr, (p) => resolvePath(groupFields(g), p)));
    }
    const search = req.query.get('search');
    if (search) {
      const expr = parse(search, 'search');
      list = list.filter((g) => evaluate(expr, (p) => resolvePath(groupFields(g), p), { caseInsensitive: true }));
    }
    const { key, descending } = searchOrder(req.query, search, groupFields, groupKey);
    return page(req, list, key, render, { default: 10000, max: 10000 }, GroupSchema, { descending });
  });

  groups('POST', '/api/v1/groups', 'okta.groups.manage', (req) =>
    json(renderGroup(org, req.base, org.createGroup(req.ctx, req.body)), GroupSchema),
  );
  groups('GET', '/api/v1/groups/:groupId', 'okta.groups.read', (req) =>
    json(renderGroup(org, req.base, groupOf(req), { stats: expandStats(req.query) }), GroupSchema),
  );
  groups('PUT', '/api/v1/groups/:groupId', 'okta.groups.manage', (req) =>
    json(renderGroup(org, req.base, org.updateGroup(req.ctx, groupOf(req), req.body)), GroupSchema),
  );
  groups('DELETE', '/api/v1/groups/:groupId', 'okta.groups.manage', (req) => {
    org.deleteGroup(req.ctx, groupOf(req));
    return noContent();
  });

  groups('GET', '/api/v1/groups/:groupId/users', 'okta.groups.read', (req) => {
    const group = groupOf(req);
    const members = org
      .groupMemberIds(group)
      .map((id) => org.users.get(id))
      .filter((u): u is UserRecord => u !== undefined);
    return userPage(req, members, { default: 1000, max: 1000 });
  });

  groups('PUT', '/api/v1/groups/:groupId/users/:userId', 'okta.groups.manage', (req) => {
    const group = groupOf(req);
    org.addMember(req.ctx, group, org.user(req.params.userId ?? ''));
    return noContent();
  });

  groups('DELETE', '/api/v1/groups/:groupId/users/:userId', 'okta.groups.manage', (req) => {
    const group = groupOf(req);
    org.removeMember(req.ctx, group, org.user(req.params.userId ?? ''));
    return noContent();
  });

  groups('GET', '/api/v1/groups/:groupId/apps', 'okta.groups.read', (req) => {
    const group = groupOf(req);
    const apps = [...org.apps.values()].filter((a) => a.groups.has(group.id));
    return page(req, apps, byCreated, (a) => renderApp(req.base, a), { default: 20, max: 200 }, ApplicationSchema);
  });

  // ---- apps ------------------------------------------------------------------------------------------------------

  const apps = (method: string, pattern: string, scope: string, handler: (req: ApiRequest) => ApiResponse) =>
    router.add({ method, pattern, bucket: 'apps', scope, handler });
  const appOf = (req: ApiRequest) => org.app(req.params.appId ?? '');

  apps('GET', '/api/v1/apps', 'okta.apps.read', (req) => {
    let list = [...org.apps.values()];
    const q = req.query.get('q');
    if (q) list = list.filter((a) => startsWith(a.name, q) || startsWith(a.label, q));
    const filter = req.query.get('filter');
    if (filter) {
      const expr = parse(filter, 'filter');
      checkFilter(expr, new Set(['status', 'name', 'user.id', 'group.id']), new Set());
      list = list.filter((a) =>
        evaluate(expr, (p) => {
          if (p === 'user.id') return [...org.users.keys()].filter((u) => org.appAccess(u).has(a.id));
          if (p === 'group.id') return [...a.groups.keys()];
          return resolvePath({ status: a.status, name: a.name }, p);
        }),
      );
    }
    return page(req, list, byCreated, (a) => renderApp(req.base, a), { default: 200, max: 200 }, ApplicationSchema);
  });

  apps('GET', '/api/v1/apps/:appId', 'okta.apps.read', (req) =>
    json(renderApp(req.base, appOf(req)), ApplicationSchema),
  );

  apps('GET', '/api/v1/apps/:appId/users', 'okta.apps.read', (req) => {
    const app = appOf(req);
    const q = req.query.get('q');
    const expandUser = req.query.get('expand') === 'user';
    let list = org.appUsers(app);
    if (q) {
      list = list.filter(({ user }) =>
        ['login', 'email', 'firstName', 'lastName'].some((attr) => startsWith(user.profile[attr], q)),
      );
    }
    const key = (entry: { user: UserRecord }): SortKey => [entry.user.id];
    return page(
      req,
      list,
      key,
      ({ user, scope }) => renderAppUser(org, req.base, app, user, scope, { expandUser }),
      { default: 50, max: 500 },
      AppUserSchema,
    );
  });

  apps('POST', '/api/v1/apps/:appId/users', 'okta.apps.manage', (req) => {
    const app = appOf(req);
    const user = org.assignUser(req.ctx, app, req.body);
    return json(renderAppUser(org, req.base, app, user, 'USER'), AppUserSchema);
  });

  apps('GET', '/api/v1/apps/:appId/users/:userId', 'okta.apps.read', (req) => {
    const app = appOf(req);
    const user = org.user(req.params.userId ?? '');
    const scope = org.appAccess(user.id).get(app.id);
    if (!scope) throw E.notFound(user.id, 'AppUser');
    return json(
      renderAppUser(org, req.base, app, user, scope, { expandUser: req.query.get('expand') === 'user' }),
      AppUserSchema,
    );
  });

  apps('DELETE', '/api/v1/apps/:appId/users/:userId', 'okta.apps.manage', (req) => {
    org.unassignUser(req.ctx, appOf(req), org.user(req.params.userId ?? ''));
    return noContent();
  });

  apps('GET', '/api/v1/apps/:appId/groups', 'okta.apps.read', (req) => {
    const app = appOf(req);
    const expandGroup = req.query.get('expand') === 'group';
    const ids = [...app.groups.keys()].filter((id) => org.groups.has(id));
    return page(
      req,
      ids,
      (id) => [id],
      (id) => {
        const out = renderGroupAssignment(req.base, app, id);
        const group = org.groups.get(id);
        if (expandGroup && group) out._embedded = { group: renderGroup(org, req.base, group) };
        return out;
      },
      { default: 20, max: 200 },
      ApplicationGroupAssignmentSchema,
    );
  });

  apps('GET', '/api/v1/apps/:appId/groups/:groupId', 'okta.apps.read', (req) => {
    const app = appOf(req);
    const group = groupOf(req);
    if (!app.groups.has(group.id)) throw E.notFound(group.id, 'ApplicationGroupAssignment');
    return json(renderGroupAssignment(req.base, app, group.id), ApplicationGroupAssignmentSchema);
  });

  apps('PUT', '/api/v1/apps/:appId/groups/:groupId', 'okta.apps.manage', (req) => {
    const app = appOf(req);
    const group = groupOf(req);
    org.assignGroup(req.ctx, app, group, req.body);
    return json(renderGroupAssignment(req.base, app, group.id), ApplicationGroupAssignmentSchema);
  });

  apps('DELETE', '/api/v1/apps/:appId/groups/:groupId', 'okta.apps.manage', (req) => {
    org.unassignGroup(req.ctx, appOf(req), groupOf(req));
    return noContent();
  });

  // ---- System Log ------------------------------------------------------------------------------------------------

  router.add({
    method: 'GET',
    pattern: '/api/v1/logs',
    bucket: 'logs',
    scope: 'okta.logs.read',
    handler: (req) => {
      const result = log.query(req.query);
      return {
        status: 200,
        body: result.events,
        schema: z.array(LogEventSchema),
        headers: { Link: linkHeaders(req.base, req.path, req.query, result.nextCursor, result.limit) },
      };
    },
  });

  // ---- event hooks -----------------------------------------------------------------------------------------------

  const hookRoute = (
    method: string,
    pattern: string,
    scope: string,
    handler: (req: ApiRequest) => ApiResponse | Promise<ApiResponse>,
  ) => router.add({ method, pattern, bucket: 'eventHooks', scope, handler });
  const hookJson = (req: ApiRequest, hook: Parameters<typeof renderHook>[1]) =>
    json(renderHook(req.base, hook), EventHookSchema);

  hookRoute('GET', '/api/v1/eventHooks', 'okta.eventHooks.read', (req) =>
    json(
      hooks.list().map((h) => renderHook(req.base, h)),
      z.array(EventHookSchema),
    ),
  );
  hookRoute('POST', '/api/v1/eventHooks', 'okta.eventHooks.manage', (req) =>
    hookJson(req, hooks.create(req.ctx, req.body)),
  );
  hookRoute('GET', '/api/v1/eventHooks/:hookId', 'okta.eventHooks.read', (req) =>
    hookJson(req, hooks.get(req.params.hookId ?? '')),
  );
  hookRoute('PUT', '/api/v1/eventHooks/:hookId', 'okta.eventHooks.manage', (req) =>
    hookJson(req, hooks.replace(req.ctx, req.params.hookId ?? '', req.body)),
  );
  hookRoute('DELETE', '/api/v1/eventHooks/:hookId', 'okta.eventHooks.manage', (req) => {
    hooks.delete(req.ctx, req.params.hookId ?? '');
    return noContent();
  });
  hookRoute('POST', '/api/v1/eventHooks/:hookId/lifecycle/:operation', 'okta.eventHooks.manage', async (req) => {
    const id = req.params.hookId ?? '';
    switch (req.params.operation) {
      case 'activate':
        return hookJson(req, hooks.setStatus(req.ctx, id, 'ACTIVE'));
      case 'deactivate':
        return hookJson(req, hooks.setStatus(req.ctx, id, 'INACTIVE'));
      case 'verify':
        return hookJson(req, await hooks.verify(req.ctx, id));
      default:
        throw E.notFound(req.path, 'Resource');
    }
  });
}
