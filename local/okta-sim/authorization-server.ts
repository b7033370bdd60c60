import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Clock } from './clock.ts';
import { OAuthError } from './oauth.ts';
import type { Org, UserRecord } from './org.ts';

/**
 * Custom authorization servers (`/oauth2/{authServerId}`, `default` always present), as Okta's API Access Management
 * runs them: OIDC discovery, a JWKS of RS256 keys with stable `kid`s (rotatable), and a token endpoint that mints signed
 * JWT access tokens in Okta's shape (`ver`, `jti` = `AT.…`, `iss`, `aud`, `iat`, `exp`, `cid`, `uid`, `scp`, `sub` = the
 * user's login, `auth_time`, and a `groups` claim with the user's group names) plus ID tokens for `openid`.
 *
 * Grants: `client_credentials` (client secret — basic or post — or `private_key_jwt`, as Okta uses for OAuth-secured
 * inline hooks) and `authorization_code` with PKCE (`S256`), whose `/v1/authorize` step is a LOCAL-ONLY sign-in page
 * listing the simulated users: click one and you are signed in as them, no password. Refresh tokens, introspection,
 * revocation and logout are not implemented. Documented in docs/okta-simulator.md.
 */

export interface AuthorizationServerInput {
  /** Okta's are `default` or `aus` + 17 characters; any letters, digits, `-` or `_` are accepted here. */
  id: string;
  name?: string;
  /** The `aud` of its access tokens (default `api://<id>`). */
  audience?: string;
  /** Scopes the server defines, beyond `openid profile email offline_access` (default `hookpilot.approvals hookpilot.inline`). */
  scopes?: readonly string[];
  /** Only groups whose name matches this regular expression go in the `groups` claim (default `.*`, every group). */
  groupsFilter?: string;
  accessTokenLifetimeSeconds?: number;
  /** Private RS256 JWKs to sign with (the first signs); default one RSA key made on first use. */
  signingKeys?: readonly JWK[];
}

export interface OidcClientInput {
  clientId: string;
  name?: string;
  /** `none` = a public client (PKCE required); the others authenticate at the token endpoint. */
  tokenEndpointAuthMethod: 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  clientSecret?: string;
  /** Public keys for `private_key_jwt`. */
  jwks?: readonly JWK[];
  grantTypes: ReadonlyArray<'authorization_code' | 'client_credentials'>;
  /** Exact redirect URIs. */
  redirectUris?: readonly string[];
  /** Also accept any `http://127.0.0.1:<port>/…` or `http://localhost:<port>/…` redirect (RFC 8252 loopback). */
  loopbackRedirects?: boolean;
}

/** Scopes every authorization server has (Okta's reserved OIDC scopes). */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
export const DEFAULT_CUSTOM_SCOPES = ['hookpilot.approvals', 'hookpilot.inline'] as const;
/** A fixed, clearly local client secret for the `hookpilot-inline-hooks` client. */
export const LOCAL_INLINE_CLIENT_SECRET = 'local-okta-sim-inline-hook-client-secret-not-a-secret';

/** The clients every simulated org has (Okta apps an admin would create for hookpilot). */
export const DEFAULT_OIDC_CLIENTS: readonly OidcClientInput[] = [
  {
    clientId: 'hookpilot-console',
    name: 'hookpilot approvals console',
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code'],
    loopbackRedirects: true,
  },
  {
    clientId: 'hookpilot-cli',
    name: 'hookpilot CLI',
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code'],
    loopbackRedirects: true,
  },
  {
    clientId: 'hookpilot-inline-hooks',
    name: 'Okta inline hooks → hookpilot',
    tokenEndpointAuthMethod: 'client_secret_post',
    clientSecret: LOCAL_INLINE_CLIENT_SECRET,
    grantTypes: ['client_credentials'],
  },
];

const CODE_LIFETIME_MS = 60_000; // Okta: authorization codes live 60 s.
const ID_TOKEN_LIFETIME_SECONDS = 3600;
const ASSERTION_MAX_LIFETIME_SECONDS = 3600;
/** Users who can complete a sign-in (Okta refuses the others at the sign-in step). */
const CAN_SIGN_IN = new Set(['ACTIVE']);

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

