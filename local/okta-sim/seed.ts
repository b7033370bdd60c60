import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ID_PREFIX } from './ids.ts';

/**
 * The seed: the org the simulator starts with. `seed-org.json` is the default; any JSON file (or object) of this shape
 * can replace it (`startOktaSim({ seed })`), so users can model their own org. Documented in docs/okta-simulator.md.
 */

export const DEFAULT_SEED_PATH = join(dirname(fileURLToPath(import.meta.url)), 'seed-org.json');

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

export const STANDARD_ROLE_TYPES = [
  'SUPER_ADMIN',
  'ORG_ADMIN',
  'APP_ADMIN',
  'USER_ADMIN',
  'HELP_DESK_ADMIN',
  'READ_ONLY_ADMIN',
  'GROUP_MEMBERSHIP_ADMIN',
  'API_ACCESS_MANAGEMENT_ADMIN',
  'REPORT_ADMIN',
  'WORKFLOWS_ADMIN',
  'ACCESS_CERTIFICATIONS_ADMIN',
  'ACCESS_REQUESTS_ADMIN',
] as const;
export type StandardRoleType = (typeof STANDARD_ROLE_TYPES)[number];

export const SIGN_ON_MODES = [
  'AUTO_LOGIN',
  'BASIC_AUTH',
  'BOOKMARK',
  'BROWSER_PLUGIN',
  'OPENID_CONNECT',
  'SAML_1_1',
  'SAML_2_0',
  'SECURE_PASSWORD_STORE',
  'WS_FEDERATION',
] as const;

export const GROUP_TYPES = ['OKTA_GROUP', 'APP_GROUP', 'BUILT_IN'] as const;
export type GroupType = (typeof GROUP_TYPES)[number];

/** A zod schema for an Okta object id: the 3-character `prefix` and 17 letters or digits. */
export const oktaId = (prefix: string, what: string) =>
  z
    .string()
    .regex(
      new RegExp(`^${prefix}[0-9A-Za-z]{17}$`),
      `must be an Okta ${what} id: "${prefix}" and 17 letters or digits`,
    );

export const userId = oktaId(ID_PREFIX.user, 'user');
export const groupId = oktaId(ID_PREFIX.group, 'group');
export const appId = oktaId(ID_PREFIX.app, 'app');

const timestamp = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 timestamp, e.g. 2024-01-31T09:00:00.000Z',
});

export const SeedUserSchema = z.strictObject({
  id: userId,
  status: z.enum(USER_STATUSES).default('ACTIVE'),
  created: timestamp.optional(),
  activated: timestamp.nullish(),
  statusChanged: timestamp.nullish(),
  lastLogin: timestamp.nullish(),
  lastUpdated: timestamp.optional(),
  passwordChanged: timestamp.nullish(),
  /** Whether the user has a password (default: true, except for STAGED and PROVISIONED users). */
  password: z.boolean().optional(),
  recoveryQuestion: z.string().min(1).optional(),
  /** Enrolled MFA factor types (e.g. `okta_verify`, `webauthn`); `reset_factors` clears them. */
  factors: z.array(z.string().min(1)).default([]),
  profile: z.looseObject({
    login: z.string().min(5).max(100),
    email: z.email().max(100),
    firstName: z.string().min(1).max(50),
    lastName: z.string().min(1).max(50),
  }),
});

export const SeedGroupSchema = z.strictObject({
  id: groupId,
  type: z.enum(GROUP_TYPES).default('OKTA_GROUP'),
  created: timestamp.optional(),
  profile: z.looseObject({ name: z.string().min(1), description: z.string().nullish() }),
  /** For APP_GROUP: the app the group was imported from. */
  sourceAppId: appId.optional(),
  /** Member user ids (the BUILT_IN `Everyone` group always has every user; leave it empty). */
  members: z.array(userId).default([]),
});

export const SeedAppSchema = z.strictObject({
  id: appId,
  /** The app's integration key, e.g. `slack`, `github`, `google`. */
  name: z.string().regex(/^[a-z0-9_]+$/, 'must be lower-case letters, digits and underscores'),
  label: z.string().min(1),
  signOnMode: z.enum(SIGN_ON_MODES),
  status: z.enum(['ACTIVE', 'INACTIVE']).default('ACTIVE'),
  created: timestamp.optional(),
  features: z.array(z.string()).default([]),
  /** Direct (scope USER) assignments. */
  users: z
    .array(z.union([userId, z.strictObject({ id: userId, profile: z.record(z.string(), z.unknown()).optional() })]))
    .default([]),
  /** Group assignments: every member gets the app (scope GROUP). */
  groups: z.array(groupId).default([]),
});

export const SeedRoleSchema = z
  .strictObject({
    type: z.enum(STANDARD_ROLE_TYPES),
    userId: userId.optional(),
    groupId: groupId.optional(),
    created: timestamp.optional(),
  })
  .refine((r) => (r.userId === undefined) !== (r.groupId === undefined), 'give exactly one of userId or groupId');

