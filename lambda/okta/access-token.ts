import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { DependencyError, InsufficientScopeError, UnauthorizedError } from '../errors.ts';
import type { AccessTokenVerifier, Clock, Principal, ServicePrincipal, ServiceTokenVerifier } from '../ports.ts';

/**
 * Verifies Okta-issued JWT access tokens (a custom authorization server's: `https://{org}/oauth2/{authServerId}`) with
 * `jose`: RS256 signature against the issuer's JWKS (fetched once, cached, re-fetched when an unknown `kid` appears, so
 * key rotation needs nothing), `iss`, `aud`, `exp`, `nbf` and `iat` with a small clock tolerance. Only RS256 is accepted,
 * so an unsigned (`alg: none`) token or an HS256 token "signed" with the public key is refused before any key is used.
 *
 * Two flavours: `createAccessTokenVerifier` for people (approvers: needs `uid`, reads `groups`) and
 * `createServiceTokenVerifier` for clients (Okta's OAuth-secured inline hooks: client credentials, no user).
 * Every refusal says which check failed and never contains the token.
 */

export interface AccessTokenSettings {
  /** The authorization server's issuer, e.g. `https://acme.okta.com/oauth2/default` (exact `iss`). */
  readonly issuer: string;
  /** Accepted `aud` value(s), e.g. `api://hookpilot`. */
  readonly audience: string | readonly string[];
  /** Where the signing keys are (default `${issuer}/v1/keys`, Okta's path for custom authorization servers). */
  readonly jwksUrl?: string;
  /** When set, only tokens issued to these OAuth clients (`cid`) are accepted. */
  readonly clientIds?: readonly string[];
  /** Scopes the token must carry (`scp`), all of them. A missing one is a 403 `insufficient_scope`. */
  readonly requiredScopes?: readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds (default 30). */
  readonly clockToleranceSeconds?: number;
  /** Time budget of one JWKS fetch (default 2000 ms). */
  readonly jwksTimeoutMs?: number;
  /** After a fetch, an unknown `kid` triggers no new fetch for this long (default 30 000 ms: a flood guard). */
  readonly jwksCooldownMs?: number;
}

export interface VerifierOptions {
  /** Source of "now" (tests drive it). */
  readonly clock?: Clock;
  /** The `realm` of `WWW-Authenticate` challenges (default `hookpilot`). */
  readonly realm?: string;
}

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
const DEFAULT_JWKS_TIMEOUT_MS = 2000;
const DEFAULT_JWKS_COOLDOWN_MS = 30_000;
/** Okta access tokens are ~1 KiB; a header far longer is refused before any parsing. */
const MAX_TOKEN_LENGTH = 8192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A person's access token → `Principal` (requires `uid`, `sub`, `cid`, `jti`; `groups` defaults to none). */
export function createAccessTokenVerifier(
  settings: AccessTokenSettings,
  options: VerifierOptions = {},
): AccessTokenVerifier {
  const check = createJwtCheck(settings, options, ['uid']);
  return {
    async verify(authorizationHeader) {
      const { payload, fail } = await check(authorizationHeader);
      const userId = payload.uid;
      if (typeof userId !== 'string' || userId === '') {
        throw fail('the access token has no uid claim: it was not issued to a person (client credentials?)');
      }
      return {
        userId,
        login: payload.sub as string,
        groups: groupsOf(payload, fail),
        scopes: scopesOf(payload),
        clientId: payload.cid as string,
        tokenId: payload.jti as string,
        expiresAt: new Date((payload.exp as number) * 1000),
      } satisfies Principal;
    },
  };
}

/** A client's own access token (client credentials) → `ServicePrincipal`. Set `clientIds` and `requiredScopes`. */
export function createServiceTokenVerifier(
  settings: AccessTokenSettings,
  options: VerifierOptions = {},
): ServiceTokenVerifier {
  const check = createJwtCheck(settings, options, []);
  return {
    async verify(authorizationHeader) {
      const { payload } = await check(authorizationHeader);
      return {
        clientId: payload.cid as string,
        subject: payload.sub as string,
        scopes: scopesOf(payload),
        tokenId: payload.jti as string,
        expiresAt: new Date((payload.exp as number) * 1000),
      } satisfies ServicePrincipal;
    },
  };
}

/**
 * The token in an `Authorization` header: the `Bearer` scheme (any case), one or more spaces, then the token; leading
 * and trailing whitespace is ignored. Throws `UnauthorizedError` for anything else.
 */
export function bearerToken(header: string | undefined, realm = 'hookpilot'): string {
  const value = header?.trim() ?? '';
  if (value === '') {
    throw new UnauthorizedError(
      'no access token: send Authorization: Bearer <access token>',
      `Bearer realm="${quote(realm)}"`,
      'invalid_token',
    );
  }
  const match = /^Bearer[ \t]+(\S+)$/i.exec(value);
  if (!match?.[1]) {
    throw invalidToken(realm, 'the Authorization header must be "Bearer <access token>"');
  }
  const token = match[1];
  if (token.length > MAX_TOKEN_LENGTH) throw invalidToken(realm, 'the access token is too long');
  if (!JWT_SHAPE.test(token)) throw invalidToken(realm, 'the access token is not a JWT');
  return token;
}