interface PendingCode {
  serverId: string;
  clientId: string;
  redirectUri: string;
  userId: string;
  scopes: string[];
  codeChallenge?: string;
  nonce?: string;
  expiresAt: number;
  authTime: number;
}

export interface MintInput {
  user: UserRecord;
  clientId: string;
  scopes: readonly string[];
  /** Overrides the server's audience (tests: a token for the wrong API). */
  audience?: string;
  lifetimeSeconds?: number;
  authTime?: number;
}

export interface TokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  access_token: string;
  scope: string;
  id_token?: string;
}

const sha256b64url = (value: string) => createHash('sha256').update(value).digest('base64url');

function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

export class AuthorizationServer {
  readonly id: string;
  readonly name: string;
  readonly audience: string;
  readonly scopes: string[];
  readonly lifetimeSeconds: number;
  private readonly groupsFilter: RegExp;
  private keys?: Promise<SigningKey[]>;
  private readonly initialKeys?: readonly JWK[];

  constructor(
    input: AuthorizationServerInput,
    private readonly clock: Clock,
    private readonly org: Org,
    private readonly base: () => string,
  ) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(input.id)) throw new Error(`authorization server id ${input.id} is not valid`);
    this.id = input.id;
    this.name = input.name ?? (input.id === 'default' ? 'default' : input.id);
    this.audience = input.audience ?? `api://${input.id}`;
    this.scopes = [...OIDC_SCOPES, ...(input.scopes ?? DEFAULT_CUSTOM_SCOPES)];
    this.lifetimeSeconds = input.accessTokenLifetimeSeconds ?? 3600;
    this.groupsFilter = new RegExp(input.groupsFilter ?? '.*');
    // Keys are made (or imported) on first use, so starting the simulator costs nothing.
    if (input.signingKeys?.length) this.initialKeys = input.signingKeys;
  }

  private keyring(): Promise<SigningKey[]> {
    this.keys ??= this.initialKeys
      ? Promise.all(this.initialKeys.map(importSigningKey))
      : newSigningKey().then((k) => [k]);
    return this.keys;
  }

  get issuer(): string {
    return `${this.base()}/oauth2/${this.id}`;
  }

  /** The published keys: the signing key first, then the previous one (kept so tokens it signed still verify). */
  async jwks(): Promise<JSONWebKeySet> {
    return { keys: (await this.keyring()).map((k) => ({ ...k.publicJwk })) };
  }

  /** A new signing key; the previous one stays published (one rotation's overlap), older ones are dropped. */
  async rotateKeys(): Promise<string> {
    const fresh = await newSigningKey();
    const current = await this.keyring();
    this.keys = Promise.resolve([fresh, ...current.slice(0, 1)]);
    return fresh.kid;
  }

  metadata(kind: 'openid' | 'oauth'): Record<string, unknown> {
    const issuer = this.issuer;
    return {
      issuer,
      authorization_endpoint: `${issuer}/v1/authorize`,
      token_endpoint: `${issuer}/v1/token`,
      ...(kind === 'openid' ? { userinfo_endpoint: `${issuer}/v1/userinfo` } : {}),
      jwks_uri: `${issuer}/v1/keys`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'client_credentials'],
      subject_types_supported: ['public'],
      scopes_supported: [...this.scopes],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
      claims_supported: [
        'ver',
        'jti',
        'iss',
        'aud',
        'iat',
        'exp',
        'cid',
        'uid',
        'scp',
        'sub',
        'auth_time',
        'groups',
        'name',
        'preferred_username',
        'email',
        'nonce',
        'amr',
      ],
      code_challenge_methods_supported: ['S256'],
      ...(kind === 'openid' ? { id_token_signing_alg_values_supported: ['RS256'] } : {}),
      request_parameter_supported: false,
    };
  }

  /** The names of the user's groups that pass the server's groups claim filter. */
  groupNames(user: UserRecord): string[] {
    return this.org
      .userGroups(user.id)
      .map((g) => String(g.profile.name))
      .filter((name) => this.groupsFilter.test(name));
  }

  /** A signed access token for a user (and an ID token when `openid` is among the scopes). */
  async mintForUser(input: MintInput & { nonce?: string; withIdToken?: boolean }): Promise<TokenResponse> {
    const { user } = input;
    const now = Math.floor(this.clock() / 1000);
    const lifetime = input.lifetimeSeconds ?? this.lifetimeSeconds;
    const authTime = input.authTime ?? now;
    const login = String(user.profile.login);
    const accessToken = await this.sign(
      {
        ver: 1,
        jti: `AT.${randomBytes(32).toString('base64url')}`,
        iss: this.issuer,
        aud: input.audience ?? this.audience,
        iat: now,
        exp: now + lifetime,
        cid: input.clientId,
        uid: user.id,
        scp: [...input.scopes],
        auth_time: authTime,
        sub: login,
        groups: this.groupNames(user),
      },
      'access',
    );
    const response: TokenResponse = {
      token_type: 'Bearer',
      expires_in: lifetime,
      access_token: accessToken,
      scope: input.scopes.join(' '),
    };
    if (input.withIdToken !== false && input.scopes.includes('openid')) {
      const profile = input.scopes.includes('profile');
      const email = input.scopes.includes('email');
      response.id_token = await this.sign(
        {
          sub: user.id,
          ...(profile
            ? { name: `${String(user.profile.firstName)} ${String(user.profile.lastName)}`, preferred_username: login }
            : {}),
          ...(email ? { email: String(user.profile.email), email_verified: true } : {}),
          ver: 1,
          iss: this.issuer,
          aud: input.clientId,
          iat: now,
          exp: now + ID_TOKEN_LIFETIME_SECONDS,
          jti: `ID.${randomBytes(32).toString('base64url')}`,
          amr: ['pwd'],
          idp: this.org.orgName,
          ...(input.nonce ? { nonce: input.nonce } : {}),
          auth_time: authTime,
          at_hash: atHash(accessToken),
        },
        'id',
      );
    }
    return response;
  }

  /** A signed access token for a client itself (client credentials): `sub` = `cid` = the client id, no `uid`. */
  async mintForClient(clientId: string, scopes: readonly string[]): Promise<TokenResponse> {
    const now = Math.floor(this.clock() / 1000);
    const accessToken = await this.sign(
      {
        ver: 1,
        jti: `AT.${randomBytes(32).toString('base64url')}`,
        iss: this.issuer,
        aud: this.audience,
        iat: now,
        exp: now + this.lifetimeSeconds,
        cid: clientId,
        scp: [...scopes],
        sub: clientId,
      },
      'access',
    );
    return {
      token_type: 'Bearer',
      expires_in: this.lifetimeSeconds,
      access_token: accessToken,
      scope: scopes.join(' '),
    };
  }

  /** The claims of an access token this server issued (signature, issuer, expiry), or undefined. */
  async verifyOwnAccessToken(token: string): Promise<Record<string, unknown> | undefined> {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(await this.jwks()), {
        issuer: this.issuer,
        algorithms: ['RS256'],
        currentDate: new Date(this.clock()),
      });
      return typeof payload.jti === 'string' && payload.jti.startsWith('AT.') ? payload : undefined;
    } catch {
      return undefined;
    }
  }

  private async sign(claims: Record<string, unknown>, _kind: 'access' | 'id'): Promise<string> {
    const [key] = await this.keyring();
    if (!key) throw new Error(`authorization server ${this.id} has no signing key`);
    return new SignJWT(claims).setProtectedHeader({ kid: key.kid, alg: 'RS256' }).sign(key.privateKey);
  }
}

