import type { JsonWebKey } from 'node:crypto';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathBeyondDepth } from '../../lambda/json-depth.ts';
import { controlRequestRefusal, listen, readBody } from '../http.ts';
import { registerApi } from './api.ts';
import { registerAuthorizationControl, registerAuthorizationServers } from './authorization-routes.ts';
import {
  type AuthorizationServerInput,
  AuthorizationServers,
  DEFAULT_OIDC_CLIENTS,
  type OidcClientInput,
  type TokenResponse,
} from './authorization-server.ts';
import { type Clock, iso, systemClock } from './clock.ts';
import { type ControlEventInput, registerControl } from './control.ts';
import { E, OktaError } from './errors.ts';
import {
  DEFAULT_EVENT_HOOK_OPTIONS,
  type DeliveryAttempt,
  type EventHookOptions,
  EventHooks,
  renderHook,
} from './event-hooks.ts';
import { type Fault, Faults } from './faults.ts';
import { base62, newApiToken, newRequestId } from './ids.ts';
import { OAuthError, OAuthServer, scopeSatisfied } from './oauth.ts';
import { AccessTokenResponseSchema, ErrorSchema, OAuthErrorSchema } from './okta-schemas.ts';
import { type AppScope, displayName, Org } from './org.ts';
import type { RateLimitConfig } from './rate-limits.ts';
import { RateLimiter } from './rate-limits.ts';
import { renderApp, renderGroup, renderRole, renderUser } from './render.ts';
import { type ApiRequest, type ApiResponse, type Principal, Router } from './router.ts';
import { loadSeed, type Seed } from './seed.ts';
import { type LogActor, type LogContext, type LogEvent, SystemLog } from './system-log.ts';

/** No Okta API body nests deeper than this (profiles are flat; hooks and policies a few levels). */
const MAX_BODY_DEPTH = 32;

export interface ServiceAppInput {
  clientId?: string;
  name: string;
  scopes: readonly string[];
  /** Public keys (JWK). A private JWK may be passed: only its public part is kept. */
  jwks: ReadonlyArray<JsonWebKey & { kid?: string }>;
}

export interface OktaSimOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** The org: a path to a seed JSON file, a seed object, or (default) the bundled `seed-org.json`. */
  seed?: string | object;
  /** The SSWS API token to accept (default: a random one; read it from `sim.token`). */
  token?: string;
  /** Requests per window for each rate-limit bucket, and the window length. */
  rateLimits?: Partial<RateLimitConfig>;
  /** Probability (0–1) that an event hook batch is delivered twice (at-least-once). Default 0. */
  hookDuplicateRate?: number;
  /** Event hook delivery settings (timeouts, batching, retries). */
  hooks?: Partial<Omit<EventHookOptions, 'duplicateRate'>>;
  /** Source of "now" for timestamps, log queries, token expiry and rate-limit windows (timers still use real time). */
  clock?: Clock;
  /** `POST /api/v1/apps/{id}/users` for a user already assigned: 200 (`idempotent`, default) or 409 E0000062. */
  duplicateAppAssignment?: 'idempotent' | 'conflict';
  /** Failed sign-ins before an ACTIVE user is locked out (default 10, Okta's default password policy). */
  lockoutAttempts?: number;
  /** OAuth 2.0 service apps (in addition to the seed's `serviceApps`). */
  serviceApps?: readonly ServiceAppInput[];
  /**
   * Custom authorization servers (`/oauth2/{id}`). `default` (audience `api://default`) is always there unless given
   * here with other settings.
   */
  authorizationServers?: readonly AuthorizationServerInput[];
  /** OIDC clients of the custom authorization servers, in addition to hookpilot-console, hookpilot-cli and hookpilot-inline-hooks. */
  oidcClients?: readonly OidcClientInput[];
  /** Check every response body against okta-schemas.ts and keep violations (`sim.schemaViolations()`). */
  validateResponses?: boolean;
  /** Called with one line per request (method, path, status, ms). */
  onRequest?: (line: RequestRecord) => void;
}

