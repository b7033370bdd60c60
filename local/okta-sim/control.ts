import type { JsonWebKey } from 'node:crypto';
import { E } from './errors.ts';
import type { EventHooks } from './event-hooks.ts';
import type { FaultSpec, Faults } from './faults.ts';
import type { OAuthServer } from './oauth.ts';
import { isObject, type Org } from './org.ts';
import { BUCKETS, type Bucket, type RateLimiter } from './rate-limits.ts';
import type { ApiResponse, Router } from './router.ts';
import type { LogContext, LogEventInput, OutcomeResult, SystemLog } from './system-log.ts';

/**
 * The control API under `/__sim/…` (authenticated with the same SSWS token): what Okta has no API for but demos and tests
 * need — end-user sign-ins, failed sign-ins and lock-outs, arbitrary System Log events, faults, rate limits, hook
 * delivery records, service app registration. Documented in docs/okta-simulator.md.
 */

export interface ControlDeps {
  org: Org;
  log: SystemLog;
  hooks: EventHooks;
  faults: Faults;
  limiter: RateLimiter;
  oauth: OAuthServer;
  snapshot: () => unknown;
  requests: () => unknown[];
  signInContext: (input: Record<string, unknown>) => LogContext;
  /** Appends an event described by the control API (`POST /__sim/events`). */
  appendEvent: (input: ControlEventInput) => unknown;
}

export interface ControlEventInput {
  eventType: string;
  actorId?: string;
  targetIds?: string[];
  outcome?: { result: OutcomeResult; reason?: string | null };
  severity?: LogEventInput['severity'];
  displayMessage?: string;
  debugData?: Record<string, unknown>;
  ipAddress?: string;
  userAgent?: string;
  geo?: LogContext['geo'];
}

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

function bodyOf(body: unknown): Record<string, unknown> {
  return isObject(body) ? body : {};
}

function bucketOf(value: unknown): Bucket {
  if (typeof value !== 'string' || !(BUCKETS as readonly string[]).includes(value)) {
    throw E.validation('bucket', [`bucket: must be one of ${BUCKETS.join(', ')}`]);
  }
  return value as Bucket;
}

