import { z } from 'zod';
import { ID_PREFIX } from './ids.ts';
import {
  appId,
  GROUP_TYPES,
  groupId,
  oktaId,
  SIGN_ON_MODES,
  STANDARD_ROLE_TYPES,
  USER_STATUSES,
  userId,
} from './seed.ts';

/**
 * zod schemas for what the Okta Management API returns, written from the facts in Okta's OpenAPI description
 * (`components.schemas`: required fields, enums, formats, nullability, write-only fields) for the subset the simulator
 * implements. Top-level objects are strict: a property the OAS does not define for the object is an error, so the
 * simulator cannot leak internals (or write-only values such as passwords and hook secrets).
 *
 * Where Okta's real responses differ from the OAS, the schema follows the real responses and says so (e.g. `null`s in
 * System Log events, `device`/`insertionTimestamp` in event hook deliveries).
 */

const timestamp = z.iso.datetime({ offset: true });
const nullableTimestamp = timestamp.nullable();

/** OAS `HrefObject` (with the `method`/`hints` Okta adds on lifecycle links). */
export const HrefObjectSchema = z.strictObject({
  href: z.url(),
  name: z.string().optional(),
  type: z.string().optional(),
  method: z.string().optional(),
  hints: z.strictObject({ allow: z.array(z.string()) }).optional(),
});

const LinksSchema = z.record(z.string(), z.union([HrefObjectSchema, z.array(HrefObjectSchema)]));

// ---- errors --------------------------------------------------------------------------------------------------------

/** OAS `Error`. */
export const ErrorSchema = z.strictObject({
  errorCode: z.string().regex(/^E\d{7}$/),
  errorSummary: z.string().min(1),
  errorLink: z.string(),
  errorId: z.string().min(1),
  errorCauses: z.array(z.strictObject({ errorSummary: z.string() })),
});

/** An OAuth 2.0 error from `/oauth2/v1/token` (RFC 6749 §5.2, the shape Okta's authorization servers use). */
export const OAuthErrorSchema = z.strictObject({
  error: z.string().min(1),
  error_description: z.string(),
});

export const AccessTokenResponseSchema = z.strictObject({
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().positive(),
  access_token: z.string().min(1),
  scope: z.string().min(1),
});

// ---- users ---------------------------------------------------------------------------------------------------------

/** OAS `UserStatus`. */
export const UserStatusSchema = z.enum(USER_STATUSES);

const nullableString = z.string().nullable();

/** OAS `UserProfile`: the base attributes with their constraints; custom attributes pass through. */
export const UserProfileSchema = z.looseObject({
  login: z.string().min(5).max(100),
  email: z.email().min(5).max(100),
  secondEmail: z.email().max(100).nullish(),
  firstName: z.string().min(1).max(50).nullable(),
  lastName: z.string().min(1).max(50).nullable(),
  middleName: nullableString.optional(),
  honorificPrefix: nullableString.optional(),
  honorificSuffix: nullableString.optional(),
  title: nullableString.optional(),
  displayName: nullableString.optional(),
  nickName: nullableString.optional(),
  profileUrl: nullableString.optional(),
  primaryPhone: z.string().max(100).nullish(),
  mobilePhone: z.string().max(100).nullish(),
  streetAddress: z.string().max(1024).nullish(),
  city: z.string().max(128).nullish(),
  state: z.string().max(128).nullish(),
  zipCode: z.string().max(50).nullish(),
  countryCode: z.string().max(2).nullish(),
  postalAddress: z.string().max(4096).nullish(),
  preferredLanguage: nullableString.optional(),
  locale: z.string().optional(),
  timezone: nullableString.optional(),
  userType: nullableString.optional(),
  employeeNumber: z.string().optional(),
  costCenter: nullableString.optional(),
  organization: nullableString.optional(),
  division: nullableString.optional(),
  department: z.string().optional(),
  managerId: nullableString.optional(),
  manager: nullableString.optional(),
});

/** OAS `UserCredentials`: `password.value` and `recovery_question.answer` are write-only and never returned. */
export const UserCredentialsSchema = z.strictObject({
  password: z.strictObject({}).optional(),
  recovery_question: z.strictObject({ question: z.string().min(1).max(100) }).optional(),
  provider: z.strictObject({
    type: z.enum(['ACTIVE_DIRECTORY', 'FEDERATION', 'IMPORT', 'LDAP', 'OKTA', 'SOCIAL']),
    name: z.string(),
  }),
});

