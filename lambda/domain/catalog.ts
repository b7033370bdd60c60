import { z } from 'zod';
import type { OktaDirectory, OktaOperations, OktaUser, OktaWriteResult, UserStatus } from '../ports.ts';
import { USER_STATUSES } from '../ports.ts';

/**
 * The action catalog: every action hookpilot can take on an Okta org, one definition each. Nothing outside this catalog
 * can be executed. A definition says what its parameters are (zod), how risky it is, which user statuses it is valid
 * from, how to recognise that it is already done (success, not an error), how to perform it, and its inverse (for
 * rollback and time-bound grants).
 */

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The higher of two risk levels. */
export const maxRisk = (a: RiskLevel, b: RiskLevel): RiskLevel =>
  RISK_LEVELS.indexOf(a) >= RISK_LEVELS.indexOf(b) ? a : b;

/** Okta ids are 20 alphanumerics (`00u…`, `00g…`, `0oa…`); being strict here also keeps them safe in URL paths. */
export const oktaId = z.string().regex(/^[A-Za-z0-9]{15,30}$/, 'expected an Okta id (letters and digits)');

export const ADMIN_ROLE_TYPES = [
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
/** Roles that can take over the org (or its apps and tokens): assigning one is always critical. */
const TAKEOVER_ROLES: readonly string[] = ['SUPER_ADMIN', 'ORG_ADMIN', 'APP_ADMIN', 'API_ACCESS_MANAGEMENT_ADMIN'];

/** Profile attributes that decide who can sign in or recover the account: changing one is critical. */
export const IDENTITY_ATTRIBUTES: readonly string[] = ['login', 'email', 'secondEmail', 'mobilePhone', 'primaryPhone'];

const userOnly = z.strictObject({ userId: oktaId });
const userAndGroup = z.strictObject({ userId: oktaId, groupId: oktaId });
const userAndApp = z.strictObject({ userId: oktaId, appId: oktaId });
const userAndRole = z.strictObject({ userId: oktaId, roleType: z.enum(ADMIN_ROLE_TYPES) });
const profileValue = z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]);
const profileUpdate = z.strictObject({
  userId: oktaId,
  attributes: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'expected a profile attribute name'), profileValue)
    .refine((a) => Object.keys(a).length > 0 && Object.keys(a).length <= 20, 'between 1 and 20 attributes'),
});
const clearSessions = z.strictObject({ userId: oktaId, oauthTokens: z.boolean().default(true) });

const ALL: readonly UserStatus[] = USER_STATUSES;
const NOT_DEPROVISIONED: readonly UserStatus[] = USER_STATUSES.filter((s) => s !== 'DEPROVISIONED');

/** What the executor learnt while assessing, e.g. the values an inverse must restore. */
export type Snapshot = Readonly<Record<string, unknown>>;

export type Assessment =
  | { readonly kind: 'ready'; readonly before?: Snapshot }
  | { readonly kind: 'done'; readonly reason: string }
  | { readonly kind: 'void'; readonly reason: string };

interface Definition<T extends string, S extends z.ZodType<{ userId: string }>> {
  readonly type: T;
  readonly title: string;
  readonly params: S;
  readonly risk: (params: z.output<S>) => RiskLevel;
  /** User statuses in which the action can be performed. */
  readonly validFrom: readonly UserStatus[];
  /** User statuses in which the action's effect already holds. */
  readonly doneIn?: readonly UserStatus[];
  /** Checks beyond the status, with the current state of the org (read again just before acting). */
  readonly assess?: (params: z.output<S>, user: OktaUser, okta: OktaDirectory) => Promise<Assessment>;
  readonly perform: (
    params: z.output<S>,
    okta: OktaOperations,
    before: Snapshot | undefined,
  ) => Promise<OktaWriteResult>;
  /** The action that undoes this one, when there is one. */
  readonly inverse?: (params: z.output<S>, before: Snapshot | undefined) => ActionRequest | undefined;
  readonly describe: (params: z.output<S>) => string;
}

const define = <T extends string, S extends z.ZodType<{ userId: string }>>(d: Definition<T, S>) => d;

