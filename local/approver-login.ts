import { DEFAULT_SIM_TOKEN } from './okta-sim/defaults.ts';

/**
 * LOCAL ONLY: an approver's access token for a simulated Okta user, for `hookpilot approvals login --as <login>`.
 *
 * It asks the Okta simulator's control API (`POST /__sim/tokens`, authenticated with the simulator's SSWS token) to mint a
 * signed JWT access token on a custom authorization server (`default` unless told otherwise): `iss` =
 * `${simUrl}/oauth2/default`, `aud` = `api://default` (or `audience`), `sub` = the login, `uid`, `cid` = `hookpilot-cli`,
 * `scp` = `hookpilot.approvals`, and `groups` = the user's group names — exactly what the approvals API verifies. A user
 * who could not sign in to Okta (not ACTIVE) gets no token. Nothing here works against a real Okta org: there, approvers
 * sign in through the console (authorization code + PKCE) and the CLI takes a token from `--token` or the environment.
 *
 * Wiring it into the CLI (cli/approvals.ts, `approvals login --as <login>`):
 * ```ts
 * const state = requireLocalState();                       // .hookpilot/local-stack.json
 * const { accessToken, expiresAt } = await localApproverToken({
 *   simUrl: state.okta.orgUrl, simToken: state.okta.token, login: options.as,
 * });
 * // keep it for later commands (e.g. .hookpilot/approver-token.json, mode 0600), never print it unless --json asks;
 * // send it as `Authorization: Bearer <accessToken>`; when it has expired, ask the user to log in again.
 * ```
 * Errors are `ApproverLoginError`s with a one-line message fit for the CLI (no stack, no token).
 */

export interface LocalApproverTokenInput {
  /** The simulator's org URL, e.g. `http://127.0.0.1:8790`. */
  simUrl: string;
  /** The simulated user's login (or Okta user id, or the part of the login before `@` when unambiguous). */
  login: string;
  /** The token's `aud` (default: the authorization server's own, `api://default`). */
  audience?: string;
  /** The authorization server (default `default`). */
  authServerId?: string;
  /** Scopes (default `hookpilot.approvals`). */
  scopes?: readonly string[];
  /** The simulator's SSWS token (default: the fixed local one). */
  simToken?: string;
}

export interface LocalApproverToken {
  accessToken: string;
  expiresAt: Date;
  /** The issuer the token is for (what `HOOKPILOT_APPROVALS_ISSUER` must say). */
  issuer: string;
  /** The Okta user id (`uid`). */
  userId: string;
}

export class ApproverLoginError extends Error {
  override readonly name = 'ApproverLoginError';
}

export async function localApproverToken(input: LocalApproverTokenInput): Promise<LocalApproverToken> {
  const simUrl = input.simUrl.replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetch(`${simUrl}/__sim/tokens`, {
      method: 'POST',
      headers: {
        Authorization: `SSWS ${input.simToken ?? DEFAULT_SIM_TOKEN}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify({
        login: input.login,
        ...(input.audience ? { audience: input.audience } : {}),
        ...(input.authServerId ? { authServerId: input.authServerId } : {}),
        ...(input.scopes ? { scopes: input.scopes } : {}),
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    throw new ApproverLoginError(
      `the Okta simulator at ${simUrl} did not answer: is the local stack running (npm start)?`,
    );
  }
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (response.status === 201 && typeof body?.access_token === 'string' && typeof body.expires_in === 'number') {
    return {
      accessToken: body.access_token,
      expiresAt: new Date(Date.now() + body.expires_in * 1000),
      issuer: String(body.issuer),
      userId: String(body.userId),
    };
  }
  if (response.status === 404) {
    throw new ApproverLoginError(
      String(body?.errorSummary ?? '').endsWith('(User)')
        ? `there is no simulated user ${input.login}`
        : `the Okta simulator has no authorization server ${input.authServerId ?? 'default'}`,
    );
  }
  if (response.status === 401) {
    throw new ApproverLoginError('the Okta simulator refused its SSWS token: pass the one the local stack printed');
  }
  const causes = Array.isArray(body?.errorCauses)
    ? body.errorCauses.map((c) => String((c as { errorSummary?: unknown }).errorSummary ?? '')).filter(Boolean)
    : [];
  throw new ApproverLoginError(
    `no token for ${input.login}: ${causes.join('; ') || String(body?.errorSummary ?? `HTTP ${response.status}`)}`,
  );
}
