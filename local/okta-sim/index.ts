/**
 * The Okta org simulator: an HTTP server implementing the part of the Okta Management API hookpilot uses, faithfully
 * enough that `@okta/okta-sdk-nodejs` cannot tell it from a real org. See docs/okta-simulator.md.
 */
export {
  type AuthorizationServerInput,
  DEFAULT_OIDC_CLIENTS,
  LOCAL_INLINE_CLIENT_SECRET,
  type OidcClientInput,
  type TokenResponse,
} from './authorization-server.ts';
export { type Clock, type ManualClock, manualClock, systemClock } from './clock.ts';
export type { ControlEventInput } from './control.ts';
export type { DeliveryAttempt, DeliveryOutcome, EventHookEnvelope, EventHookOptions } from './event-hooks.ts';
export { EVENT_TYPES, isHookEligible } from './event-types.ts';
export type { Fault, FaultSpec } from './faults.ts';
export { LIFECYCLE_FROM, LIFECYCLE_OPERATIONS, type LifecycleOperation, ROLE_LABELS } from './org.ts';
export { BUCKETS, type Bucket, DEFAULT_RATE_LIMITS, type RateLimitConfig } from './rate-limits.ts';
export {
  DEFAULT_SEED_PATH,
  loadSeed,
  parseSeed,
  type Seed,
  SeedError,
  type SeedInput,
  SeedSchema,
  STANDARD_ROLE_TYPES,
  USER_STATUSES,
  type UserStatus,
} from './seed.ts';
export {
  type OktaSim,
  type OktaSimOptions,
  type RequestRecord,
  type SchemaViolation,
  type ServiceAppInput,
  type SignInOptions,
  type SimState,
  startOktaSim,
} from './server.ts';
export type { LogActor, LogEvent, LogTarget } from './system-log.ts';