/** Whether the user is in an OKTA_GROUP, or why its membership cannot be changed. */
async function membership(
  groupId: string,
  user: OktaUser,
  okta: OktaDirectory,
): Promise<{ readonly member: boolean } | { readonly cannot: string }> {
  const group = await okta.getGroup(groupId);
  if (!group) return { cannot: `group ${groupId} does not exist` };
  if (group.type !== 'OKTA_GROUP') {
    const why = group.type === 'APP_GROUP' ? 'an APP_GROUP (its members come from the app)' : 'built in';
    return { cannot: `group ${groupId} is ${why}; its members cannot be changed` };
  }
  return { member: (await okta.listUserGroups(user.id)).some((g) => g.id === groupId) };
}

const lifecycle =
  (operation: Parameters<OktaOperations['lifecycle']>[1]) => (p: { userId: string }, okta: OktaOperations) =>
    okta.lifecycle(p.userId, operation);

export const ACTIONS = [
  define({
    type: 'group.add_member',
    title: 'Add to group',
    params: userAndGroup,
    risk: () => 'low', // the policy raises it for privileged groups
    validFrom: NOT_DEPROVISIONED,
    assess: async (p, user, okta) => {
      const m = await membership(p.groupId, user, okta);
      if ('cannot' in m) return { kind: 'void', reason: m.cannot };
      return m.member ? { kind: 'done', reason: 'already a member' } : { kind: 'ready' };
    },
    perform: (p, okta) => okta.addGroupMember(p.groupId, p.userId),
    inverse: (p) => ({ type: 'group.remove_member', params: { userId: p.userId, groupId: p.groupId } }),
    describe: (p) => `add user ${p.userId} to group ${p.groupId}`,
  }),
  define({
    type: 'group.remove_member',
    title: 'Remove from group',
    params: userAndGroup,
    risk: () => 'medium',
    validFrom: ALL,
    assess: async (p, user, okta) => {
      const m = await membership(p.groupId, user, okta);
      if ('cannot' in m) return { kind: 'void', reason: m.cannot };
      return m.member ? { kind: 'ready' } : { kind: 'done', reason: 'not a member' };
    },
    perform: (p, okta) => okta.removeGroupMember(p.groupId, p.userId),
    inverse: (p) => ({ type: 'group.add_member', params: { userId: p.userId, groupId: p.groupId } }),
    describe: (p) => `remove user ${p.userId} from group ${p.groupId}`,
  }),
  define({
    type: 'app.assign',
    title: 'Assign app',
    params: userAndApp,
    risk: () => 'medium',
    validFrom: NOT_DEPROVISIONED,
    assess: async (p, _user, okta) =>
      (await okta.getAppAssignment(p.appId, p.userId))
        ? { kind: 'done', reason: 'already assigned' }
        : { kind: 'ready' },
    perform: (p, okta) => okta.assignApp(p.appId, p.userId),
    inverse: (p) => ({ type: 'app.unassign', params: { userId: p.userId, appId: p.appId } }),
    describe: (p) => `assign app ${p.appId} to user ${p.userId}`,
  }),
  define({
    type: 'app.unassign',
    title: 'Unassign app',
    params: userAndApp,
    risk: () => 'high', // destructive: the app profile is lost and the app may deprovision the account
    validFrom: ALL,
    assess: async (p, _user, okta) => {
      const assignment = await okta.getAppAssignment(p.appId, p.userId);
      if (!assignment) return { kind: 'done', reason: 'not assigned' };
      if (assignment.scope === 'GROUP') {
        return {
          kind: 'void',
          reason: `app ${p.appId} is assigned through a group; remove the group membership instead`,
        };
      }
      return { kind: 'ready' };
    },
    perform: (p, okta) => okta.unassignApp(p.appId, p.userId),
    inverse: (p) => ({ type: 'app.assign', params: { userId: p.userId, appId: p.appId } }),
    describe: (p) => `unassign app ${p.appId} from user ${p.userId}`,
  }),
  define({
    type: 'user.suspend',
    title: 'Suspend user',
    params: userOnly,
    risk: () => 'high',
    validFrom: ['ACTIVE'],
    doneIn: ['SUSPENDED'],
    perform: lifecycle('suspend'),
    inverse: (p) => ({ type: 'user.unsuspend', params: { userId: p.userId } }),
    describe: (p) => `suspend user ${p.userId}`,
  }),
  define({
    type: 'user.unsuspend',
    title: 'Unsuspend user',
    params: userOnly,
    risk: () => 'medium',
    validFrom: ['SUSPENDED'],
    doneIn: ['ACTIVE'],
    perform: lifecycle('unsuspend'),
    inverse: (p) => ({ type: 'user.suspend', params: { userId: p.userId } }),
    describe: (p) => `unsuspend user ${p.userId}`,
  }),
  define({
    type: 'user.deactivate',
    title: 'Deactivate user',
    params: userOnly,
    risk: () => 'critical', // deprovisions the user from every app; cannot be fully undone
    validFrom: NOT_DEPROVISIONED,
    doneIn: ['DEPROVISIONED'],
    perform: lifecycle('deactivate'),
    inverse: (p) => ({ type: 'user.activate', params: { userId: p.userId } }),
    describe: (p) => `deactivate user ${p.userId}`,
  }),
  define({
    type: 'user.activate',
    title: 'Activate user',
    params: userOnly,
    risk: () => 'medium',
    validFrom: ['STAGED', 'DEPROVISIONED'],
    doneIn: ['ACTIVE', 'PROVISIONED'],
    perform: lifecycle('activate'),
    inverse: (p) => ({ type: 'user.deactivate', params: { userId: p.userId } }),
    describe: (p) => `activate user ${p.userId}`,
  }),
  define({
    type: 'user.reactivate',
    title: 'Resend activation',
    params: userOnly,
    risk: () => 'medium',
    validFrom: ['PROVISIONED', 'RECOVERY'],
    perform: lifecycle('reactivate'),
    describe: (p) => `restart activation of user ${p.userId}`,
  }),
  define({
    type: 'user.unlock',
    title: 'Unlock user',
    params: userOnly,
    risk: () => 'low',
    validFrom: ['LOCKED_OUT'],
    doneIn: ['ACTIVE'],
    perform: lifecycle('unlock'),
    describe: (p) => `unlock user ${p.userId}`,
  }),
  define({
    type: 'user.expire_password',
    title: 'Expire password',
    params: userOnly,
    risk: () => 'medium',
    validFrom: ['ACTIVE', 'LOCKED_OUT', 'RECOVERY'],
    doneIn: ['PASSWORD_EXPIRED'],
    perform: lifecycle('expire_password'),
    describe: (p) => `expire the password of user ${p.userId}`,
  }),
  define({
    type: 'user.reset_password',
    title: 'Reset password (email)',
    params: userOnly,
    risk: () => 'medium',
    validFrom: ['ACTIVE', 'LOCKED_OUT', 'PASSWORD_EXPIRED'],
    doneIn: ['RECOVERY'],
    perform: lifecycle('reset_password'),
    describe: (p) => `send user ${p.userId} a password reset email`,
  }),
  define({
    type: 'user.reset_factors',
    title: 'Reset MFA factors',
    params: userOnly,
    risk: () => 'high', // the user must enroll again; the recovery path becomes the weak point
    validFrom: ['ACTIVE', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'RECOVERY', 'SUSPENDED'],
    perform: lifecycle('reset_factors'),
    describe: (p) => `reset every MFA factor of user ${p.userId}`,
  }),
  define({
    type: 'user.clear_sessions',
    title: 'Clear sessions',
    params: clearSessions,
    risk: () => 'low',
    validFrom: NOT_DEPROVISIONED,
    doneIn: ['DEPROVISIONED'],
    perform: (p, okta) => okta.clearSessions(p.userId, { oauthTokens: p.oauthTokens }),
    describe: (p) => `end every session of user ${p.userId}${p.oauthTokens ? ' and revoke its OAuth tokens' : ''}`,
  }),
  define({
    type: 'role.assign',
    title: 'Assign admin role',
    params: userAndRole,
    risk: (p) => (TAKEOVER_ROLES.includes(p.roleType) ? 'critical' : 'high'),
    validFrom: ['ACTIVE'],
    assess: async (p, user, okta) =>
      (await okta.listRoles(user.id)).some((r) => r.type === p.roleType)
        ? { kind: 'done', reason: `already has ${p.roleType}` }
        : { kind: 'ready' },
    perform: (p, okta) => okta.assignRole(p.userId, p.roleType),
    inverse: (p) => ({ type: 'role.unassign', params: { userId: p.userId, roleType: p.roleType } }),
    describe: (p) => `give user ${p.userId} the ${p.roleType} role`,
  }),
  define({
    type: 'role.unassign',
    title: 'Remove admin role',
    params: userAndRole,
    risk: () => 'high',
    validFrom: ALL,
    assess: async (p, user, okta) => {
      const role = (await okta.listRoles(user.id)).find((r) => r.type === p.roleType);
      return role
        ? { kind: 'ready', before: { roleAssignmentId: role.id } }
        : { kind: 'done', reason: `does not have ${p.roleType}` };
    },
    perform: (p, okta, before) => okta.unassignRole(p.userId, String(before?.roleAssignmentId)),
    inverse: (p) => ({ type: 'role.assign', params: { userId: p.userId, roleType: p.roleType } }),
    describe: (p) => `remove the ${p.roleType} role from user ${p.userId}`,
  }),
  define({
    type: 'user.update_profile',
    title: 'Update profile',
    params: profileUpdate,
    risk: (p) => (Object.keys(p.attributes).some((a) => IDENTITY_ATTRIBUTES.includes(a)) ? 'critical' : 'medium'),
    validFrom: NOT_DEPROVISIONED, // Okta refuses to change a deprovisioned user's profile
    assess: async (p, user) => {
      const changed = Object.entries(p.attributes).filter(([k, v]) => (user.profile[k] ?? null) !== v);
      if (changed.length === 0) return { kind: 'done', reason: 'the profile already has these values' };
      return {
        kind: 'ready',
        before: { attributes: Object.fromEntries(changed.map(([k]) => [k, user.profile[k] ?? null])) },
      };
    },
    perform: (p, okta) => okta.updateProfile(p.userId, p.attributes),
    inverse: (p, before) => {
      const attributes = before?.attributes as Record<string, string | number | boolean | null> | undefined;
      return attributes ? { type: 'user.update_profile', params: { userId: p.userId, attributes } } : undefined;
    },
    describe: (p) => `set ${Object.keys(p.attributes).join(', ')} on user ${p.userId}`,
  }),
  define({
    type: 'user.delete',
    title: 'Delete user',
    params: userOnly,
    risk: () => 'critical',
    validFrom: ['DEPROVISIONED'], // two-step: deactivate first (Okta's first DELETE would only deactivate)
    perform: (p, okta) => okta.deleteUser(p.userId),
    describe: (p) => `permanently delete user ${p.userId}`,
  }),
] as const;