function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  if (jwk.kty !== 'RSA' || !jwk.d) throw new Error('signingKeys must be private RSA JWKs');
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = jwk;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicPart));
  const privateKey = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as CryptoKey;
  return {
    kid,
    privateKey,
    publicJwk: { kty: 'RSA', n: publicPart.n, e: publicPart.e, kid, alg: 'RS256', use: 'sig' } as JWK,
  };
}

/**
 * Every custom authorization server of the org, its OIDC clients, and the authorization codes in flight.
 */
export class AuthorizationServers {
  private readonly servers = new Map<string, AuthorizationServer>();
  private readonly clients = new Map<string, OidcClientInput>();
  private readonly codes = new Map<string, PendingCode>();
  private readonly usedAssertions = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly org: Org,
    private readonly base: () => string,
  ) {}

  add(input: AuthorizationServerInput): AuthorizationServer {
    if (this.servers.has(input.id)) throw new Error(`authorization server ${input.id} exists already`);
    const server = new AuthorizationServer(input, this.clock, this.org, this.base);
    this.servers.set(server.id, server);
    return server;
  }

  get(id: string): AuthorizationServer | undefined {
    return this.servers.get(id);
  }

  list(): AuthorizationServer[] {
    return [...this.servers.values()];
  }

  addClient(input: OidcClientInput): void {
    if (input.tokenEndpointAuthMethod.startsWith('client_secret') && !input.clientSecret) {
      throw new Error(`client ${input.clientId}: a client secret is required for ${input.tokenEndpointAuthMethod}`);
    }
    if (input.tokenEndpointAuthMethod === 'private_key_jwt' && !input.jwks?.length) {
      throw new Error(`client ${input.clientId}: jwks are required for private_key_jwt`);
    }
    const jwks = input.jwks?.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart }) => publicPart);
    this.clients.set(input.clientId, { ...input, ...(jwks ? { jwks } : {}) });
  }

  client(clientId: string): OidcClientInput | undefined {
    return this.clients.get(clientId);
  }

  /** Whether a redirect URI is registered for the client (exactly, or as a loopback address when allowed). */
  redirectAllowed(client: OidcClientInput, redirectUri: string): boolean {
    if (client.redirectUris?.includes(redirectUri)) return true;
    if (!client.loopbackRedirects) return false;
    try {
      const url = new URL(redirectUri);
      return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost') && !url.hash;
    } catch {
      return false;
    }
  }

  /** Issues an authorization code (the user signed in on the local page). */
  issueCode(pending: Omit<PendingCode, 'expiresAt' | 'authTime'>): string {
    const now = this.clock();
    for (const [code, entry] of this.codes) if (entry.expiresAt < now) this.codes.delete(code);
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, { ...pending, expiresAt: now + CODE_LIFETIME_MS, authTime: Math.floor(now / 1000) });
    return code;
  }

  /** `POST /oauth2/{id}/v1/token`. */
  async token(server: AuthorizationServer, form: URLSearchParams, authorization: string | undefined) {
    const grantType = form.get('grant_type');
    if (!grantType) throw new OAuthError(400, 'invalid_request', 'The grant_type parameter is required.');
    if (grantType !== 'client_credentials' && grantType !== 'authorization_code') {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        `The authorization grant type is not supported: ${grantType}`,
      );
    }
    const client = await this.authenticateClient(server, form, authorization);
    if (!client.grantTypes.includes(grantType)) {
      throw new OAuthError(400, 'unauthorized_client', `The client is not authorized to use the grant ${grantType}.`);
    }
    if (grantType === 'client_credentials') {
      if (client.tokenEndpointAuthMethod === 'none') {
        throw new OAuthError(401, 'invalid_client', 'A public client cannot use client_credentials.');
      }
      const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
      if (requested.length === 0) throw new OAuthError(400, 'invalid_scope', 'The scope parameter is required.');
      const unknown = requested.filter(
        (s) => !server.scopes.includes(s) || (OIDC_SCOPES as readonly string[]).includes(s),
      );
      if (unknown.length > 0) {
        throw new OAuthError(400, 'invalid_scope', `One or more scopes are not configured: ${unknown.join(', ')}`);
      }
      return server.mintForClient(client.clientId, requested);
    }
    const code = form.get('code') ?? '';
    const pending = this.codes.get(code);
    this.codes.delete(code); // single use, whatever happens next
    if (!pending || pending.expiresAt < this.clock() || pending.serverId !== server.id) {
      throw new OAuthError(400, 'invalid_grant', 'The authorization code is invalid or has expired.');
    }
    if (pending.clientId !== client.clientId) {
      throw new OAuthError(400, 'invalid_grant', 'The authorization code was issued to another client.');
    }
    if (form.get('redirect_uri') !== pending.redirectUri) {
      throw new OAuthError(400, 'invalid_grant', "The 'redirect_uri' does not match the redirection URI of the code.");
    }
    if (pending.codeChallenge !== undefined) {
      const verifier = form.get('code_verifier') ?? '';
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) {
        throw new OAuthError(
          400,
          'invalid_request',
          'PKCE verification failed: the code_verifier is missing or malformed.',
        );
      }
      if (!safeEqual(sha256b64url(verifier), pending.codeChallenge)) {
        throw new OAuthError(400, 'invalid_grant', 'PKCE verification failed.');
      }
    } else if (form.has('code_verifier')) {
      throw new OAuthError(400, 'invalid_grant', 'PKCE verification failed: the code had no code_challenge.');
    }
    const user = this.org.users.get(pending.userId);
    if (!user || !CAN_SIGN_IN.has(user.status)) {
      throw new OAuthError(400, 'invalid_grant', 'The user is no longer active.');
    }
    return server.mintForUser({
      user,
      clientId: client.clientId,
      scopes: pending.scopes,
      authTime: pending.authTime,
      ...(pending.nonce ? { nonce: pending.nonce } : {}),
    });
  }

  private async authenticateClient(
    server: AuthorizationServer,
    form: URLSearchParams,
    authorization: string | undefined,
  ): Promise<OidcClientInput> {
    const invalid = (why = 'Client authentication failed.') => new OAuthError(401, 'invalid_client', why);
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const id = decodeURIComponent(decoded.slice(0, colon));
      const secret = decodeURIComponent(decoded.slice(colon + 1));
      const client = this.clients.get(id);
      if (colon < 0 || !client || client.tokenEndpointAuthMethod !== 'client_secret_basic') throw invalid();
      if (!safeEqual(secret, client.clientSecret ?? '')) throw invalid();
      return client;
    }
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        throw invalid('client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.');
      }
      return this.verifyAssertion(server, assertion, form.get('client_id'));
    }
    const clientId = form.get('client_id') ?? '';
    const client = this.clients.get(clientId);
    if (!client) throw invalid('The client_id is not valid or the client does not exist.');
    if (client.tokenEndpointAuthMethod === 'none') return client;
    if (client.tokenEndpointAuthMethod !== 'client_secret_post') throw invalid();
    if (!safeEqual(form.get('client_secret') ?? '', client.clientSecret ?? '')) throw invalid();
    return client;
  }

  private async verifyAssertion(
    server: AuthorizationServer,
    assertion: string,
    clientIdParam: string | null,
  ): Promise<OidcClientInput> {
    const invalid = (why: string) => new OAuthError(401, 'invalid_client', why);
    let sub: unknown;
    try {
      sub = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')).sub;
    } catch {
      throw invalid('The client_assertion is not a signed JWT.');
    }
    const client = typeof sub === 'string' ? this.clients.get(sub) : undefined;
    if (client?.tokenEndpointAuthMethod !== 'private_key_jwt' || !client.jwks?.length) {
      throw invalid('The client_id is not valid or the client does not exist.');
    }
    if (clientIdParam && clientIdParam !== client.clientId) {
      throw invalid('The client_id parameter does not match the client_assertion.');
    }
    const tokenUrl = `${server.issuer}/v1/token`;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet({ keys: [...client.jwks] }), {
        issuer: client.clientId,
        subject: client.clientId,
        audience: tokenUrl,
        algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(this.clock()),
        clockTolerance: 60,
      }));
    } catch (error) {
      throw invalid(`The client_assertion is not valid: ${(error as Error).message}`);
    }
    const now = Math.floor(this.clock() / 1000);
    if (Number(payload.exp) > now + ASSERTION_MAX_LIFETIME_SECONDS + 60) {
      throw invalid('The client_assertion token has an expiration too far in the future.');
    }
    const jti = String(payload.jti);
    for (const [seen, exp] of this.usedAssertions) if (exp < now) this.usedAssertions.delete(seen);
    if (this.usedAssertions.has(jti)) throw invalid('The client_assertion token has already been used.');
    this.usedAssertions.set(jti, Number(payload.exp));
    return client;
  }
}

export { CAN_SIGN_IN };
