import {
  type AppRecord,
  type AppScope,
  type GroupRecord,
  LIFECYCLE_FROM,
  type Org,
  ROLE_LABELS,
  type RoleRecord,
  type UserRecord,
} from './org.ts';

/** Okta JSON for the org's records (shapes from the OAS schemas and examples; okta-schemas.ts checks them). */

type Json = Record<string, unknown>;

const href = (url: string, method?: string) => (method ? { href: url, method } : { href: url });

/**
 * A user as Okta returns it. A single user carries the `_links` of the operations its status allows (so `_links` agree
 * with `LIFECYCLE_FROM`); users in a collection carry only `self`, as Okta documents.
 */
export function renderUser(base: string, user: UserRecord, options: { collection?: boolean } = {}): Json {
  const self = `${base}/api/v1/users/${user.id}`;
  const links: Json = {};
  if (!options.collection) {
    const can = (op: keyof typeof LIFECYCLE_FROM) => LIFECYCLE_FROM[op].includes(user.status);
    const lifecycle = (op: string) => href(`${self}/lifecycle/${op}`, 'POST');
    if (can('suspend')) links.suspend = lifecycle('suspend');
    if (can('unsuspend')) links.unsuspend = lifecycle('unsuspend');
    if (user.status === 'LOCKED_OUT') links.unlock = lifecycle('unlock');
    if (can('activate')) links.activate = lifecycle('activate');
    if (can('reactivate')) links.reactivate = lifecycle('reactivate');
    if (can('reset_password')) links.resetPassword = lifecycle('reset_password');
    if (can('expire_password')) links.expirePassword = lifecycle('expire_password');
    if (can('reset_factors') && user.factors.length > 0) links.resetFactors = lifecycle('reset_factors');
    if (can('deactivate')) links.deactivate = lifecycle('deactivate');
    if (user.status === 'ACTIVE' && user.hasPassword) {
      links.forgotPassword = href(`${self}/credentials/forgot_password`, 'POST');
      links.changePassword = href(`${self}/credentials/change_password`, 'POST');
      links.changeRecoveryQuestion = href(`${self}/credentials/change_recovery_question`, 'POST');
    }
    links.schema = href(`${base}/api/v1/meta/schemas/user/osc${user.typeId.slice(3)}`);
    links.type = href(`${base}/api/v1/meta/types/user/${user.typeId}`);
  }
  links.self = href(self);
  const credentials: Json = {};
  if (user.hasPassword) credentials.password = {};
  if (user.recoveryQuestion) credentials.recovery_question = { question: user.recoveryQuestion };
  credentials.provider = { type: 'OKTA', name: 'OKTA' };
  return { ...userAttributes(user), profile: structuredClone(user.profile), credentials, _links: links };
}

/**
 * A user's attributes as Okta returns them, without credentials and links: what `filter`, `search` and `sortBy`
 * expressions see. `profile` is the record's own object (not a copy): read it, do not change it.
 */
export function userAttributes(user: UserRecord): Json {
  return {
    id: user.id,
    status: user.status,
    created: user.created,
    activated: user.activated,
    statusChanged: user.statusChanged,
    lastLogin: user.lastLogin,
    lastUpdated: user.lastUpdated,
    passwordChanged: user.passwordChanged,
    type: { id: user.typeId },
    transitioningToStatus: null,
    profile: user.profile,
  };
}

const GROUP_LOGOS = (base: string, kind: string) => [
  { name: 'medium', href: `${base}/img/logos/groups/${kind}-medium.png`, type: 'image/png' },
  { name: 'large', href: `${base}/img/logos/groups/${kind}-large.png`, type: 'image/png' },
];

export function renderGroup(org: Org, base: string, group: GroupRecord, options: { stats?: boolean } = {}): Json {
  const self = `${base}/api/v1/groups/${group.id}`;
  const links: Json = {
    logo: GROUP_LOGOS(base, group.type === 'APP_GROUP' ? 'app' : 'okta'),
    users: href(`${self}/users`),
    apps: href(`${self}/apps`),
  };
  if (group.sourceAppId) links.source = href(`${base}/api/v1/apps/${group.sourceAppId}`);
  const out: Json = {
    id: group.id,
    created: group.created,
    lastUpdated: group.lastUpdated,
    lastMembershipUpdated: group.lastMembershipUpdated,
    objectClass: [group.type === 'APP_GROUP' ? 'okta:app_group' : 'okta:user_group'],
    type: group.type,
    profile: structuredClone(group.profile),
    _links: links,
  };
  if (options.stats) {
    const members = org.groupMemberIds(group);
    const apps = [...org.apps.values()].filter((a) => a.groups.has(group.id)).length;
    const hasAdminPrivilege = [...org.roles.values()].some((r) => r.groupId === group.id);
    out._embedded = {
      stats: { usersCount: members.length, appsCount: apps, groupPushMappingsCount: 0, hasAdminPrivilege },
    };
  }
  return out;
}