export interface RequestRecord {
  at: string;
  method: string;
  path: string;
  query: string;
  status: number;
  requestId: string;
  /** `ssws`, `oauth:<clientId>`, or `none`. */
  principal: string;
  ms: number;
  /** The SDK's `X-Okta-Retry-Count` (0 for a first attempt). */
  retry: number;
  /** The fault applied, if any. */
  fault?: number;
}

export interface SchemaViolation {
  method: string;
  path: string;
  status: number;
  issues: string[];
}

export interface SignInOptions {
  ipAddress?: string;
  userAgent?: string;
  geo?: LogContext['geo'];
}

/** Read access to the org's current state, in Okta's JSON shapes (copies: changing them changes nothing). */
export interface SimState {
  user(idOrLogin: string): Record<string, unknown> | undefined;
  users(): Array<Record<string, unknown>>;
  group(idOrName: string): Record<string, unknown> | undefined;
  groups(): Array<Record<string, unknown>>;
  /** Member user ids of a group. */
  groupMembers(groupIdOrName: string): string[];
  /** Group ids of a user's groups (including Everyone). */
  userGroups(idOrLogin: string): string[];
  apps(): Array<Record<string, unknown>>;
  /** Users who have an app, and how (USER: directly; GROUP: through a group). */
  appAssignments(appIdOrName: string): Array<{ userId: string; scope: AppScope }>;
  /** Apps a user has, and how. */
  userApps(idOrLogin: string): Array<{ appId: string; name: string; scope: AppScope }>;
  /** A user's admin role assignments (direct and through groups). */
  roles(idOrLogin: string): Array<Record<string, unknown>>;
  /** Active sessions (simulated sign-ins since the last clear). */
  sessions(idOrLogin: string): number;
  /** Enrolled MFA factor types. */
  factors(idOrLogin: string): string[];
  eventHooks(): Array<Record<string, unknown>>;
  /** Everything above, for the whole org. */
  snapshot(): Record<string, unknown>;
}

