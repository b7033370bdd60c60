import type { AccessTokenEnvNames } from './access-token-config.ts';

/** The environment variables the inline hook functions read (the CDK stack and the local stack set them). */
export const INLINE_ENV = {
  /** The inline hooks' header secret itself (local use), or a JSON array of accepted secrets for rotation. */
  secret: 'HOOKPILOT_INLINE_HOOK_SECRET',
  /** The ARN of a Secrets Manager secret holding the same (deployed use). */
  secretArn: 'HOOKPILOT_INLINE_HOOK_SECRET_ARN',
  /** The header Okta sends the secret in (the hook's `authScheme.key`; default `authorization`). */
  authHeader: 'HOOKPILOT_INLINE_HOOK_AUTH_HEADER',
  /** Time budget of every inline hook in ms (default 2000; Okta waits 3000 including its own token fetch). */
  budgetMs: 'HOOKPILOT_INLINE_BUDGET_MS',
  /** The largest request body accepted, in bytes (default 256 KiB). */
  maxBodyBytes: 'HOOKPILOT_INLINE_MAX_BODY_BYTES',
} as const;

/** The per-type budget override: `HOOKPILOT_INLINE_TOKEN_BUDGET_MS`, `HOOKPILOT_INLINE_USER_IMPORT_BUDGET_MS`, … */
export const inlineBudgetEnv = (type: string): string =>
  `HOOKPILOT_INLINE_${type.toUpperCase().replace(/-/g, '_')}_BUDGET_MS`;

/**
 * OAuth 2.0 for OAuth-secured inline hooks (Okta fetches an access token with client credentials and sends it as
 * `Authorization: Bearer …`). Optional: when `HOOKPILOT_INLINE_OAUTH_ISSUER` is unset, only the header secret is accepted.
 */
export const INLINE_OAUTH_ENV = {
  issuer: 'HOOKPILOT_INLINE_OAUTH_ISSUER',
  audience: 'HOOKPILOT_INLINE_OAUTH_AUDIENCE',
  jwksUrl: 'HOOKPILOT_INLINE_OAUTH_JWKS_URL',
  clientIds: 'HOOKPILOT_INLINE_OAUTH_CLIENT_IDS',
  requiredScopes: 'HOOKPILOT_INLINE_OAUTH_REQUIRED_SCOPES',
  clockToleranceSeconds: 'HOOKPILOT_INLINE_OAUTH_CLOCK_TOLERANCE_SECONDS',
} as const satisfies AccessTokenEnvNames;