export function renderApp(base: string, app: AppRecord): Json {
  const self = `${base}/api/v1/apps/${app.id}`;
  const linkName = `${app.name}_link`;
  return {
    id: app.id,
    name: app.name,
    label: app.label,
    status: app.status,
    lastUpdated: app.lastUpdated,
    created: app.created,
    accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
    visibility: { autoSubmitToolbar: false, hide: { iOS: false, web: false }, appLinks: { [linkName]: true } },
    features: [...app.features],
    signOnMode: app.signOnMode,
    credentials: {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an Okta Expression Language template, not a JS one
      userNameTemplate: { template: '${source.login}', type: 'BUILT_IN' },
      signing: {},
    },
    settings: { app: {} },
    _links: {
      appLinks: [{ name: linkName, href: `${base}/home/${app.name}/${app.id}/${linkName}`, type: 'text/html' }],
      logo: [{ name: 'medium', href: `${base}/img/logos/${app.name}.png`, type: 'image/png' }],
      users: href(`${self}/users`),
      groups: href(`${self}/groups`),
      self: href(self),
      deactivate: href(`${self}/lifecycle/deactivate`),
    },
  };
}

/** The AppUser status the simulator reports: provisioning apps push users (PROVISIONED); suspended users are SUSPENDED. */
function appUserStatus(app: AppRecord, user: UserRecord): string {
  if (user.status === 'SUSPENDED') return 'SUSPENDED';
  if (user.status === 'STAGED') return 'STAGED';
  return app.features.includes('PUSH_NEW_USERS') ? 'PROVISIONED' : 'ACTIVE';
}

export function renderAppUser(
  org: Org,
  base: string,
  app: AppRecord,
  user: UserRecord,
  scope: AppScope,
  options: { expandUser?: boolean } = {},
): Json {
  const direct = app.users.get(user.id);
  const grant = direct ?? org.groupGrant(app, user.id);
  const created = grant?.created ?? app.created;
  const lastUpdated = grant?.lastUpdated ?? created;
  const provisioning = app.features.includes('PUSH_NEW_USERS');
  const out: Json = {
    id: user.id,
    externalId: provisioning ? `ext${user.id.slice(3)}` : null,
    created,
    lastUpdated,
    scope,
    status: appUserStatus(app, user),
    statusChanged: direct?.statusChanged ?? created,
    passwordChanged: null,
    syncState: provisioning ? 'SYNCHRONIZED' : 'DISABLED',
    ...(provisioning ? { lastSync: lastUpdated } : {}),
    credentials: { userName: direct?.userName ?? String(user.profile.login) },
    profile: {
      email: user.profile.email ?? null,
      firstName: user.profile.firstName ?? null,
      lastName: user.profile.lastName ?? null,
      ...(direct?.profile ?? {}),
    },
    _links: {
      app: href(`${base}/api/v1/apps/${app.id}`),
      user: href(`${base}/api/v1/users/${user.id}`),
    },
  };
  if (options.expandUser) out._embedded = { user: renderUser(base, user) };
  return out;
}

export function renderAppLink(org: Org, base: string, app: AppRecord, user: UserRecord, sortOrder: number): Json {
  const linkName = `${app.name}_link`;
  return {
    id: user.id,
    label: app.label,
    linkUrl: `${base}/home/${app.name}/${app.id}/${linkName}`,
    logoUrl: `${base}/img/logos/${app.name}.png`,
    appName: app.name,
    appInstanceId: app.id,
    appAssignmentId: org.assignmentId(app.id, user.id),
    credentialsSetup: false,
    hidden: false,
    sortOrder,
  };
}

export function renderGroupAssignment(base: string, app: AppRecord, groupId: string): Json {
  const assignment = app.groups.get(groupId);
  return {
    id: groupId,
    priority: assignment?.priority ?? 0,
    lastUpdated: assignment?.lastUpdated ?? app.created,
    profile: {},
    _links: {
      app: href(`${base}/api/v1/apps/${app.id}`),
      self: href(`${base}/api/v1/apps/${app.id}/groups/${groupId}`),
      group: href(`${base}/api/v1/groups/${groupId}`),
    },
  };
}

const IAM_ROLES = new Set(['WORKFLOWS_ADMIN', 'ACCESS_CERTIFICATIONS_ADMIN', 'ACCESS_REQUESTS_ADMIN']);

export function renderRole(base: string, role: RoleRecord): Json {
  const assignee = role.userId ? `${base}/api/v1/users/${role.userId}` : `${base}/api/v1/groups/${role.groupId}`;
  const out: Json = {
    id: role.id,
    label: ROLE_LABELS[role.type],
    type: role.type,
    status: 'ACTIVE',
    created: role.created,
    lastUpdated: role.lastUpdated,
    assignmentType: role.userId ? 'USER' : 'GROUP',
    _links: { assignee: href(assignee) },
  };
  if (role.type === 'CUSTOM') {
    out.role = role.role;
    out['resource-set'] = role.resourceSet;
  } else if (IAM_ROLES.has(role.type)) {
    // Okta models these as IAM-based roles: they carry their role and resource set like custom roles do.
    out.role = role.type;
    out['resource-set'] = role.type === 'WORKFLOWS_ADMIN' ? 'WORKFLOWS_IAM_POLICY' : 'ACCESS_CERTIFICATIONS_IAM_POLICY';
  }
  return out;
}
