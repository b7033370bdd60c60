import { checkSecureUrl, intEnv, optionalEnv, requiredEnv } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { AccessTokenVerifier } from '../ports.ts';
import { type AccessTokenSettings, createAccessTokenVerifier } from './access-token.ts';

/**
 * Which access tokens the approvals API and console accept: those of one Okta custom authorization server, for one
 * audience. The CDK stack and the local stack set these; docs/approvals.md says how to create the server in Okta.
 */
export const APPROVER_TOKEN_ENV = {
  /** The authorization server's issuer, e.g. `https://acme.okta.com/oauth2/default` (locally the simulator's). */
  issuer: 'HOOKPILOT_APPROVALS_ISSUER',
  /** The audience its access tokens carry, e.g. `api://hookpilot` (Okta's default server: `api://default`). */
  audience: 'HOOKPILOT_APPROVALS_AUDIENCE',
  /** Optional: the JWKS URL, when it is not `${issuer}/v1/keys`. */
  jwksUrl: 'HOOKPILOT_APPROVALS_JWKS_URL',
  /** Optional: comma-separated OAuth client ids (`cid`) allowed, e.g. the console's and the CLI's. */
  clientIds: 'HOOKPILOT_APPROVALS_CLIENT_IDS',
  /** Optional: comma-separated scopes every token must carry, e.g. `hookpilot.approvals`. */
  requiredScopes: 'HOOKPILOT_APPROVALS_REQUIRED_SCOPES',
  /** Optional: clock leeway in seconds (default 30, at most 300). */
  clockToleranceSeconds: 'HOOKPILOT_APPROVALS_CLOCK_TOLERANCE_SECONDS',
} as const;

/** The names a reader of access-token settings uses; the approvals' are `APPROVER_TOKEN_ENV`. */
export type AccessTokenEnvNames = { readonly [K in keyof typeof APPROVER_TOKEN_ENV]: string };

/** Settings for `createAccessTokenVerifier`, read from the environment (a missing or malformed value names the variable). */
export function approverTokenSettings(): AccessTokenSettings {
  return accessTokenSettingsFromEnv(APPROVER_TOKEN_ENV);
}

/**
 * The approvals API's verifier, configured from the environment. Create it once, at module scope of the handler, so the
 * JWKS cache lives as long as the warm function: `const verifier = approverTokenVerifier();`.
 */
export function approverTokenVerifier(): AccessTokenVerifier {
  return createAccessTokenVerifier(approverTokenSettings());
}

/** The same for any set of variable names (e.g. an OAuth-secured inline hook's). */
export function accessTokenSettingsFromEnv(names: AccessTokenEnvNames): AccessTokenSettings {
  const issuer = urlSetting(names.issuer, requiredEnv(names.issuer, 'the Okta authorization server issuer URL'));
  const audience = list(requiredEnv(names.audience, 'the audience of its access tokens, e.g. api://hookpilot'));
  const jwks = optionalEnv(names.jwksUrl);
  const clientIds = list(optionalEnv(names.clientIds) ?? '');
  const requiredScopes = list(optionalEnv(names.requiredScopes) ?? '');
  return {
    issuer,
    audience: audience.length === 1 ? (audience[0] as string) : audience,
    ...(jwks ? { jwksUrl: urlSetting(names.jwksUrl, jwks) } : {}),
    ...(clientIds.length ? { clientIds } : {}),
    ...(requiredScopes.length ? { requiredScopes } : {}),
    clockToleranceSeconds: intEnv(names.clockToleranceSeconds, 30, { min: 0, max: 300 }),
  };
}

/** An https URL (http only on a loopback address: the local Okta simulator), without a trailing slash or query. */
function urlSetting(name: string, raw: string): string {
  const checked = checkSecureUrl(raw);
  if ('problem' in checked) {
    throw new ConfigError(
      checked.problem === 'not-a-url'
        ? `${name} must be a URL, e.g. https://acme.okta.com/oauth2/default (got "${raw}")`
        : `${name} must be an https:// URL (http:// only on 127.0.0.1 or localhost)`,
    );
  }
  const { url } = checked;
  if (url.search || url.hash) throw new ConfigError(`${name} must not have a query or fragment`);
  return raw.replace(/\/+$/, '');
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