/** OAS `User`. */
export const UserSchema = z.strictObject({
  id: userId,
  status: UserStatusSchema,
  created: timestamp,
  activated: nullableTimestamp,
  statusChanged: nullableTimestamp,
  lastLogin: nullableTimestamp,
  lastUpdated: timestamp,
  passwordChanged: nullableTimestamp,
  type: z.strictObject({ id: z.string() }),
  transitioningToStatus: z.enum(['ACTIVE', 'DEPROVISIONED', 'PROVISIONED']).nullable(),
  realmId: z.string().optional(),
  profile: UserProfileSchema,
  credentials: UserCredentialsSchema,
  _embedded: z.record(z.string(), z.unknown()).optional(),
  _links: LinksSchema.refine((l) => 'self' in l, 'a user always has a self link'),
});

/** OAS `UserActivationToken` (empty when the activation email was sent). */
export const UserActivationTokenSchema = z.strictObject({
  activationToken: z.string().optional(),
  activationUrl: z.url().optional(),
});

/** OAS `ResetPasswordToken` (empty when the email was sent). */
export const ResetPasswordTokenSchema = z.strictObject({ resetPasswordUrl: z.url().optional() });

/** OAS `tempPassword`. */
export const TempPasswordSchema = z.strictObject({ tempPassword: z.string().min(1) });

// ---- groups --------------------------------------------------------------------------------------------------------

/** OAS `GroupType`. */
export const GroupTypeSchema = z.enum(GROUP_TYPES);

/** OAS `Group`. */
export const GroupSchema = z.strictObject({
  id: groupId,
  created: timestamp,
  lastUpdated: timestamp,
  lastMembershipUpdated: timestamp,
  objectClass: z.array(z.string()),
  type: GroupTypeSchema,
  profile: z.looseObject({ name: z.string().min(1), description: z.string().nullish() }),
  _embedded: z
    .strictObject({
      stats: z
        .strictObject({
          usersCount: z.number().int(),
          appsCount: z.number().int(),
          groupPushMappingsCount: z.number().int(),
          hasAdminPrivilege: z.boolean(),
        })
        .optional(),
    })
    .optional(),
  _links: LinksSchema,
});

// ---- apps ----------------------------------------------------------------------------------------------------------

/** OAS `Application`, minimal: the common properties (sign-on-mode specifics are not modelled). */
export const ApplicationSchema = z.strictObject({
  id: appId,
  name: z.string().min(1),
  label: z.string().min(1),
  status: z.enum(['ACTIVE', 'DELETED', 'INACTIVE']),
  created: timestamp,
  lastUpdated: timestamp,
  accessibility: z.looseObject({ selfService: z.boolean() }),
  visibility: z.looseObject({ appLinks: z.record(z.string(), z.boolean()) }),
  features: z.array(z.string()),
  signOnMode: z.enum(SIGN_ON_MODES),
  credentials: z.looseObject({}),
  settings: z.looseObject({}),
  _links: LinksSchema,
});

/** OAS `AppUserStatus`. */
export const AppUserStatusSchema = z.enum([
  'ACTIVE',
  'APPROVED',
  'DEPROVISIONED',
  'IMPLICIT',
  'IMPORTED',
  'INACTIVE',
  'MATCHED',
  'PENDING',
  'PROVISIONED',
  'REVOKED',
  'STAGED',
  'SUSPENDED',
  'UNASSIGNED',
]);

/** OAS `AppUser`. */
export const AppUserSchema = z.strictObject({
  id: userId,
  externalId: z.string().nullable(),
  created: timestamp,
  lastUpdated: timestamp,
  scope: z.enum(['USER', 'GROUP']),
  status: AppUserStatusSchema,
  statusChanged: timestamp,
  passwordChanged: nullableTimestamp,
  syncState: z.enum(['DISABLED', 'ERROR', 'OUT_OF_SYNC', 'SYNCHRONIZED', 'SYNCING']),
  lastSync: timestamp.optional(),
  credentials: z.strictObject({ userName: z.string().min(1).max(100) }),
  profile: z.record(z.string(), z.unknown()),
  _embedded: z.strictObject({ user: z.lazy(() => UserSchema) }).optional(),
  _links: z.strictObject({ app: HrefObjectSchema, user: HrefObjectSchema }),
});

