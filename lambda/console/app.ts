import { z } from 'zod';
import { isLoopbackHost } from '../config.ts';
import { APPROVAL_STATES, type ApprovalRecord } from '../domain/approval.ts';
import { RISK_LEVELS } from '../domain/catalog.ts';
import {
  BadRequestError,
  ConfigError,
  ForbiddenError,
  HookpilotError,
  MethodNotAllowedError,
  NotFoundError,
} from '../errors.ts';
import { logger } from '../log.ts';
import { approvalView, describe, requireApprover } from '../pipeline/approvals-api.ts';
import { type DecideApprovalDeps, DecisionBodySchema, decideApproval } from '../pipeline/decide-approval.ts';
import type {
  AccessTokenVerifier,
  AuditLog,
  AuditRecord,
  ConsoleSession,
  ConsoleSessionStore,
  HttpRequest,
  HttpResult,
  OidcSignIn,
} from '../ports.ts';
import type { Named, NameResolver } from './names.ts';
import {
  COOKIES,
  checkCsrfToken,
  checkSameOrigin,
  clearCookie,
  hashToken,
  parseCookies,
  randomToken,
  safeReturnPath,
  securityHeaders,
  setCookie,
} from './security.ts';
import {
  idsOf,
  type ListRow,
  listPage,
  messagePage,
  requestPage,
  STYLE_HASH,
  signedOutPage,
  type Viewer,
} from './views.ts';

/**
 * The approvals console: server-rendered pages over the approvals API's own use cases. The approver signs in with Okta
 * (OIDC code + PKCE); the access token is verified by the API's verifier and must belong to an approver; the session
 * (server-side, random id in an `HttpOnly; Secure; SameSite=Lax` cookie) then carries that identity until the token
 * expires. Decisions go through `decideApproval` — separation of duties, expiry, the payload hash and group slots are
 * the API's, and each page shows the API's view of whether the approver may decide and why not.
 *
 * Routes: `GET /console/` → the list; `GET /console/approvals` (state, risk, subject, cursor); `GET
 * /console/approvals/{id}`; `POST /console/approvals/{id}/decision`; `GET /console/login` (`?return=`); `GET
 * /console/callback`; `POST /console/logout`.
 */
export interface ConsoleDeps extends DecideApprovalDeps {
  /** The approvals API's verifier (`okta/access-token.ts`): the console's identity is the API's. */
  readonly verifier: AccessTokenVerifier;
  readonly sessions: ConsoleSessionStore;
  readonly oidc: OidcSignIn;
  readonly names: NameResolver;
  readonly audit: AuditLog;
  /**
   * The console's public origin (`HOOKPILOT_CONSOLE_URL`'s origin). Unset: taken from the request (`Host`, and
   * `X-Forwarded-Proto` as API Gateway sets it), https only except on a loopback host.
   */
  readonly origin?: string;
  /** Rows per list page (default 25). */
  readonly pageSize?: number;
}

const SIGN_IN_LIFETIME_MS = 10 * 60_000;

/** A redirect-worthy condition: no (valid) session; the browser goes to sign-in and comes back to `returnTo`. */
class SignInRequired extends Error {
  constructor(readonly returnTo: string) {
    super('sign-in required');
  }
}

const ListQuerySchema = z.strictObject({
  state: z.union([z.enum(APPROVAL_STATES), z.literal('')]).optional(),
  risk: z.union([z.enum(RISK_LEVELS), z.literal('')]).optional(),
  subject: z.string().trim().max(100, 'at most 100 characters').optional(),
  cursor: z.string().max(2048).optional(),
});

const ID = /^[A-Za-z0-9_:.-]{1,128}$/;