export interface OktaSim {
  /** The org URL to give the Okta SDK (`orgUrl`), Terraform (`base_url`/`org_name`…) or scripts. */
  readonly orgUrl: string;
  readonly port: number;
  /** The SSWS API token (`Authorization: SSWS <token>`). */
  readonly token: string;
  /** The seed the org started from. */
  readonly seed: Seed;
  readonly state: SimState;
  readonly logs: {
    /** Every System Log event, oldest first. */
    all(): LogEvent[];
    /** Events matching every given criterion. */
    find(criteria: { eventType?: string; targetId?: string; actorId?: string; since?: string | number }): LogEvent[];
    /** Appends an event (any event type: risk detections, breached credentials…) and delivers it to hooks. */
    append(input: ControlEventInput): LogEvent;
  };
  readonly faults: Faults;
  readonly rateLimits: RateLimiter;
  readonly hooks: {
    deliveries(filter?: { hookId?: string }): DeliveryAttempt[];
    /** Sends pending batches now and waits for every delivery and retry to finish. */
    flush(): Promise<void>;
    /** The next `count` delivered batches are delivered twice. */
    duplicateNext(count?: number): void;
  };
  readonly oauth: {
    /** Registers a service app (public JWKs); returns its client id. */
    registerServiceApp(input: ServiceAppInput): string;
    /** Invalidates every access token (the SDK then gets a 401 and fetches a new one). */
    revokeTokens(): void;
  };
  /** The custom authorization servers (`/oauth2/{id}`): signed JWT access tokens for simulated users — LOCAL ONLY. */
  readonly authorizationServers: {
    /** `${orgUrl}/oauth2/${id}` (default `default`). */
    issuer(id?: string): string;
    /** A signed access token for a user, as `POST /__sim/tokens` mints it (scopes default `hookpilot.approvals`). */
    mintToken(input: {
      login: string;
      authServerId?: string;
      audience?: string;
      scopes?: readonly string[];
      clientId?: string;
      lifetimeSeconds?: number;
    }): Promise<TokenResponse>;
    /** A new signing key; the previous one stays published. Returns the new `kid`. */
    rotateKeys(id?: string): Promise<string>;
    add(input: AuthorizationServerInput): void;
    addClient(input: OidcClientInput): void;
  };
  /** A successful end-user sign-in (`user.session.start` SUCCESS) — or a failure if the user's status forbids it. */
  signIn(idOrLogin: string, options?: SignInOptions): { result: 'SUCCESS' | 'FAILURE'; reason: string | null };
  /** `count` failed sign-ins; an ACTIVE user is locked out after `lockoutAttempts` in a row. */
  failSignIn(idOrLogin: string, options?: SignInOptions & { count?: number; reason?: string }): { locked: boolean };
  /** The user finishes a pending password flow (welcome, reset or forced change) → ACTIVE. */
  completePasswordFlow(idOrLogin: string): void;
  /** Requests served so far (most recent last). */
  requests(): RequestRecord[];
  /** Responses that did not match okta-schemas.ts (with `validateResponses: true`). */
  schemaViolations(): SchemaViolation[];
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_KEPT_REQUESTS = 5000;
const BROWSER_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

/** Starts the simulator; resolves once it listens. */
export async function startOktaSim(options: OktaSimOptions = {}): Promise<OktaSim> {
  const seed = loadSeed(options.seed);
  const clock = options.clock ?? systemClock;
  const token = options.token ?? newApiToken();
  let orgUrl = '';
  const base = () => orgUrl;

  const log = new SystemLog(clock);
  const org = new Org(
    seed,
    clock,
    log,
    {
      duplicateAppAssignment: options.duplicateAppAssignment ?? 'idempotent',
      lockoutAttempts: options.lockoutAttempts ?? 10,
    },
    base,
  );
  const hooks = new EventHooks(
    clock,
    log,
    {
      ...DEFAULT_EVENT_HOOK_OPTIONS,
      ...options.hooks,
      duplicateRate: options.hookDuplicateRate ?? DEFAULT_EVENT_HOOK_OPTIONS.duplicateRate,
    },
    base,
  );
  const oauth = new OAuthServer(clock);
  for (const app of [...seed.serviceApps, ...(options.serviceApps ?? [])]) {
    oauth.register({ ...app, jwks: app.jwks as unknown as JsonWebKey[] });
  }
  const authServers = new AuthorizationServers(clock, org, base);
  const serverInputs = options.authorizationServers ?? [];
  if (!serverInputs.some((s) => s.id === 'default')) authServers.add({ id: 'default', audience: 'api://default' });
  for (const input of serverInputs) authServers.add(input);
  for (const client of [...DEFAULT_OIDC_CLIENTS, ...(options.oidcClients ?? [])]) authServers.addClient(client);
  const limiter = new RateLimiter(clock, options.rateLimits);
  const faults = new Faults();
  const requests: RequestRecord[] = [];
  const violations: SchemaViolation[] = [];

  const ownerActor = (): LogActor => {
    const owner = org.users.get(seed.apiToken.ownerId);
    return owner
      ? org.userTarget(owner)
      : { id: seed.apiToken.ownerId, type: 'User', alternateId: 'unknown', displayName: 'unknown', detailEntry: null };
  };

  /** A context for changes that come from outside any API request (programmatic calls, simulated end users). */
  const endUserContext = (input: Record<string, unknown> = {}, signIn = true): LogContext => {
    const geo = input.geo && typeof input.geo === 'object' ? (input.geo as LogContext['geo']) : undefined;
    return {
      actor: ownerActor(),
      requestId: newRequestId(),
      ...(signIn ? { requestUri: '/idp/idx/challenge/answer', url: '/idp/idx/challenge/answer?' } : {}),
      ipAddress: typeof input.ipAddress === 'string' ? input.ipAddress : '198.51.100.24',
      userAgent: typeof input.userAgent === 'string' ? input.userAgent : BROWSER_UA,
      ...(geo ? { geo } : {}),
      transactionDetail: {},
      externalSessionId: `idx${base62(21)}`,
    };
  };

  const appendEvent = (input: ControlEventInput): LogEvent => {
    const ctx = endUserContext(input as unknown as Record<string, unknown>, false);
    const actorUser = input.actorId ? org.user(input.actorId) : undefined;
    const targets = (input.targetIds ?? []).map((id) => {
      const user = org.findUser(id);
      if (user) return org.userTarget(user);
      const group = org.groups.get(id);
      if (group) return org.groupTarget(group);
      const app = org.apps.get(id);
      if (app) return org.appTarget(app);
      throw E.notFound(id, 'Resource');
    });
    return log.append(ctx, {
      eventType: input.eventType,
      ...(actorUser ? { actor: org.userTarget(actorUser) } : {}),
      target: targets,
      ...(input.outcome ? { outcome: input.outcome } : {}),
      ...(input.severity ? { severity: input.severity } : {}),
      ...(input.displayMessage ? { displayMessage: input.displayMessage } : {}),
      ...(input.debugData ? { debugData: input.debugData } : {}),
    });
  };

  const state = buildState(org, hooks, base);

  const apiRouter = new Router();
  registerApi(apiRouter, { org, log, hooks, tokenOwnerId: seed.apiToken.ownerId });
  apiRouter.add({
    method: 'POST',
    pattern: '/oauth2/v1/token',
    bucket: 'oauth',
    handler: (req) => {
      try {
        const body = oauth.token(new URLSearchParams(req.rawBody), `${req.base}/oauth2/v1/token`);
        return {
          status: 200,
          body,
          schema: AccessTokenResponseSchema,
          headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
        };
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        return {
          status: error.status,
          body: { error: error.error, error_description: error.description },
          schema: OAuthErrorSchema,
        };
      }
    },
  });
  registerAuthorizationServers(apiRouter, { org, servers: authServers });
  const controlRouter = new Router();
  registerAuthorizationControl(controlRouter, { org, servers: authServers });
  registerControl(controlRouter, {
    org,
    log,
    hooks,
    faults,
    limiter,
    oauth,
    snapshot: () => state.snapshot(),
    requests: () => requests.map((r) => ({ ...r })),
    signInContext: endUserContext,
    appendEvent,
  });

  const authenticate = (header: string | undefined): Principal | OktaError => {
    const match = /^(SSWS|Bearer|DPoP)\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return E.invalidToken();
    const [, scheme = '', value = ''] = match;
    if (scheme.toUpperCase() === 'SSWS') {
      return safeEqual(value, token) ? { kind: 'ssws', tokenId: seed.apiToken.id } : E.invalidToken();
    }
    const access = oauth.accessToken(value);
    if (!access) {
      return E.invalidToken({
        'WWW-Authenticate': `Bearer authorization_uri="${orgUrl}/oauth2/v1/authorize", realm="${orgUrl}", scope="", error="invalid_token", error_description="The token is not valid or has expired.", resource=""`,
      });
    }
    const app = oauth.app(access.clientId);
    return { kind: 'oauth', clientId: access.clientId, appName: app?.name ?? access.clientId, scopes: access.scopes };
  };

  const contextFor = (req: IncomingMessage, url: URL, requestId: string, principal?: Principal): LogContext => ({
    actor:
      principal?.kind === 'oauth'
        ? {
            id: principal.clientId,
            type: 'PublicClientApp',
            alternateId: principal.clientId,
            displayName: principal.appName,
            detailEntry: null,
          }
        : ownerActor(),
    requestId,
    requestUri: url.pathname,
    url: `${url.pathname}${url.search || '?'}`,
    ipAddress: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    userAgent: String(req.headers['user-agent'] ?? 'unknown'),
    transactionDetail: principal?.kind === 'ssws' ? { requestApiTokenId: principal.tokenId } : {},
    externalSessionId: 'unknown',
  });

  const validate = (method: string, path: string, status: number, body: unknown, schema?: ApiResponse['schema']) => {
    if (!options.validateResponses || body === undefined) return;
    const effective = schema ?? (status >= 400 ? ErrorSchema : undefined);
    if (!effective) return;
    const result = effective.safeParse(body);
    if (!result.success) {
      violations.push({
        method,
        path,
        status,
        issues: result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = newRequestId();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const path = url.pathname;
    let principalLabel = 'none';
    let appliedFault: Fault | undefined;
    const headers: Record<string, string | string[]> = {
      'X-Okta-Request-Id': requestId,
      Date: new Date(clock()).toUTCString(),
    };

    const finish = (status: number, body?: unknown, extra?: Record<string, string | string[]>, type = 'json') => {
      if (res.headersSent || res.destroyed) return;
      for (const [k, v] of Object.entries({ ...headers, ...extra })) res.setHeader(k, v);
      if (body === undefined || status === 204) {
        res.writeHead(status);
        res.end();
      } else if (type === 'html') {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.writeHead(status);
        res.end(String(body));
      } else {
        res.setHeader('Content-Type', 'application/json');
        res.writeHead(status);
        res.end(JSON.stringify(body));
      }
      const record: RequestRecord = {
        at: iso(clock()),
        method,
        path,
        query: url.search,
        status,
        requestId,
        principal: principalLabel,
        ms: Date.now() - started,
        retry: Number(req.headers['x-okta-retry-count'] ?? 0) || 0,
        ...(appliedFault ? { fault: appliedFault.id } : {}),
      };
      requests.push(record);
      if (requests.length > MAX_KEPT_REQUESTS) requests.splice(0, requests.length - MAX_KEPT_REQUESTS);
      options.onRequest?.(record);
    };
    const fail = (error: OktaError) => {
      const body = error.body();
      validate(method, path, error.status, body);
      finish(error.status, body, error.headers);
    };
    const faultResponse = async (fault: Fault, bucketLimit: number) => {
      appliedFault = fault;
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.status === undefined) return false;
      if (fault.body === 'html') {
        finish(fault.status, `<html><body><h1>${fault.status}</h1><p>Simulated failure</p></body></html>`, {}, 'html');
        return true;
      }
      const error =
        fault.status === 429
          ? E.rateLimited()
          : fault.status >= 500
            ? new OktaError(fault.status, 'E0000009', 'Internal Server Error')
            : new OktaError(fault.status, fault.status === 404 ? 'E0000007' : 'E0000001', 'Simulated failure');
      const extra: Record<string, string> =
        fault.status === 429
          ? {
              'X-Rate-Limit-Limit': String(bucketLimit),
              'X-Rate-Limit-Remaining': '0',
              'X-Rate-Limit-Reset': String(Math.floor(clock() / 1000) + fault.resetInSeconds),
            }
          : {};
      finish(fault.status, error.body(), extra);
      return true;
    };

    try {
      // Body first (bounded), whatever happens next.
      const bytes = await readBody(req, MAX_BODY_BYTES);
      if (!bytes) return fail(new OktaError(413, 'E0000003', 'The request body was too large.'));
      const rawBody = bytes.toString('utf8');

      const isControl = path.startsWith('/__sim/');
      const refused = isControl ? controlRequestRefusal(req, bytes.length > 0) : undefined;
      if (refused) {
        return fail(
          refused.status === 415
            ? new OktaError(415, 'E0000003', 'The request body was not well-formed.', [refused.message])
            : E.noPermission([refused.message]),
        );
      }
      const router = isControl ? controlRouter : apiRouter;
      const match = router.match(method, path);
      if (!match.route) {
        return fail(match.methodMismatch ? E.methodNotAllowed() : E.notFound(path, 'Resource'));
      }
      const { route, params } = match;
      let bucketLimit = 0;
      if (!isControl) {
        bucketLimit = limiter.config[route.bucket];
        const decision = limiter.take(route.bucket);
        Object.assign(headers, decision.headers);
        if (!decision.allowed) return fail(E.rateLimited());
      }
      let afterFault: Fault | undefined;
      if (!isControl) {
        const fault = faults.take(method, path);
        if (fault?.when === 'after') afterFault = fault;
        else if (fault && (await faultResponse(fault, bucketLimit))) return;
      }

      let principal: Principal | undefined;
      if (route.scope !== undefined) {
        const auth = authenticate(req.headers.authorization);
        if (auth instanceof OktaError) return fail(auth);
        principal = auth;
        principalLabel = auth.kind === 'ssws' ? 'ssws' : `oauth:${auth.clientId}`;
        if (auth.kind === 'oauth' && route.scope !== 'control' && !scopeSatisfied(auth.scopes, route.scope)) {
          return fail(
            E.noPermission([], {
              'WWW-Authenticate': `Bearer authorization_uri="${orgUrl}/oauth2/v1/authorize", realm="IdpError", scope="${route.scope}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="${path}"`,
            }),
          );
        }
      }

      let body: unknown;
      const form = /^application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? ''));
      if (!form && rawBody.trim() !== '') {
        try {
          body = JSON.parse(rawBody);
        } catch {
          return fail(E.malformedBody());
        }
        // Handlers clone and compare bodies with recursive code: a depth bomb is refused as malformed before they run.
        if (pathBeyondDepth(body, MAX_BODY_DEPTH)) return fail(E.malformedBody());
      }
      const apiRequest: ApiRequest = {
        method,
        path,
        params,
        query: url.searchParams,
        body,
        rawBody,
        headers: req.headers,
        base: orgUrl,
        ctx: contextFor(req, url, requestId, principal),
        ...(principal ? { principal } : {}),
      };
      const response = await route.handler(apiRequest);
      if (afterFault && (await faultResponse(afterFault, bucketLimit))) return;
      if (response.contentType !== 'html') validate(method, path, response.status, response.body, response.schema);
      finish(response.status, response.body, response.headers, response.contentType ?? 'json');
    } catch (error) {
      if (error instanceof OktaError) return fail(error);
      console.error('okta-sim: unexpected error', error);
      fail(E.internal());
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const listening = await listen(server, options.host, options.port ?? 0);
  const { port } = listening;
  orgUrl = listening.url;

  return {
    orgUrl,
    port,
    token,
    seed,
    state,
    logs: {
      all: () => log.all(),
      find: (criteria) => {
        const since = criteria.since === undefined ? undefined : new Date(criteria.since).getTime();
        return log
          .all()
          .filter(
            (e) =>
              (!criteria.eventType || e.eventType === criteria.eventType) &&
              (!criteria.actorId || e.actor.id === criteria.actorId) &&
              (!criteria.targetId || e.target.some((t) => t.id === criteria.targetId)) &&
              (since === undefined || Date.parse(e.published) >= since),
          );
      },
      append: (input) => structuredClone(appendEvent(input)),
    },
    faults,
    rateLimits: limiter,
    hooks: {
      deliveries: (filter) => hooks.deliveries(filter),
      flush: () => hooks.flush(),
      duplicateNext: (count) => hooks.duplicateNext(count),
    },
    oauth: {
      registerServiceApp: (input) => oauth.register({ ...input, jwks: [...input.jwks] }),
      revokeTokens: () => oauth.revokeAll(),
    },
    authorizationServers: {
      issuer: (id = 'default') => `${orgUrl}/oauth2/${id}`,
      mintToken: async (input) => {
        const server = authServers.get(input.authServerId ?? 'default');
        if (!server) throw new Error(`no authorization server ${input.authServerId}`);
        return server.mintForUser({
          user: org.user(input.login),
          clientId: input.clientId ?? 'hookpilot-cli',
          scopes: input.scopes ?? ['hookpilot.approvals'],
          withIdToken: false,
          ...(input.audience ? { audience: input.audience } : {}),
          ...(input.lifetimeSeconds ? { lifetimeSeconds: input.lifetimeSeconds } : {}),
        });
      },
      rotateKeys: (id = 'default') => {
        const server = authServers.get(id);
        if (!server) throw new Error(`no authorization server ${id}`);
        return server.rotateKeys();
      },
      add: (input) => {
        authServers.add(input);
      },
      addClient: (input) => authServers.addClient(input),
    },
    signIn: (idOrLogin, signIn = {}) =>
      org.signIn(endUserContext(signIn as Record<string, unknown>), org.user(idOrLogin)),
    failSignIn: (idOrLogin, input = {}) =>
      org.failSignIns(endUserContext(input as Record<string, unknown>), org.user(idOrLogin), input.count, input.reason),
    completePasswordFlow: (idOrLogin) => org.completePasswordFlow(endUserContext(), org.user(idOrLogin)),
    requests: () => requests.map((r) => ({ ...r })),
    schemaViolations: () => violations.map((v) => ({ ...v, issues: [...v.issues] })),
    stop: async () => {
      hooks.stop();
      await listening.stop();
    },
  };
}

function buildState(org: Org, hooks: EventHooks, base: () => string): SimState {
  const findGroup = (idOrName: string) =>
    org.groups.get(idOrName) ??
    [...org.groups.values()].find((g) => String(g.profile.name).toLowerCase() === idOrName.toLowerCase());
  const findApp = (idOrName: string) =>
    org.apps.get(idOrName) ?? [...org.apps.values()].find((a) => a.name === idOrName || a.label === idOrName);
  const state: SimState = {
    user: (idOrLogin) => {
      const user = org.findUser(idOrLogin);
      return user ? renderUser(base(), user) : undefined;
    },
    users: () => [...org.users.values()].map((u) => renderUser(base(), u)),
    group: (idOrName) => {
      const group = findGroup(idOrName);
      return group ? renderGroup(org, base(), group) : undefined;
    },
    groups: () => [...org.groups.values()].map((g) => renderGroup(org, base(), g)),
    groupMembers: (idOrName) => {
      const group = findGroup(idOrName);
      if (!group) throw new Error(`no group ${idOrName}`);
      return org.groupMemberIds(group);
    },
    userGroups: (idOrLogin) => org.userGroups(org.user(idOrLogin).id).map((g) => g.id),
    apps: () => [...org.apps.values()].map((a) => renderApp(base(), a)),
    appAssignments: (idOrName) => {
      const app = findApp(idOrName);
      if (!app) throw new Error(`no app ${idOrName}`);
      return org.appUsers(app).map(({ user, scope }) => ({ userId: user.id, scope }));
    },
    userApps: (idOrLogin) =>
      [...org.appAccess(org.user(idOrLogin).id)].map(([appId, scope]) => ({
        appId,
        name: org.apps.get(appId)?.name ?? appId,
        scope,
      })),
    roles: (idOrLogin) => org.userRoles(org.user(idOrLogin).id).map((r) => renderRole(base(), r)),
    sessions: (idOrLogin) => org.user(idOrLogin).sessions,
    factors: (idOrLogin) => [...org.user(idOrLogin).factors],
    eventHooks: () => hooks.list().map((h) => renderHook(base(), h)),
    snapshot: () => ({
      org: org.orgName,
      users: [...org.users.values()].map((u) => ({
        ...renderUser(base(), u),
        groups: org.userGroups(u.id).map((g) => g.id),
        apps: Object.fromEntries([...org.appAccess(u.id)].map(([id, scope]) => [org.apps.get(id)?.name ?? id, scope])),
        roles: org.userRoles(u.id).map((r) => r.type),
        sessions: u.sessions,
        factors: [...u.factors],
        displayName: displayName(u),
      })),
      groups: [...org.groups.values()].map((g) => ({ ...renderGroup(org, base(), g), members: org.groupMemberIds(g) })),
      apps: [...org.apps.values()].map((a) => ({
        ...renderApp(base(), a),
        assignments: org.appUsers(a).map(({ user, scope }) => ({ userId: user.id, scope })),
        groupAssignments: [...a.groups.keys()],
      })),
      eventHooks: hooks.list().map((h) => renderHook(base(), h)),
    }),
  };
  return state;
}
