import type { JWK } from 'jose';
import {
  type AuthorizationServer,
  type AuthorizationServerInput,
  type AuthorizationServers,
  CAN_SIGN_IN,
  type OidcClientInput,
} from './authorization-server.ts';
import { E } from './errors.ts';
import { OAuthError } from './oauth.ts';
import { OAuthErrorSchema } from './okta-schemas.ts';
import { isObject, type Org, type UserRecord } from './org.ts';
import type { ApiRequest, ApiResponse, Router } from './router.ts';

/**
 * The HTTP side of the custom authorization servers (`/oauth2/{authServerId}/…`) and their control endpoints
 * (`/__sim/tokens`, `/__sim/authorization-servers`, `/__sim/oidc-clients`). See authorization-server.ts.
 */

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const PAGE_HEADERS = {
  ...NO_STORE,
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
};

const oauthError = (error: OAuthError, headers: Record<string, string> = {}): ApiResponse => ({
  status: error.status,
  body: { error: error.error, error_description: error.description },
  schema: OAuthErrorSchema,
  headers: { ...NO_STORE, ...headers },
});

export function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** The parameters of an authorization request, checked in RFC 6749 §4.1.2.1's order. */
interface AuthorizeRequest {
  client: OidcClientInput;
  redirectUri: string;
  state: string | null;
  scopes: string[];
  codeChallenge?: string;
  nonce?: string;
  params: URLSearchParams;
}

type Checked =
  | { ok: true; request: AuthorizeRequest }
  /** Not safe to redirect (unknown client or redirect URI): show the error here. */
  | { ok: false; page: ApiResponse }
  /** Send the error back to the client's redirect URI. */
  | { ok: false; redirect: ApiResponse };