export function approvalsConsole(deps: ConsoleDeps): (request: HttpRequest) => Promise<HttpResult> {
  const headers = { ...securityHeaders(STYLE_HASH), 'content-type': 'text/html; charset=utf-8' };
  const page = (status: number, body: string, cookies?: string[]): HttpResult => ({
    status,
    body,
    headers,
    ...(cookies?.length ? { cookies } : {}),
  });
  const redirect = (location: string, cookies?: string[]): HttpResult => ({
    status: 303,
    headers: { ...securityHeaders(STYLE_HASH), location },
    ...(cookies?.length ? { cookies } : {}),
  });

  return async (request) => {
    const path = request.path.replace(/\/+$/, '') || '/';
    let viewer: Viewer | undefined;
    try {
      const origin = originOf(request, deps.origin);
      if (path === '/console') return redirect('/console/approvals');
      if (path === '/console/login') {
        allow(request, 'GET');
        return await beginSignIn(request, origin);
      }
      if (path === '/console/callback') {
        allow(request, 'GET');
        return await completeSignIn(request, origin);
      }
      if (path === '/console/logout') {
        allow(request, 'POST');
        return await signOut(request, origin);
      }
      if (path === '/console/approvals') {
        allow(request, 'GET');
        viewer = await viewerOf(request);
        return page(200, await list(request, viewer));
      }
      const match = /^\/console\/approvals\/([^/]+)(\/decision)?$/.exec(path);
      if (!match?.[1]) throw new NotFoundError('there is no such console page');
      const id = request.pathParameters?.id ?? decodeSegment(match[1]);
      if (match[2]) {
        allow(request, 'POST');
        return await decide(request, origin, id);
      }
      allow(request, 'GET');
      viewer = await viewerOf(request);
      return page(200, await show(id, viewer));
    } catch (error) {
      if (error instanceof SignInRequired) {
        return redirect(`/console/login?return=${encodeURIComponent(error.returnTo)}`);
      }
      return errorPage(error, viewer);
    }
  };

  function errorPage(error: unknown, viewer: Viewer | undefined): HttpResult {
    if (error instanceof MethodNotAllowedError) {
      return {
        ...page(405, messagePage('Not allowed', error.message, viewer)),
        headers: { ...headers, allow: error.allow.join(', ') },
      };
    }
    if (error instanceof HookpilotError) {
      if (error.status >= 500) logger.error('console: dependency failure', { code: error.code, cause: causeOf(error) });
      const title =
        error.status === 404
          ? 'Not found'
          : error.status === 403
            ? 'Refused'
            : error.status === 401
              ? 'Not signed in'
              : error.status >= 500
                ? 'Temporarily unavailable'
                : 'Cannot do that';
      return page(
        error.status,
        messagePage(title, error.message, viewer, { href: '/console/approvals', text: 'Back to the requests' }),
      );
    }
    if (error instanceof ConfigError) {
      logger.error('console: hookpilot is misconfigured', { message: error.message });
      return page(500, messagePage('Misconfigured', 'The console is misconfigured; see its logs.', viewer));
    }
    logger.error('console: unexpected error', { error: causeOf(error) });
    return page(500, messagePage('Something went wrong', 'The page could not be shown; try again.', viewer));
  }

  // ─── Sessions ─────────────────────────────────────────────────────────────────────────────────────────────────────

  async function sessionOf(request: HttpRequest): Promise<ConsoleSession | undefined> {
    const id = parseCookies(request.headers.cookie)[COOKIES.session];
    return id ? deps.sessions.getSession(hashToken(id)) : undefined;
  }

  /** The signed-in approver, or a redirect to sign-in that comes back to this page. */
  async function viewerOf(request: HttpRequest, returnTo = currentPath(request)): Promise<Viewer> {
    const session = await sessionOf(request);
    if (!session) throw new SignInRequired(returnTo);
    // Shown once: the flash goes with this page.
    if (session.flash) await deps.sessions.setFlash(session.idHash, undefined);
    return { session };
  }

  async function beginSignIn(request: HttpRequest, origin: URL): Promise<HttpResult> {
    const returnTo = safeReturnPath(request.query?.return);
    const started = await deps.oidc.begin(`${origin.origin}/console/callback`);
    const id = randomToken();
    await deps.sessions.putSignIn({
      idHash: hashToken(id),
      state: started.state,
      nonce: started.nonce,
      codeVerifier: started.codeVerifier,
      returnTo,
      expiresAt: new Date(deps.clock().getTime() + SIGN_IN_LIFETIME_MS).toISOString(),
    });
    return redirect(started.url, [setCookie(COOKIES.signIn, id, SIGN_IN_LIFETIME_MS / 1000)]);
  }

  async function completeSignIn(request: HttpRequest, origin: URL): Promise<HttpResult> {
    const id = parseCookies(request.headers.cookie)[COOKIES.signIn];
    const pending = id ? await deps.sessions.takeSignIn(hashToken(id)) : undefined;
    const clearSignIn = clearCookie(COOKIES.signIn);
    if (!pending) {
      return page(
        400,
        messagePage(
          'Sign-in expired',
          'This sign-in was not started in this browser, or it took longer than 10 minutes, or it was completed already. Start again.',
          undefined,
          { href: '/console/login', text: 'Sign in' },
        ),
        [clearSignIn],
      );
    }
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) query.set(key, value);
    const callback = new URL(`${origin.origin}/console/callback?${query.toString()}`);
    const { accessToken } = await deps.oidc.complete(callback, pending);
    // The approvals API's verifier and rule: the console's identity is exactly the API's.
    const principal = await deps.verifier.verify(`Bearer ${accessToken}`);
    try {
      requireApprover(principal, deps.policy);
    } catch (error) {
      if (error instanceof ForbiddenError) {
        return page(403, messagePage('Not an approver', `You signed in as ${principal.login}, but ${error.message}.`), [
          clearSignIn,
        ]);
      }
      throw error;
    }
    const sessionId = randomToken();
    const now = deps.clock();
    const expiresAt = principal.expiresAt;
    await deps.sessions.putSession({
      idHash: hashToken(sessionId),
      userId: principal.userId,
      login: principal.login,
      groups: [...principal.groups],
      tokenId: principal.tokenId,
      csrfToken: randomToken(),
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
    });
    logger.info('console: signed in', { userId: principal.userId, tokenId: principal.tokenId });
    return redirect(pending.returnTo, [
      setCookie(COOKIES.session, sessionId, (expiresAt.getTime() - now.getTime()) / 1000),
      clearSignIn,
    ]);
  }

  async function signOut(request: HttpRequest, origin: URL): Promise<HttpResult> {
    checkSameOrigin(request, origin);
    const session = await sessionOf(request);
    if (session) {
      checkCsrfToken(formOf(request).get('csrf') ?? undefined, session.csrfToken);
      await deps.sessions.deleteSession(session.idHash);
    }
    return page(200, signedOutPage(), [clearCookie(COOKIES.session)]);
  }

  // ─── Pages ────────────────────────────────────────────────────────────────────────────────────────────────────────

  async function list(request: HttpRequest, viewer: Viewer): Promise<string> {
    const parsed = ListQuerySchema.safeParse(request.query ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'query';
      throw new BadRequestError(
        issue?.code === 'unrecognized_keys'
          ? `unknown filter(s): ${issue.keys.join(', ')}`
          : `the filter ${field} is not valid: ${issue?.message ?? 'invalid'}`,
        'invalid_query',
      );
    }
    const q = parsed.data;
    // The list opens on what needs a decision: no `state` means pending; `state=` (empty) means every state.
    const state = q.state ?? 'pending';
    const subjectUserId = q.subject ? await subjectId(q.subject) : undefined;
    const result = await deps.store.list({
      ...(state ? { state } : {}),
      ...(subjectUserId ? { subjectUserId } : {}),
      limit: deps.pageSize ?? 25,
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    const kept = q.risk ? result.items.filter((r) => r.risk === q.risk) : result.items;
    const rows: ListRow[] = kept.map((record) => ({ record, description: describe(record) }));
    const names = await deps.names.resolve([
      ...rows.flatMap(({ record }) => [
        ...idsOf(record).map(([kind, id]) => ({ kind, id })),
        ...(record.subjectUserId ? [{ kind: 'user' as const, id: record.subjectUserId }] : []),
      ]),
      { kind: 'user', id: viewer.session.userId },
    ]);
    return listPage(named(viewer, names), {
      rows,
      names,
      filters: {
        state,
        ...(q.risk ? { risk: q.risk } : {}),
        ...(q.subject ? { subject: q.subject } : {}),
      },
      ...(result.cursor ? { nextCursor: result.cursor } : {}),
      paged: Boolean(q.cursor),
      filteredOut: result.items.length - kept.length,
      now: deps.clock(),
    });
  }

  /** An Okta user id as typed, or a login looked up in Okta (an unknown login is a 400 naming the field). */
  async function subjectId(subject: string): Promise<string> {
    if (/^[A-Za-z0-9]{15,30}$/.test(subject)) return subject;
    const named = await deps.names.resolve([{ kind: 'user', id: subject }]);
    const found = named.get(`user:${subject}`);
    if (!found?.resolved) {
      throw new BadRequestError(`the filter subject is not valid: no Okta user ${subject}`, 'invalid_query');
    }
    return found.userId ?? subject;
  }

  async function show(id: string, viewer: Viewer): Promise<string> {
    const record = await readRecord(id);
    const now = deps.clock();
    const view = approvalView(record, principalOf(viewer.session), deps.policy, now);
    const [names, trail] = await Promise.all([
      deps.names.resolve([
        ...idsOf(record).map(([kind, id]) => ({ kind, id })),
        ...(record.subjectUserId ? [{ kind: 'user' as const, id: record.subjectUserId }] : []),
        { kind: 'user' as const, id: viewer.session.userId },
      ]),
      historyOf(record),
    ]);
    return requestPage(named(viewer, names), {
      view,
      names,
      history: trail.history,
      ...(trail.event ? { event: trail.event } : {}),
      now,
    });
  }

  async function readRecord(id: string): Promise<ApprovalRecord> {
    if (!ID.test(id)) throw new NotFoundError('there is no such approval request');
    const record = await deps.store.get(id);
    if (!record) throw new NotFoundError(`there is no approval request ${id}`);
    return record;
  }

  /** Every lifecycle step of the request from the audit trail (its records and its action's), oldest first. */
  async function historyOf(record: ApprovalRecord): Promise<{ history: AuditRecord[]; event?: AuditRecord }> {
    let records: AuditRecord[];
    try {
      records = await deps.audit.byCorrelation(record.correlationId, { limit: 1000 });
    } catch (error) {
      logger.warn('console: the audit trail could not be read', { cause: causeOf(error) });
      return { history: [] };
    }
    const actionId = record.message.actionId;
    const history = records
      .filter((r) => r.recordKey.startsWith(`approval:${actionId}:`) || r.recordKey.startsWith(`action:${actionId}:`))
      .sort((a, b) => a.at.localeCompare(b.at));
    const event = records.find((r) => r.kind === 'event.received');
    return { history, ...(event ? { event } : {}) };
  }

  async function decide(request: HttpRequest, origin: URL, id: string): Promise<HttpResult> {
    // Cross-site first: a forged POST is refused before anything is read or changed.
    checkSameOrigin(request, origin);
    const back = `/console/approvals/${encodeURIComponent(id)}`;
    const session = await sessionOf(request);
    if (!session) throw new SignInRequired(back);
    const form = formOf(request);
    checkCsrfToken(form.get('csrf') ?? undefined, session.csrfToken);
    const flash = async (kind: 'success' | 'error', text: string) => {
      await deps.sessions.setFlash(session.idHash, { kind, text });
      return redirect(back);
    };
    const duration = form.get('durationSeconds');
    const reason = form.get('reason')?.trim();
    const parsed = DecisionBodySchema.safeParse({
      decision: form.get('decision') ?? undefined,
      payloadHash: form.get('payloadHash') ?? undefined,
      ...(reason ? { reason } : {}),
      ...(duration ? { durationSeconds: Number(duration) } : {}),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return flash('error', `Not recorded: ${issue?.path.join('.') || 'the form'}: ${issue?.message ?? 'invalid'}.`);
    }
    const body = parsed.data;
    // The requested duration is the default choice: sending it back is not "approve for less".
    const record = await readRecord(id);
    const decision =
      body.durationSeconds !== undefined && record.durationSeconds === body.durationSeconds
        ? { ...body, durationSeconds: undefined }
        : body;
    const { durationSeconds, ...rest } = decision;
    try {
      const result = await decideApproval(
        {
          principal: principalOf(session),
          approvalId: id,
          body: durationSeconds === undefined ? rest : { ...rest, durationSeconds },
        },
        deps,
      );
      const what = result.decision === 'approve' ? 'approved' : 'rejected';
      const next =
        result.state === 'approved'
          ? 'It is approved; the action is queued and runs once.'
          : result.state === 'pending'
            ? `Still required: ${result.stillRequired ?? 'more approvals'}.`
            : `It is ${result.state}.`;
      return flash('success', `You ${what} this request. ${next}`);
    } catch (error) {
      if (!(error instanceof HookpilotError) || error.status >= 500) throw error;
      const text =
        error.code === 'payload_changed'
          ? 'Not recorded: the action changed since this page was shown. Check what it shows now, then decide again.'
          : `Not recorded: ${error.message}.`;
      return flash('error', text);
    }
  }
}

// ─── Helpers ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** The viewer with their own name from Okta, when it was resolved with the page's names. */
function named(viewer: Viewer, names: Map<string, Named>): Viewer {
  const me = names.get(`user:${viewer.session.userId}`);
  return me?.resolved ? { ...viewer, name: me.label } : viewer;
}

function principalOf(session: ConsoleSession) {
  return { userId: session.userId, login: session.login, groups: session.groups };
}

function allow(request: HttpRequest, method: 'GET' | 'POST'): void {
  if (request.method !== method) throw new MethodNotAllowedError([method]);
}

function formOf(request: HttpRequest): URLSearchParams {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new BadRequestError('the form must be sent as application/x-www-form-urlencoded', 'invalid_form');
  }
  if ((request.body?.length ?? 0) > 16_384) throw new BadRequestError('the form is too large', 'invalid_form');
  return new URLSearchParams(request.body ?? '');
}

function currentPath(request: HttpRequest): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) query.set(key, value);
  const text = query.toString();
  return safeReturnPath(`${request.path}${text ? `?${text}` : ''}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The console's origin: configured, or the request's host (https, or http on a loopback host only). */
function originOf(request: HttpRequest, configured: string | undefined): URL {
  if (configured) return new URL(configured);
  const host = request.headers.host ?? '';
  const proto = (request.headers['x-forwarded-proto'] ?? 'http').split(',')[0]?.trim();
  let url: URL;
  try {
    url = new URL(`${proto === 'https' ? 'https' : 'http'}://${host}`);
  } catch {
    throw new BadRequestError('the Host header is not valid', 'invalid_host');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(
      'the console was reached over plain http on a non-loopback host; set HOOKPILOT_CONSOLE_URL to its https URL',
    );
  }
  if (url.host !== host.toLowerCase() || url.pathname !== '/') {
    throw new BadRequestError('the Host header is not valid', 'invalid_host');
  }
  return url;
}

function causeOf(error: unknown): Record<string, unknown> | undefined {
  const cause = error instanceof HookpilotError && error.cause ? error.cause : error;
  if (!(cause instanceof Error)) return cause === undefined ? undefined : { value: String(cause) };
  return { name: cause.name, message: cause.message };
}