export function registerControl(router: Router, deps: ControlDeps): void {
  const { org, hooks, faults, limiter, oauth } = deps;
  const add = (method: string, pattern: string, handler: Parameters<Router['add']>[0]['handler']) =>
    router.add({ method, pattern, bucket: 'users', scope: 'control', handler });

  add('GET', '/__sim/state', () => ok(deps.snapshot()));
  add('GET', '/__sim/requests', () => ok(deps.requests()));

  add('POST', '/__sim/users/:id/sign-in-failures', (req) => {
    const user = org.user(req.params.id ?? '');
    const body = bodyOf(req.body);
    const count = typeof body.count === 'number' && body.count > 0 ? Math.min(Math.floor(body.count), 100) : 1;
    const reason = typeof body.reason === 'string' ? body.reason : undefined;
    const { locked } = org.failSignIns(deps.signInContext(body), user, count, reason);
    return ok({
      userId: user.id,
      failures: count,
      consecutiveFailures: user.failedSignIns,
      locked,
      status: user.status,
    });
  });

  add('POST', '/__sim/users/:id/sign-ins', (req) => {
    const user = org.user(req.params.id ?? '');
    const result = org.signIn(deps.signInContext(bodyOf(req.body)), user);
    return ok({ userId: user.id, ...result, status: user.status });
  });

  add('POST', '/__sim/users/:id/password', (req) => {
    const user = org.user(req.params.id ?? '');
    org.completePasswordFlow(deps.signInContext(bodyOf(req.body)), user);
    return ok({ userId: user.id, status: user.status });
  });

  add('POST', '/__sim/events', (req) => {
    const body = bodyOf(req.body);
    if (typeof body.eventType !== 'string' || !/^[a-z0-9_]+(\.[a-zA-Z0-9_]+)+$/.test(body.eventType)) {
      throw E.validation('eventType', ['eventType: must be an Okta event type such as user.risk.detect']);
    }
    return ok(deps.appendEvent(body as unknown as ControlEventInput), 201);
  });

  add('GET', '/__sim/hooks/deliveries', (req) => {
    const hookId = req.query.get('hookId');
    return ok(hooks.deliveries(hookId ? { hookId } : {}));
  });
  add('POST', '/__sim/hooks/flush', async () => {
    await hooks.flush();
    return ok({ flushed: true });
  });
  add('POST', '/__sim/hooks/duplicate-next', (req) => {
    const body = bodyOf(req.body);
    const count = typeof body.count === 'number' && body.count > 0 ? Math.floor(body.count) : 1;
    hooks.duplicateNext(count);
    return ok({ duplicateNext: count });
  });

  add('GET', '/__sim/faults', () => ok(faults.list()));
  add('POST', '/__sim/faults', (req) => {
    const body = bodyOf(req.body);
    let path: string | RegExp = typeof body.path === 'string' ? body.path : '';
    if (typeof body.pathRegex === 'string') {
      try {
        path = new RegExp(body.pathRegex);
      } catch (error) {
        throw E.validation('pathRegex', [`pathRegex: ${(error as Error).message}`]);
      }
    }
    if (!path) throw E.validation('path', ['path (a pattern) or pathRegex is required']);
    const spec: FaultSpec = { path };
    if (typeof body.method === 'string') spec.method = body.method;
    if (typeof body.status === 'number') spec.status = body.status;
    if (typeof body.delayMs === 'number') spec.delayMs = body.delayMs;
    if (typeof body.times === 'number' || body.times === null) spec.times = body.times ?? Number.POSITIVE_INFINITY;
    if (body.when === 'before' || body.when === 'after') spec.when = body.when;
    if (body.body === 'okta' || body.body === 'html') spec.body = body.body;
    if (typeof body.resetInSeconds === 'number') spec.resetInSeconds = body.resetInSeconds;
    try {
      const fault = faults.add(spec);
      return ok({ ...fault, path: String(fault.path) }, 201);
    } catch (error) {
      throw E.validation('fault', [(error as Error).message]);
    }
  });
  add('DELETE', '/__sim/faults', () => {
    faults.clear();
    return { status: 204 };
  });

  add('GET', '/__sim/rate-limits', () => ok(limiter.status()));
  add('POST', '/__sim/rate-limits', (req) => {
    const body = bodyOf(req.body);
    const bucket = bucketOf(body.bucket);
    if (typeof body.limit === 'number') limiter.set(bucket, Math.max(0, Math.floor(body.limit)));
    if (typeof body.force === 'number') {
      limiter.force(bucket, body.force, typeof body.resetInSeconds === 'number' ? body.resetInSeconds : 1);
    }
    return ok(limiter.status()[bucket]);
  });
  add('DELETE', '/__sim/rate-limits', () => {
    limiter.reset();
    return { status: 204 };
  });

  add('POST', '/__sim/service-apps', (req) => {
    const body = bodyOf(req.body);
    const jwks =
      isObject(body.jwks) && Array.isArray(body.jwks.keys) ? body.jwks.keys : body.publicJwk ? [body.publicJwk] : [];
    if (typeof body.name !== 'string' || !Array.isArray(body.scopes) || jwks.length === 0) {
      throw E.validation('serviceApp', ['name, scopes and jwks (or publicJwk) are required']);
    }
    try {
      const clientId = oauth.register({
        ...(typeof body.clientId === 'string' ? { clientId: body.clientId } : {}),
        name: body.name,
        scopes: body.scopes.map(String),
        jwks: jwks as JsonWebKey[],
      });
      return ok({ clientId, tokenUrl: `${req.base}/oauth2/v1/token` }, 201);
    } catch (error) {
      throw E.validation('jwks', [(error as Error).message]);
    }
  });
}
