import { optionalEnv } from '../config.ts';
import { ConfigError, InsufficientScopeError, UnauthorizedError } from '../errors.ts';
import type { ServiceTokenVerifier } from '../ports.ts';
import { createServiceTokenVerifier } from './access-token.ts';
import { accessTokenSettingsFromEnv } from './access-token-config.ts';
import type { SecretVerifier } from './hook-auth.ts';
import { hookSecretVerifier } from './hook-secrets.ts';
import { INLINE_ENV, INLINE_OAUTH_ENV } from './inline-config-env.ts';

/** Who called: Okta with the header secret, or Okta with an access token of the named OAuth client. */
export type InlineCaller = { readonly scheme: 'secret' } | { readonly scheme: 'oauth'; readonly clientId: string };

export type InlineAuthenticator = (headers: Readonly<Record<string, string | undefined>>) => Promise<InlineCaller>;

export interface InlineAuthOptions {
  /** The current secret verifier (rotation list), or none when only OAuth is configured. */
  readonly secret?: () => Promise<SecretVerifier>;
  /** Lower-case name of the header carrying the secret (Okta's `authScheme.key`). */
  readonly secretHeader: string;
  /** Okta's OAuth 2.0 access tokens (always in `Authorization: Bearer …`), when OAuth is configured. */
  readonly oauth?: ServiceTokenVerifier;
}

const BEARER = /^\s*bearer\s+/i;

/**
 * Okta authenticates an inline hook call one of two ways (docs/okta-protocol.md §2.3): the configured header carrying
 * the raw secret (compared in constant time against every accepted secret, so it can be rotated), or an OAuth 2.0
 * access token that Okta obtained with client credentials, verified for signature, issuer, audience, expiry, client id
 * and scope. Either is enough when both are configured. A wrong or missing credential is a 401 that never says which
 * secret was wrong; an access token without the required scope is a 401 too (Okta cannot act on a 403).
 */
export function createInlineAuthenticator(options: InlineAuthOptions): InlineAuthenticator {
  if (!options.secret && !options.oauth) throw new ConfigError('inline hooks need a header secret or OAuth settings');
  return async (headers) => {
    const presented = headers[options.secretHeader];
    if (options.secret && (await options.secret())(presented)) return { scheme: 'secret' };
    const authorization = headers.authorization;
    if (options.oauth && authorization !== undefined && BEARER.test(authorization)) {
      try {
        const principal = await options.oauth.verify(authorization);
        return { scheme: 'oauth', clientId: principal.clientId };
      } catch (error) {
        if (error instanceof InsufficientScopeError) {
          throw new UnauthorizedError(error.message, error.challenge, 'insufficient_scope');
        }
        throw error;
      }
    }
    throw new UnauthorizedError();
  };
}

/**
 * The authenticator the inline hook functions use, configured from the environment: the header secret from
 * `HOOKPILOT_INLINE_HOOK_SECRET` (or the Secrets Manager secret named by `…_ARN`), and OAuth when
 * `HOOKPILOT_INLINE_OAUTH_ISSUER` is set (then `…_AUDIENCE` is required; `…_CLIENT_IDS` and `…_REQUIRED_SCOPES` should
 * be). Created once per function (module scope), so the JWKS and secret caches last as long as the warm function.
 */
export function inlineAuthenticatorFromEnv(): InlineAuthenticator {
  const hasSecret = optionalEnv(INLINE_ENV.secret) !== undefined || optionalEnv(INLINE_ENV.secretArn) !== undefined;
  const hasOAuth = optionalEnv(INLINE_OAUTH_ENV.issuer) !== undefined;
  if (!hasSecret && !hasOAuth) {
    throw new ConfigError(
      `${INLINE_ENV.secret} (or ${INLINE_ENV.secretArn}) or ${INLINE_OAUTH_ENV.issuer} must be set: inline hooks accept Okta's header secret, its OAuth 2.0 access token, or both`,
    );
  }
  return createInlineAuthenticator({
    ...(hasSecret ? { secret: hookSecretVerifier(INLINE_ENV.secret, INLINE_ENV.secretArn) } : {}),
    secretHeader: (optionalEnv(INLINE_ENV.authHeader) ?? 'authorization').toLowerCase(),
    ...(hasOAuth
      ? {
          oauth: createServiceTokenVerifier(accessTokenSettingsFromEnv(INLINE_OAUTH_ENV), {
            realm: 'hookpilot-inline',
          }),
        }
      : {}),
  });
}