export const SeedServiceAppSchema = z.strictObject({
  clientId: z.string().min(1),
  name: z.string().min(1),
  /** The OAuth 2.0 scopes granted to the app (e.g. `okta.users.read`). */
  scopes: z.array(z.string().regex(/^okta\.[A-Za-z]+\.(read|manage)$/, 'must look like okta.<resource>.<read|manage>')),
  /** The app's public keys; private_key_jwt client assertions must verify against one of them. */
  jwks: z.strictObject({ keys: z.array(z.looseObject({ kty: z.enum(['RSA', 'EC']), kid: z.string().optional() })) }),
});

export const SeedSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    org: z.strictObject({
      name: z.string().min(1),
      /** Okta subdomain the org pretends to be (used in display text only; URLs use the simulator's own address). */
      subdomain: z.string().min(1).default('acme'),
      created: timestamp.default('2021-03-01T09:00:00.000Z'),
    }),
    /** Who the SSWS API token belongs to: the System Log actor of API-token calls. */
    apiToken: z.strictObject({
      id: oktaId(ID_PREFIX.apiToken, 'API token'),
      name: z.string().min(1),
      ownerId: userId,
    }),
    userTypeId: oktaId(ID_PREFIX.userType, 'user type').default('oty1sim0defaultUtype'),
    users: z.array(SeedUserSchema),
    groups: z.array(SeedGroupSchema).default([]),
    apps: z.array(SeedAppSchema).default([]),
    adminRoles: z.array(SeedRoleSchema).default([]),
    serviceApps: z.array(SeedServiceAppSchema).default([]),
  })
  .superRefine((seed, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const userIds = new Set<string>();
    const logins = new Map<string, number>();
    seed.users.forEach((u, i) => {
      if (userIds.has(u.id)) issue(['users', i, 'id'], `duplicate user id ${u.id}`);
      userIds.add(u.id);
      const login = u.profile.login.toLowerCase();
      const other = logins.get(login);
      if (other !== undefined)
        issue(['users', i, 'profile', 'login'], `login ${u.profile.login} is also users[${other}]`);
      logins.set(login, i);
    });
    const appIds = new Set(seed.apps.map((a) => a.id));
    const groupIds = new Set<string>();
    let builtIn = 0;
    seed.groups.forEach((g, i) => {
      if (groupIds.has(g.id)) issue(['groups', i, 'id'], `duplicate group id ${g.id}`);
      groupIds.add(g.id);
      if (g.type === 'BUILT_IN' && ++builtIn > 1) issue(['groups', i, 'type'], 'only one BUILT_IN group (Everyone)');
      if (g.sourceAppId && !appIds.has(g.sourceAppId)) issue(['groups', i, 'sourceAppId'], `no app ${g.sourceAppId}`);
      if (g.type === 'APP_GROUP' && !g.sourceAppId) issue(['groups', i, 'sourceAppId'], 'an APP_GROUP needs its app');
      g.members.forEach((m, j) => {
        if (!userIds.has(m)) issue(['groups', i, 'members', j], `no user with id ${m}`);
      });
    });
    const seenApps = new Set<string>();
    seed.apps.forEach((a, i) => {
      if (seenApps.has(a.id)) issue(['apps', i, 'id'], `duplicate app id ${a.id}`);
      seenApps.add(a.id);
      a.users.forEach((u, j) => {
        const id = typeof u === 'string' ? u : u.id;
        if (!userIds.has(id)) issue(['apps', i, 'users', j], `no user with id ${id}`);
      });
      a.groups.forEach((g, j) => {
        if (!groupIds.has(g)) issue(['apps', i, 'groups', j], `no group with id ${g}`);
      });
    });
    seed.adminRoles.forEach((r, i) => {
      if (r.userId && !userIds.has(r.userId)) issue(['adminRoles', i, 'userId'], `no user with id ${r.userId}`);
      if (r.groupId && !groupIds.has(r.groupId)) issue(['adminRoles', i, 'groupId'], `no group with id ${r.groupId}`);
    });
    if (!userIds.has(seed.apiToken.ownerId)) issue(['apiToken', 'ownerId'], `no user with id ${seed.apiToken.ownerId}`);
  });

export type Seed = z.output<typeof SeedSchema>;
export type SeedInput = z.input<typeof SeedSchema>;

/** A seed that cannot be used; the message names the source and every problem, one per line, with its JSON path. */
export class SeedError extends Error {
  override readonly name = 'SeedError';
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
    '',
  );
}

/** Validates a seed object; throws `SeedError` listing each problem. */
export function parseSeed(input: unknown, source = 'seed object'): Seed {
  const result = SeedSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  - ${formatPath(i.path) || '(root)'}: ${i.message}`);
  throw new SeedError(`Invalid Okta simulator seed (${source}):\n${lines.join('\n')}`);
}

/** Loads a seed from a JSON file path, an object, or (by default) the bundled `seed-org.json`. */
export function loadSeed(seed: string | object | undefined): Seed {
  if (seed !== undefined && typeof seed !== 'string') return parseSeed(seed);
  const path = seed ?? DEFAULT_SEED_PATH;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SeedError(`Cannot read the Okta simulator seed file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SeedError(`The Okta simulator seed file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseSeed(json, path);
}
