import * as oidc from 'openid-client';
import { intEnv, isLoopbackHost, optionalEnv, requiredEnv } from '../config.ts';
import { BadRequestError, ConfigError, DependencyError, UnauthorizedError } from '../errors.ts';
import type { OidcSignIn } from '../ports.ts';
import { APPROVER_TOKEN_ENV } from './access-token-config.ts';

/**
 * The approvals console's sign-in: OpenID Connect authorization code + PKCE (S256) with `openid-client`, against the
 * approvers' Okta authorization server (the issuer the approvals API already trusts). Discovery runs once per warm
 * function (retried after a failure). The console is a public client (token endpoint auth `none`): PKCE, state and
 * nonce bind the callback to the browser that started the sign-in; the access token is then verified by the approvals
 * API's own verifier, so the console's identity is exactly the API's.
 */
export interface OidcSettings {
  /** The authorization server's issuer (`HOOKPILOT_APPROVALS_ISSUER`). */
  readonly issuer: string;
  /** The console's OIDC app (client id) in Okta. */
  readonly clientId: string;
  /** Scopes to ask for, e.g. `openid profile hookpilot.approvals`. */
  readonly scopes: readonly string[];
  /** Time budget of each call to the authorization server, in seconds (default 5). */
  readonly timeoutSeconds?: number;
}

/** The console's settings (the CDK stack and the local stack set them; docs/console.md). */
export const CONSOLE_ENV = {
  /** The console's OIDC app in Okta (its client id; a public client: token endpoint auth `none`, PKCE). */
  clientId: 'HOOKPILOT_CONSOLE_CLIENT_ID',
  /** Optional: scopes to ask for (space- or comma-separated; default `openid profile hookpilot.approvals`). */
  scopes: 'HOOKPILOT_CONSOLE_SCOPES',
  /** Optional: time budget of each call to the authorization server, seconds (default 5). */
  timeoutSeconds: 'HOOKPILOT_CONSOLE_OIDC_TIMEOUT_SECONDS',
} as const;

export const DEFAULT_CONSOLE_SCOPES = ['openid', 'profile', 'hookpilot.approvals'] as const;

/** The sign-in settings from the environment: the approvers' issuer, the console's client id and scopes. */
export function consoleOidcSettings(): OidcSettings {
  const issuer = requiredEnv(APPROVER_TOKEN_ENV.issuer, 'the Okta authorization server issuer URL');
  const scopes = (optionalEnv(CONSOLE_ENV.scopes) ?? DEFAULT_CONSOLE_SCOPES.join(' ')).split(/[\s,]+/).filter(Boolean);
  if (!scopes.includes('openid')) throw new ConfigError(`${CONSOLE_ENV.scopes} must include openid`);
  return {
    issuer,
    clientId: requiredEnv(CONSOLE_ENV.clientId, "the console's OIDC client id in Okta"),
    scopes,
    timeoutSeconds: intEnv(CONSOLE_ENV.timeoutSeconds, 5, { min: 1, max: 20 }),
  };
}

export function createOidcSignIn(settings: OidcSettings): OidcSignIn {
  const issuer = new URL(settings.issuer);
  // Plain http only for a loopback issuer (the local Okta simulator); the settings reader refuses anything else.
  const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
  let configuration: Promise<oidc.Configuration> | undefined;
  const configured = (): Promise<oidc.Configuration> => {
    configuration ??= oidc
      .discovery(issuer, settings.clientId, undefined, oidc.None(), {
        timeout: settings.timeoutSeconds ?? 5,
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        configuration = undefined; // try again on the next sign-in
        throw new DependencyError('the Okta authorization server could not be reached (discovery failed)', error);
      });
    return configuration;
  };

  return {
    async begin(redirectUri) {
      const config = await configured();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: settings.scopes.join(' '),
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url: url.href, state, nonce, codeVerifier };
    },

    async complete(callbackUrl, expected) {
      const config = await configured();
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
          expectedNonce: expected.nonce,
          idTokenExpected: settings.scopes.includes('openid'),
        });
        return { accessToken: tokens.access_token };
      } catch (error) {
        throw signInFailure(error);
      }
    },
  };
}

/** An `OidcSignIn` built on first use (its settings are read then). */
export function lazySignIn(create: () => OidcSignIn): OidcSignIn {
  let signIn: OidcSignIn | undefined;
  return {
    begin: (redirectUri) => {
      signIn ??= create();
      return signIn.begin(redirectUri);
    },
    complete: (callbackUrl, expected) => {
      signIn ??= create();
      return signIn.complete(callbackUrl, expected);
    },
  };
}

/** What went wrong, for the person signing in: their refusal (401), a broken callback (400), or Okta unreachable (503). */
function signInFailure(error: unknown): Error {
  if (error instanceof oidc.AuthorizationResponseError) {
    return new UnauthorizedError(
      `Okta did not sign you in (${safeCode(error.error)}): start again, or ask an Okta admin to assign you the console app`,
      undefined,
      'sign_in_refused',
    );
  }
  if (error instanceof oidc.ResponseBodyError) {
    return new BadRequestError(
      `Okta refused the sign-in code (${safeCode(error.error)}): it may have expired or been used already; start again`,
      'sign_in_failed',
    );
  }
  // The authorization server failing (5xx, 429) without an OAuth error body: openid-client reports it as a ClientError
  // whose cause is the response. That is Okta's trouble, not a mismatched callback: try again.
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Response && (cause.status >= 500 || cause.status === 429)) {
    return new DependencyError(`the Okta authorization server answered HTTP ${cause.status}; try again`, error);
  }
  if (error instanceof oidc.ClientError) {
    // State/nonce/PKCE/ID token checks: a callback that does not belong to this browser's sign-in.
    return new BadRequestError('the sign-in response did not match this sign-in; start again', 'sign_in_failed');
  }
  return new DependencyError('the Okta authorization server could not be reached; try again', error);
}

/** An OAuth error code (RFC 6749: printable ASCII without quotes or backslash), never free text from the response. */
function safeCode(code: string): string {
  return /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(code) ? code : 'error';
}