/** OAS `AssignedAppLink`. */
export const AssignedAppLinkSchema = z.strictObject({
  id: z.string(),
  label: z.string(),
  linkUrl: z.url(),
  logoUrl: z.url(),
  appName: z.string(),
  appInstanceId: appId,
  appAssignmentId: oktaId(ID_PREFIX.appAssignment, 'app assignment'),
  credentialsSetup: z.boolean(),
  hidden: z.boolean(),
  sortOrder: z.number().int(),
});

/** OAS `ApplicationGroupAssignment`. */
export const ApplicationGroupAssignmentSchema = z.strictObject({
  id: groupId,
  priority: z.number().int(),
  lastUpdated: timestamp,
  profile: z.record(z.string(), z.unknown()),
  _embedded: z.record(z.string(), z.unknown()).optional(),
  _links: LinksSchema,
});

// ---- admin roles ---------------------------------------------------------------------------------------------------

/** OAS `RoleType`. */
export const RoleTypeSchema = z.enum([...STANDARD_ROLE_TYPES, 'CUSTOM']);

/** OAS `StandardRole` (and `CustomRole`, which adds `role` and `resource-set`). */
export const RoleAssignmentSchema = z.strictObject({
  id: z.string().min(1),
  label: z.string().min(1),
  type: RoleTypeSchema,
  status: z.enum(['ACTIVE', 'INACTIVE']),
  created: timestamp,
  lastUpdated: timestamp,
  assignmentType: z.enum(['CLIENT', 'GROUP', 'USER']),
  role: z.string().optional(),
  'resource-set': z.string().optional(),
  _embedded: z.record(z.string(), z.unknown()).optional(),
  _links: z.looseObject({ assignee: HrefObjectSchema }),
});

// ---- System Log ----------------------------------------------------------------------------------------------------

/** OAS `LogActor` / `LogTarget` (Okta sends `null` for an empty `detailEntry`). */
export const LogActorSchema = z.strictObject({
  id: z.string().min(1),
  type: z.string().min(1),
  alternateId: z.string().nullable(),
  displayName: z.string().nullable(),
  detailEntry: z.record(z.string(), z.unknown()).nullable(),
});

export const LogTargetSchema = LogActorSchema.extend({
  changeDetails: z
    .strictObject({ from: z.record(z.string(), z.unknown()), to: z.record(z.string(), z.unknown()) })
    .optional(),
});

/** OAS `LogGeographicalContext` (all fields may be null, as Okta sends for unknown locations). */
export const LogGeographicalContextSchema = z.strictObject({
  city: nullableString,
  state: nullableString,
  country: nullableString,
  postalCode: nullableString,
  geolocation: z.strictObject({ lat: z.number(), lon: z.number() }).nullable(),
});

/** OAS `LogIpAddress`. */
export const LogIpAddressSchema = z.strictObject({
  ip: z.string(),
  geographicalContext: LogGeographicalContextSchema.nullable(),
  version: z.enum(['V4', 'V6']),
  source: nullableString,
});

/** OAS `LogClient` (plus `ipChain`, present in Okta's event hook sample). */
export const LogClientSchema = z.strictObject({
  userAgent: z.strictObject({ rawUserAgent: z.string(), os: z.string(), browser: z.string() }).nullable(),
  zone: nullableString,
  device: nullableString,
  id: nullableString,
  ipAddress: nullableString,
  geographicalContext: LogGeographicalContextSchema.nullable(),
  ipChain: z.array(LogIpAddressSchema).optional(),
});

/** OAS `LogOutcome.result`. */
export const LogOutcomeResultSchema = z.enum([
  'SUCCESS',
  'FAILURE',
  'SKIPPED',
  'ALLOW',
  'DENY',
  'CHALLENGE',
  'UNKNOWN',
  'RATE_LIMIT',
  'DEFERRED',
  'SCHEDULED',
  'ABANDONED',
  'UNANSWERED',
]);