function page(status: number, title: string, body: string): ApiResponse {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
main{max-width:52rem;margin:0 auto;padding:1.5rem}
.banner{background:#8a1c00;color:#fff;padding:.75rem 1.5rem;font-weight:600}
ul{list-style:none;padding:0}li{margin:.4rem 0}
button{font:inherit;padding:.4rem .8rem;border:2px solid #1b1b1b;background:#fff;cursor:pointer;text-align:left;width:100%}
button:focus{outline:3px solid #0b57d0;outline-offset:2px}
.muted{color:#555}.groups{font-size:.85rem;color:#444}
[role=alert]{background:#fde7e9;border-left:4px solid #8a1c00;padding:.5rem 1rem}
</style></head>
<body><div class="banner" role="note">Okta simulator — LOCAL ONLY. Anyone can sign in here as any simulated user, with no password.</div>
<main>${body}</main></body></html>`;
  return { status, body: html, contentType: 'html', headers: PAGE_HEADERS };
}

function redirectTo(redirectUri: string, params: Record<string, string | null | undefined>): ApiResponse {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) if (value != null) url.searchParams.set(key, value);
  return { status: 302, headers: { Location: url.toString(), ...NO_STORE } };
}

function checkAuthorize(servers: AuthorizationServers, server: AuthorizationServer, params: URLSearchParams): Checked {
  const client = servers.client(params.get('client_id') ?? '');
  if (!client) {
    return {
      ok: false,
      page: page(400, 'Sign-in error', '<h1>Sign-in error</h1><p role="alert">The client_id is not valid.</p>'),
    };
  }
  const redirectUri = params.get('redirect_uri') ?? '';
  if (!servers.redirectAllowed(client, redirectUri)) {
    return {
      ok: false,
      page: page(
        400,
        'Sign-in error',
        `<h1>Sign-in error</h1><p role="alert">The redirect_uri is not registered for the client ${escapeHtml(client.clientId)}.</p>`,
      ),
    };
  }
  const state = params.get('state');
  const fail = (error: string, description: string): Checked => ({
    ok: false,
    redirect: redirectTo(redirectUri, { error, error_description: description, state }),
  });
  if (params.get('response_type') !== 'code') {
    return fail('unsupported_response_type', 'The response type is not supported by the authorization server.');
  }
  if (!client.grantTypes.includes('authorization_code')) {
    return fail('unauthorized_client', 'The client is not authorized to use the authorization code grant.');
  }
  const scopes = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
  if (scopes.length === 0) return fail('invalid_scope', 'The scope parameter is required.');
  const unknown = scopes.filter((s) => !server.scopes.includes(s));
  if (unknown.length > 0) return fail('invalid_scope', `One or more scopes are not configured: ${unknown.join(', ')}`);
  const codeChallenge = params.get('code_challenge') ?? undefined;
  if (codeChallenge !== undefined) {
    if (params.get('code_challenge_method') !== 'S256') {
      return fail('invalid_request', "PKCE code_challenge_method must be 'S256'.");
    }
    if (!/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) return fail('invalid_request', 'PKCE code_challenge is malformed.');
  } else if (client.tokenEndpointAuthMethod === 'none') {
    return fail(
      'invalid_request',
      'PKCE code_challenge is required when the token endpoint authentication method is none.',
    );
  }
  const nonce = params.get('nonce') ?? undefined;
  return {
    ok: true,
    request: {
      client,
      redirectUri,
      state,
      scopes,
      ...(codeChallenge ? { codeChallenge } : {}),
      ...(nonce ? { nonce } : {}),
      params,
    },
  };
}

function signInPage(org: Org, server: AuthorizationServer, request: AuthorizeRequest, error?: string): ApiResponse {
  const hidden = [...request.params.entries()]
    .filter(([key]) => key !== 'login')
    .map(([key, value]) => `<input type="hidden" name="${escapeHtml(key)}" value="${escapeHtml(value)}">`)
    .join('');
  const users = [...org.users.values()].sort((a, b) => String(a.profile.login).localeCompare(String(b.profile.login)));
  const item = (user: UserRecord) => {
    const name = `${String(user.profile.firstName)} ${String(user.profile.lastName)}`;
    const groups = server.groupNames(user).filter((g) => g !== 'Everyone');
    const able = CAN_SIGN_IN.has(user.status);
    return `<li><button type="submit" name="login" value="${escapeHtml(user.profile.login)}"${able ? '' : ' disabled'}>
<strong>${escapeHtml(name)}</strong> <span class="muted">${escapeHtml(user.profile.login)}${able ? '' : ` — ${escapeHtml(user.status)}, cannot sign in`}</span><br>
<span class="groups">${groups.length ? escapeHtml(groups.join(', ')) : 'no groups'}</span></button></li>`;
  };
  return page(
    error ? 403 : 200,
    'Sign in — Okta simulator',
    `<h1>Sign in to ${escapeHtml(request.client.name ?? request.client.clientId)}</h1>
<p class="muted">Authorization server <code>${escapeHtml(server.issuer)}</code>; scopes <code>${escapeHtml(request.scopes.join(' '))}</code>. Choose who you are:</p>
${error ? `<p role="alert" id="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(`${server.issuer}/v1/authorize`)}">${hidden}
<ul>${users.map(item).join('\n')}</ul></form>`,
  );
}

export interface AuthorizationRouteDeps {
  org: Org;
  servers: AuthorizationServers;
}

export function registerAuthorizationServers(router: Router, deps: AuthorizationRouteDeps): void {
  const { org, servers } = deps;
  const serverOf = (req: ApiRequest): AuthorizationServer => {
    const server = servers.get(req.params.as ?? '');
    if (!server) throw E.notFound(req.params.as ?? '', 'AuthorizationServer');
    return server;
  };
  const add = (method: string, pattern: string, handler: (req: ApiRequest) => ApiResponse | Promise<ApiResponse>) =>
    router.add({ method, pattern: `/oauth2/:as${pattern}`, bucket: 'oauth', handler });

  add('GET', '/.well-known/openid-configuration', (req) => ({ status: 200, body: serverOf(req).metadata('openid') }));
  add('GET', '/.well-known/oauth-authorization-server', (req) => ({
    status: 200,
    body: serverOf(req).metadata('oauth'),
  }));
  add('GET', '/v1/keys', async (req) => ({
    status: 200,
    body: await serverOf(req).jwks(),
    headers: { 'Cache-Control': 'max-age=3600, must-revalidate' },
  }));

  add('POST', '/v1/token', async (req) => {
    const server = serverOf(req);
    try {
      const body = await servers.token(server, new URLSearchParams(req.rawBody), req.headers.authorization);
      return { status: 200, body, headers: NO_STORE };
    } catch (error) {
      if (error instanceof OAuthError) return oauthError(error);
      throw error;
    }
  });

  add('GET', '/v1/authorize', (req) => {
    const server = serverOf(req);
    const checked = checkAuthorize(servers, server, req.query);
    if (!checked.ok) return 'page' in checked ? checked.page : checked.redirect;
    return signInPage(org, server, checked.request);
  });

  add('POST', '/v1/authorize', (req) => {
    const server = serverOf(req);
    const params = new URLSearchParams(req.rawBody);
    const checked = checkAuthorize(servers, server, params);
    if (!checked.ok) return 'page' in checked ? checked.page : checked.redirect;
    const { request } = checked;
    const login = params.get('login') ?? '';
    const user = login ? org.findUser(login) : undefined;
    if (!user) return signInPage(org, server, request, `There is no user ${login || '(none chosen)'}.`);
    if (!CAN_SIGN_IN.has(user.status)) {
      return signInPage(org, server, request, `${String(user.profile.login)} is ${user.status} and cannot sign in.`);
    }
    const code = servers.issueCode({
      serverId: server.id,
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      userId: user.id,
      scopes: request.scopes,
      ...(request.codeChallenge ? { codeChallenge: request.codeChallenge } : {}),
      ...(request.nonce ? { nonce: request.nonce } : {}),
    });
    return redirectTo(request.redirectUri, { code, state: request.state });
  });

  add('GET', '/v1/userinfo', async (req) => {
    const server = serverOf(req);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
    const claims = match?.[1] ? await server.verifyOwnAccessToken(match[1]) : undefined;
    const user = typeof claims?.uid === 'string' ? org.users.get(claims.uid) : undefined;
    const scopes = Array.isArray(claims?.scp) ? claims.scp : [];
    if (!claims || !user) {
      return oauthError(new OAuthError(401, 'invalid_token', 'The access token is invalid.'), {
        'WWW-Authenticate': 'Bearer error="invalid_token", error_description="The access token is invalid."',
      });
    }
    if (!scopes.includes('openid')) {
      return oauthError(
        new OAuthError(
          403,
          'insufficient_scope',
          'The access token must provide access to at least one of these scopes - openid.',
        ),
        {
          'WWW-Authenticate':
            'Bearer error="insufficient_scope", error_description="The access token must provide access to at least one of these scopes - openid."',
        },
      );
    }
    return {
      status: 200,
      body: {
        sub: user.id,
        ...(scopes.includes('profile')
          ? {
              name: `${String(user.profile.firstName)} ${String(user.profile.lastName)}`,
              preferred_username: String(user.profile.login),
              given_name: String(user.profile.firstName),
              family_name: String(user.profile.lastName),
            }
          : {}),
        ...(scopes.includes('email') ? { email: String(user.profile.email), email_verified: true } : {}),
      },
      headers: NO_STORE,
    };
  });
}

const bodyOf = (body: unknown): Record<string, unknown> => (isObject(body) ? body : {});
const strings = (value: unknown, field: string): string[] | undefined => {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) {
    throw E.validation(field, [`${field}: must be a list of non-empty strings`]);
  }
  return value as string[];
};

/** `/__sim/…` endpoints (SSWS-authenticated like the rest of the control API): LOCAL-ONLY token minting and setup. */
export function registerAuthorizationControl(router: Router, deps: AuthorizationRouteDeps): void {
  const { org, servers } = deps;
  const add = (method: string, pattern: string, handler: (req: ApiRequest) => ApiResponse | Promise<ApiResponse>) =>
    router.add({ method, pattern, bucket: 'users', scope: 'control', handler });

  add('POST', '/__sim/tokens', async (req) => {
    const body = bodyOf(req.body);
    if (typeof body.login !== 'string' || body.login === '') {
      throw E.validation('login', ['login: the login (or id) of the simulated user to mint a token for']);
    }
    const serverId = typeof body.authServerId === 'string' ? body.authServerId : 'default';
    const server = servers.get(serverId);
    if (!server) throw E.notFound(serverId, 'AuthorizationServer');
    const user = org.user(body.login);
    if (!CAN_SIGN_IN.has(user.status)) {
      throw E.validation('login', [`login: ${String(user.profile.login)} is ${user.status} and cannot sign in`]);
    }
    const scopes = strings(body.scopes, 'scopes') ?? ['hookpilot.approvals'];
    const unknown = scopes.filter((s) => !server.scopes.includes(s));
    if (unknown.length) throw E.validation('scopes', [`scopes: not configured on ${serverId}: ${unknown.join(', ')}`]);
    const clientId = typeof body.clientId === 'string' ? body.clientId : 'hookpilot-cli';
    if (!servers.client(clientId)) throw E.validation('clientId', [`clientId: no client ${clientId}`]);
    let lifetimeSeconds: number | undefined;
    if (body.lifetimeSeconds !== undefined) {
      if (!Number.isInteger(body.lifetimeSeconds) || (body.lifetimeSeconds as number) < 1) {
        throw E.validation('lifetimeSeconds', ['lifetimeSeconds: a whole number of seconds ≥ 1']);
      }
      lifetimeSeconds = body.lifetimeSeconds as number;
    }
    if (body.audience !== undefined && (typeof body.audience !== 'string' || body.audience === '')) {
      throw E.validation('audience', ['audience: a non-empty string']);
    }
    const token = await server.mintForUser({
      user,
      clientId,
      scopes,
      withIdToken: false,
      ...(typeof body.audience === 'string' ? { audience: body.audience } : {}),
      ...(lifetimeSeconds ? { lifetimeSeconds } : {}),
    });
    return { status: 201, body: { ...token, issuer: server.issuer, userId: user.id }, headers: NO_STORE };
  });

  add('POST', '/__sim/authorization-servers', async (req) => {
    const body = bodyOf(req.body);
    if (typeof body.id !== 'string') throw E.validation('id', ['id: letters, digits, - or _']);
    const input: AuthorizationServerInput = {
      id: body.id,
      ...(typeof body.name === 'string' ? { name: body.name } : {}),
      ...(typeof body.audience === 'string' ? { audience: body.audience } : {}),
      ...(typeof body.groupsFilter === 'string' ? { groupsFilter: body.groupsFilter } : {}),
    };
    const scopes = strings(body.scopes, 'scopes');
    if (scopes) input.scopes = scopes;
    try {
      const server = servers.add(input);
      return { status: 201, body: server.metadata('openid') };
    } catch (error) {
      throw E.validation('authorizationServer', [(error as Error).message]);
    }
  });

  add('POST', '/__sim/authorization-servers/:id/rotate-keys', async (req) => {
    const server = servers.get(req.params.id ?? '');
    if (!server) throw E.notFound(req.params.id ?? '', 'AuthorizationServer');
    return { status: 200, body: { kid: await server.rotateKeys(), jwks: await server.jwks() } };
  });

  add('POST', '/__sim/oidc-clients', (req) => {
    const body = bodyOf(req.body);
    const method = body.tokenEndpointAuthMethod;
    if (typeof body.clientId !== 'string' || body.clientId === '')
      throw E.validation('clientId', ['clientId: required']);
    if (
      method !== 'none' &&
      method !== 'client_secret_basic' &&
      method !== 'client_secret_post' &&
      method !== 'private_key_jwt'
    ) {
      throw E.validation('tokenEndpointAuthMethod', [
        'tokenEndpointAuthMethod: none, client_secret_basic, client_secret_post or private_key_jwt',
      ]);
    }
    const grantTypes = strings(body.grantTypes, 'grantTypes') ?? [];
    if (!grantTypes.every((g) => g === 'authorization_code' || g === 'client_credentials')) {
      throw E.validation('grantTypes', ['grantTypes: authorization_code and/or client_credentials']);
    }
    const jwks = isObject(body.jwks) && Array.isArray(body.jwks.keys) ? (body.jwks.keys as JWK[]) : undefined;
    const redirectUris = strings(body.redirectUris, 'redirectUris');
    try {
      servers.addClient({
        clientId: body.clientId,
        ...(typeof body.name === 'string' ? { name: body.name } : {}),
        tokenEndpointAuthMethod: method,
        ...(typeof body.clientSecret === 'string' ? { clientSecret: body.clientSecret } : {}),
        ...(jwks ? { jwks } : {}),
        grantTypes: grantTypes as OidcClientInput['grantTypes'],
        ...(redirectUris ? { redirectUris } : {}),
        loopbackRedirects: body.loopbackRedirects === true,
      });
    } catch (error) {
      throw E.validation('client', [(error as Error).message]);
    }
    return { status: 201, body: { clientId: body.clientId } };
  });
}
