import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import type { Clock } from './clock.ts';
import { newAccessToken, stableId } from './ids.ts';

/**
 * OAuth 2.0 for service apps, as `@okta/okta-sdk-nodejs` uses it with `authorizationMode: 'PrivateKey'`: a
 * `client_credentials` grant at `POST /oauth2/v1/token` authenticated with a `private_key_jwt` client assertion
 * (RS256/ES256 and the other RSA/EC algorithms), answered with an opaque Bearer access token carrying the granted scopes.
 */

export interface ServiceApp {
  clientId: string;
  name: string;
  /** The scopes the app has been granted; a token request may ask for any subset. */
  scopes: string[];
  keys: Array<{ kid?: string; key: KeyObject; kty: 'RSA' | 'EC' }>;
}

export interface AccessToken {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

/** An OAuth error response (`{error, error_description}`), not Okta's API error shape. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

const ALGORITHMS: Record<string, { hash: string; kty: 'RSA' | 'EC'; pss?: boolean }> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  ES256: { hash: 'sha256', kty: 'EC' },
  ES384: { hash: 'sha384', kty: 'EC' },
  ES512: { hash: 'sha512', kty: 'EC' },
};

const TOKEN_LIFETIME_SECONDS = 3600;
const CLOCK_SKEW_SECONDS = 60;

function decodeJson(part: string | undefined, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new OAuthError(401, 'invalid_client', `The client_assertion ${what} is not valid JSON.`);
}

export class OAuthServer {
  private readonly apps = new Map<string, ServiceApp>();
  private readonly tokens = new Map<string, AccessToken>();
  private readonly usedJtis = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** Registers a service app with its public key(s) (JWKs). Returns the client id. */
  register(input: {
    clientId?: string;
    name: string;
    scopes: readonly string[];
    jwks: ReadonlyArray<JsonWebKey & { kid?: string }>;
  }): string {
    const clientId = input.clientId ?? stableId('app', `service:${input.name}:${this.apps.size}`);
    const keys = input.jwks.map((jwk) => {
      if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') throw new Error(`service app ${input.name}: unsupported key type`);
      const { d: _private, ...publicJwk } = jwk;
      const key = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' });
      const kty: 'RSA' | 'EC' = jwk.kty;
      return { ...(jwk.kid ? { kid: jwk.kid } : {}), key, kty };
    });
    this.apps.set(clientId, { clientId, name: input.name, scopes: [...input.scopes], keys });
    return clientId;
  }

  app(clientId: string): ServiceApp | undefined {
    return this.apps.get(clientId);
  }