/** OAS `LogEvent`, plus `device` and `insertionTimestamp` (both `null`), which Okta's event hook sample carries. */
export const LogEventSchema = z.strictObject({
  uuid: z.string().min(1),
  published: timestamp,
  eventType: z.string().regex(/^[a-z0-9_]+(\.[a-zA-Z0-9_]+)+$/),
  version: z.string(),
  displayMessage: z.string(),
  severity: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
  client: LogClientSchema,
  device: z.null().optional(),
  actor: LogActorSchema,
  outcome: z.strictObject({ result: LogOutcomeResultSchema, reason: z.string().min(1).max(255).nullable() }),
  target: z.array(LogTargetSchema),
  transaction: z.strictObject({
    type: z.enum(['WEB', 'JOB']),
    id: z.string().min(1),
    detail: z.record(z.string(), z.unknown()),
  }),
  debugContext: z.strictObject({ debugData: z.record(z.string(), z.unknown()) }),
  legacyEventType: nullableString,
  authenticationContext: z.strictObject({
    authenticationProvider: z
      .enum(['ACTIVE_DIRECTORY', 'FACTOR_PROVIDER', 'FEDERATION', 'LDAP', 'OKTA_AUTHENTICATION_PROVIDER', 'SOCIAL'])
      .nullable(),
    credentialProvider: z
      .enum(['DUO', 'GOOGLE', 'OKTA_AUTHENTICATION_PROVIDER', 'OKTA_CREDENTIAL_PROVIDER', 'RSA', 'SYMANTEC', 'YUBIKEY'])
      .nullable(),
    credentialType: z
      .enum([
        'ASSERTION',
        'CERTIFICATE',
        'DEVICE_UDID',
        'EMAIL',
        'IWA',
        'JWT',
        'OAuth 2.0',
        'OKTA_CLIENT_SESSION',
        'OTP',
        'PASSWORD',
        'PRE_SHARED_SYMMETRIC_KEY',
        'SMS',
      ])
      .nullable(),
    issuer: z.strictObject({ id: z.string(), type: z.string() }).nullable(),
    authenticationStep: z.number().int(),
    externalSessionId: z.string(),
    interface: nullableString,
  }),
  securityContext: z.looseObject({
    asNumber: z.number().int().nullable(),
    asOrg: nullableString,
    isp: nullableString,
    domain: nullableString,
    isProxy: z.boolean().nullable(),
  }),
  request: z.strictObject({ ipChain: z.array(LogIpAddressSchema) }).optional(),
  insertionTimestamp: z.null().optional(),
});

// ---- event hooks ---------------------------------------------------------------------------------------------------

/** OAS `EventHook` (`channel.config.authScheme.value` is write-only and never returned). */
export const EventHookSchema = z.strictObject({
  id: oktaId(ID_PREFIX.eventHook, 'event hook'),
  status: z.enum(['ACTIVE', 'INACTIVE']),
  verificationStatus: z.enum(['UNVERIFIED', 'VERIFIED']),
  name: z.string().min(1),
  description: z.string().nullable(),
  created: timestamp,
  createdBy: z.string(),
  lastUpdated: timestamp,
  events: z.strictObject({
    type: z.literal('EVENT_TYPE'),
    items: z.array(z.string()).min(1),
    filter: z.unknown().nullable(),
  }),
  channel: z.strictObject({
    type: z.literal('HTTP'),
    version: z.string(),
    config: z.strictObject({
      uri: z.url(),
      headers: z.array(z.strictObject({ key: z.string(), value: z.string() })),
      method: z.string(),
      authScheme: z.strictObject({ type: z.literal('HEADER'), key: z.string() }).nullable(),
    }),
  }),
  _links: LinksSchema,
});

/** An event hook delivery body (docs/okta-protocol.md §1.3): the envelope around System Log events. */
export const EventHookDeliverySchema = z.strictObject({
  eventType: z.literal('com.okta.event_hook'),
  eventTypeVersion: z.literal('1.0'),
  cloudEventsVersion: z.literal('0.1'),
  source: z.url(),
  eventId: z.uuid(),
  data: z.strictObject({ events: z.array(LogEventSchema).min(1) }),
  eventTime: timestamp,
  contentType: z.literal('application/json'),
});