type AnyDefinition = (typeof ACTIONS)[number];
export type ActionType = AnyDefinition['type'];
export const ACTION_TYPES = ACTIONS.map((a) => a.type) as [ActionType, ...ActionType[]];

/** An action as proposed or queued: a catalog type and its parameters. */
export interface ActionRequest {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export type Action = {
  [D in AnyDefinition as D['type']]: { readonly type: D['type']; readonly params: z.output<D['params']> };
}[ActionType];

/** A valid catalog action: `type` names an entry and `params` pass its schema. */
export const ActionSchema = z.discriminatedUnion(
  'type',
  ACTIONS.map((d) => z.strictObject({ type: z.literal(d.type), params: d.params })) as unknown as [
    z.ZodObject<{ type: z.ZodLiteral<ActionType>; params: z.ZodType }>,
    ...z.ZodObject<{ type: z.ZodLiteral<ActionType>; params: z.ZodType }>[],
  ],
) as unknown as z.ZodType<Action>;

const BY_TYPE = new Map<string, AnyDefinition>(ACTIONS.map((d) => [d.type, d]));

/** The definition of a catalog action type, or undefined for anything else. */
export function definitionOf(type: string): Definition<ActionType, z.ZodType<{ userId: string }>> | undefined {
  return BY_TYPE.get(type) as Definition<ActionType, z.ZodType<{ userId: string }>> | undefined;
}

/** The risk of a valid action. */
export function riskOf(action: Action): RiskLevel {
  const definition = definitionOf(action.type);
  if (!definition) throw new Error(`not a catalog action: ${action.type}`);
  return definition.risk(action.params);
}

export const describeAction = (action: Action): string =>
  definitionOf(action.type)?.describe(action.params) ?? action.type;