  /** Handles a token request body (form-encoded) for the given token endpoint URL. */
  token(form: URLSearchParams, tokenUrl: string): Record<string, unknown> {
    const grantType = form.get('grant_type');
    if (!grantType) throw new OAuthError(400, 'invalid_request', 'The grant_type parameter is required.');
    if (grantType !== 'client_credentials') {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        `The authorization grant type is not supported: ${grantType}`,
      );
    }
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      throw new OAuthError(
        401,
        'invalid_client',
        'Client authentication failed: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.',
      );
    }
    const app = this.verifyAssertion(form.get('client_assertion') ?? '', tokenUrl, form.get('client_id'));
    const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (requested.length === 0) throw new OAuthError(400, 'invalid_scope', 'The scope parameter is required.');
    const denied = requested.filter((s) => !app.scopes.includes(s));
    if (denied.length > 0) {
      throw new OAuthError(400, 'invalid_scope', `The following scopes are not allowed: ${denied.join(', ')}`);
    }
    const token: AccessToken = {
      token: newAccessToken(),
      clientId: app.clientId,
      scopes: requested,
      expiresAt: this.clock() + TOKEN_LIFETIME_SECONDS * 1000,
    };
    this.tokens.set(token.token, token);
    return {
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_SECONDS,
      access_token: token.token,
      scope: requested.join(' '),
    };
  }

  /** Verifies a `private_key_jwt` client assertion: signature, `iss` = `sub` = client id, `aud`, `exp`, `iat`, `jti`. */
  verifyAssertion(assertion: string, tokenUrl: string, clientIdParam: string | null): ServiceApp {
    const parts = assertion.split('.');
    if (parts.length !== 3) throw new OAuthError(401, 'invalid_client', 'The client_assertion is not a signed JWT.');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJson(headerPart, 'header');
    const claims = decodeJson(payloadPart, 'payload');
    const clientId = typeof claims.sub === 'string' ? claims.sub : '';
    const app = this.apps.get(clientId);
    if (!app) throw new OAuthError(401, 'invalid_client', 'The client_id is not valid or the client does not exist.');
    if (claims.iss !== clientId) throw new OAuthError(401, 'invalid_client', 'The iss claim must equal the client_id.');
    if (clientIdParam && clientIdParam !== clientId) {
      throw new OAuthError(401, 'invalid_client', 'The client_id parameter does not match the client_assertion.');
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(tokenUrl)) {
      throw new OAuthError(401, 'invalid_client', `The audience claim for client_assertion must be '${tokenUrl}'.`);
    }
    const now = Math.floor(this.clock() / 1000);
    if (typeof claims.exp !== 'number') throw new OAuthError(401, 'invalid_client', 'The client_assertion has no exp.');
    if (claims.exp < now - CLOCK_SKEW_SECONDS) {
      throw new OAuthError(401, 'invalid_client', 'The client_assertion token is expired.');
    }
    if (claims.exp > now + TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) {
      throw new OAuthError(
        401,
        'invalid_client',
        'The client_assertion token has an expiration too far in the future.',
      );
    }
    if (typeof claims.iat === 'number' && claims.iat > now + CLOCK_SKEW_SECONDS) {
      throw new OAuthError(401, 'invalid_client', 'The client_assertion token was issued in the future.');
    }
    const alg = typeof header.alg === 'string' ? header.alg : '';
    const algorithm = ALGORITHMS[alg];
    if (!algorithm)
      throw new OAuthError(401, 'invalid_client', `The client_assertion algorithm ${alg} is not supported.`);
    const candidates = app.keys.filter(
      (k) => k.kty === algorithm.kty && (header.kid === undefined || k.kid === undefined || k.kid === header.kid),
    );
    const data = Buffer.from(`${headerPart}.${payloadPart}`);
    const signature = Buffer.from(signaturePart, 'base64url');
    const valid = candidates.some((k) => {
      try {
        return verify(
          algorithm.hash,
          data,
          algorithm.kty === 'EC' ? { key: k.key, dsaEncoding: 'ieee-p1363' } : k.key,
          signature,
        );
      } catch {
        return false;
      }
    });
    if (!valid) throw new OAuthError(401, 'invalid_client', 'The client_assertion signature is invalid.');
    if (typeof claims.jti === 'string') {
      for (const [jti, expires] of this.usedJtis) if (expires < now) this.usedJtis.delete(jti);
      if (this.usedJtis.has(claims.jti)) {
        throw new OAuthError(401, 'invalid_client', 'The client_assertion token has already been used.');
      }
      this.usedJtis.set(claims.jti, claims.exp);
    }
    return app;
  }

  /** The live access token for a Bearer value, or undefined (unknown or expired). */
  accessToken(value: string): AccessToken | undefined {
    const token = this.tokens.get(value);
    if (!token) return undefined;
    if (token.expiresAt <= this.clock()) {
      this.tokens.delete(value);
      return undefined;
    }
    return token;
  }

  /** Revokes every token (e.g. to test the SDK's re-authentication after a 401). */
  revokeAll(): void {
    this.tokens.clear();
  }
}

/** `*.manage` includes `*.read`, as Okta's scopes do. */
export function scopeSatisfied(granted: readonly string[], required: string): boolean {
  if (granted.includes(required)) return true;
  return required.endsWith('.read') && granted.includes(required.replace(/\.read$/, '.manage'));
}