type Fail = (message: string) => UnauthorizedError;

function createJwtCheck(settings: AccessTokenSettings, options: VerifierOptions, extraClaims: readonly string[]) {
  const realm = options.realm ?? 'hookpilot';
  const clock = options.clock ?? (() => new Date());
  const audiences = typeof settings.audience === 'string' ? [settings.audience] : [...settings.audience];
  if (audiences.length === 0 || audiences.some((a) => a === '')) throw new TypeError('audience must be non-empty');
  const jwksUrl = new URL(settings.jwksUrl ?? `${settings.issuer.replace(/\/+$/, '')}/v1/keys`);
  const tolerance = settings.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  // Created on first use: nothing is fetched at start-up, and one cache serves every request of a warm function.
  let keys: JWTVerifyGetKey | undefined;
  const fail: Fail = (message) => invalidToken(realm, message);

  return async (header: string | undefined): Promise<{ payload: JWTPayload; fail: Fail }> => {
    const token = bearerToken(header, realm);
    keys ??= createRemoteJWKSet(jwksUrl, {
      timeoutDuration: settings.jwksTimeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS,
      cooldownDuration: settings.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS,
    });
    const at = clock();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: audiences,
        algorithms: ['RS256'],
        clockTolerance: tolerance,
        currentDate: at,
        requiredClaims: ['exp', 'iat', 'sub', 'cid', 'jti', ...extraClaims],
      }));
    } catch (error) {
      throw refusal(error, settings, fail);
    }
    // jose checks that iat is a number; a token minted in the future is refused here.
    if ((payload.iat as number) > at.getTime() / 1000 + tolerance) {
      throw fail('the access token has an invalid iat claim (issued in the future)');
    }
    for (const claim of ['sub', 'cid', 'jti'] as const) {
      if (typeof payload[claim] !== 'string' || payload[claim] === '') {
        throw fail(`the access token's ${claim} claim is not a non-empty string`);
      }
    }
    if (settings.clientIds?.length && !settings.clientIds.includes(payload.cid as string)) {
      throw fail('the access token was issued to an OAuth client that may not call this API (cid)');
    }
    const scopes = scopesOf(payload);
    const missing = (settings.requiredScopes ?? []).filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      const message = `the access token lacks the scope ${missing.join(' ')}`;
      throw new InsufficientScopeError(
        message,
        `Bearer realm="${quote(realm)}", error="insufficient_scope", error_description="${quote(message)}", scope="${quote((settings.requiredScopes ?? []).join(' '))}"`,
      );
    }
    return { payload, fail };
  };
}

/** What a `jose` failure means for the caller: which check failed (401), or the issuer's keys are unreachable (503). */
function refusal(error: unknown, settings: AccessTokenSettings, fail: Fail): Error {
  if (error instanceof errors.JWTExpired) return fail('the access token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return fail(`the access token has no ${error.claim} claim`);
    switch (error.claim) {
      case 'iss':
        return fail(`the access token was not issued by ${settings.issuer}`);
      case 'aud':
        return fail('the access token is not meant for this API (audience)');
      case 'nbf':
        return fail('the access token is not valid yet (nbf)');
      case 'iat':
        return fail('the access token has an invalid iat claim');
      default:
        return fail(`the access token's ${error.claim} claim is invalid`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return fail('the access token is not signed with RS256');
  if (error instanceof errors.JWSSignatureVerificationFailed) return fail('the access token signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return fail("the access token was not signed with one of the issuer's published keys (kid)");
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWKInvalid
  ) {
    return fail('the access token is not a valid signed JWT');
  }
  // Fetching the keys failed: a timeout, a non-200 or unreadable JWKS (jose's generic error), a network error.
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC') ||
    error instanceof TypeError ||
    (error instanceof Error && error.name === 'AbortError')
  ) {
    return new DependencyError("the authorization server's signing keys could not be fetched", error);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function invalidToken(realm: string, message: string): UnauthorizedError {
  return new UnauthorizedError(
    message,
    `Bearer realm="${quote(realm)}", error="invalid_token", error_description="${quote(message)}"`,
    'invalid_token',
  );
}

/** A value safe inside a quoted-string of a challenge (RFC 6750 §3 allows %x20-21 / %x23-5B / %x5D-7E). */
function quote(value: string): string {
  return value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
}

function scopesOf(payload: JWTPayload): string[] {
  const scp = payload.scp;
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  return typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
}

function groupsOf(payload: JWTPayload, fail: Fail): string[] {
  const groups = payload.groups;
  if (groups === undefined) return [];
  if (!Array.isArray(groups) || !groups.every((g): g is string => typeof g === 'string')) {
    throw fail('the access token groups claim is not a list of group names');
  }
  return groups;
}
