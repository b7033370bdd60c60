import { type Clock, iso } from './clock.ts';
import { E } from './errors.ts';
import { eventTypeInfo, type Severity } from './event-types.ts';
import { conditions, type ExpressionError, evaluate, parseExpression, resolvePath } from './expression.ts';
import { newUuid } from './ids.ts';
import { compareKeys, decodeCursor, encodeCursor, parseLimit } from './pagination.ts';

/** A System Log `LogEvent` in Okta's shape (OAS `LogEvent`, plus `device`/`insertionTimestamp` as in Okta's hook sample). */
export interface LogEvent {
  uuid: string;
  published: string;
  eventType: string;
  version: string;
  displayMessage: string;
  severity: Severity;
  client: LogClient;
  device: null;
  actor: LogActor;
  outcome: { result: OutcomeResult; reason: string | null };
  target: LogTarget[];
  transaction: { type: 'WEB' | 'JOB'; id: string; detail: Record<string, unknown> };
  debugContext: { debugData: Record<string, unknown> };
  legacyEventType: string | null;
  authenticationContext: {
    authenticationProvider: string | null;
    credentialProvider: string | null;
    credentialType: string | null;
    issuer: { id: string; type: string } | null;
    authenticationStep: number;
    externalSessionId: string;
    interface: string | null;
  };
  securityContext: {
    asNumber: number | null;
    asOrg: string | null;
    isp: string | null;
    domain: string | null;
    isProxy: boolean | null;
  };
  request: { ipChain: IpChainEntry[] };
  insertionTimestamp: null;
}

export type OutcomeResult =
  | 'SUCCESS'
  | 'FAILURE'
  | 'SKIPPED'
  | 'ALLOW'
  | 'DENY'
  | 'CHALLENGE'
  | 'UNKNOWN'
  | 'RATE_LIMIT'
  | 'DEFERRED'
  | 'SCHEDULED'
  | 'ABANDONED'
  | 'UNANSWERED';

export interface LogActor {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: Record<string, unknown> | null;
}

export interface LogTarget extends LogActor {
  changeDetails?: { from: Record<string, unknown>; to: Record<string, unknown> };
}

export interface GeographicalContext {
  city: string | null;
  state: string | null;
  country: string | null;
  postalCode: string | null;
  geolocation: { lat: number; lon: number } | null;
}

export interface IpChainEntry {
  ip: string;
  geographicalContext: GeographicalContext;
  version: 'V4' | 'V6';
  source: null;
}

export interface LogClient {
  userAgent: { rawUserAgent: string; os: string; browser: string };
  zone: string;
  device: string;
  id: string | null;
  ipAddress: string;
  geographicalContext: GeographicalContext;
  ipChain: IpChainEntry[];
}

/** Where a change came from: the actor and the request (or simulated sign-in) behind it. */
export interface LogContext {
  actor: LogActor;
  requestId: string;
  /** Path of the API request (`debugData.requestUri`) and path with query (`debugData.url`). */
  requestUri?: string;
  url?: string;
  ipAddress: string;
  userAgent: string;
  geo?: Partial<GeographicalContext>;
  transactionDetail: Record<string, unknown>;
  externalSessionId: string;
}

export interface LogEventInput {
  eventType: string;
  displayMessage?: string;
  severity?: Severity;
  outcome?: { result: OutcomeResult; reason?: string | null };
  target?: LogTarget[];
  debugData?: Record<string, unknown>;
  legacyEventType?: string | null;
  /** Overrides the context's actor (e.g. the user themselves for a sign-in). */
  actor?: LogActor;
  authenticationContext?: Partial<LogEvent['authenticationContext']>;
}

const NO_GEO: GeographicalContext = { city: null, state: null, country: null, postalCode: null, geolocation: null };

function describeUserAgent(raw: string): { os: string; browser: string; device: string } {
  const os = /Windows/.test(raw)
    ? 'Windows 10'
    : /Mac OS X/.test(raw)
      ? 'Mac OS X'
      : /Android/.test(raw)
        ? 'Android'
        : /iPhone|iPad/.test(raw)
          ? 'iOS'
          : /Linux/i.test(raw)
            ? 'Linux'
            : 'Unknown';
  const browser = /Edg\//.test(raw)
    ? 'EDGE'
    : /Chrome\//.test(raw)
      ? 'CHROME'
      : /Firefox\//.test(raw)
        ? 'FIREFOX'
        : /Safari\//.test(raw)
          ? 'SAFARI'
          : 'UNKNOWN';
  const device = /Mozilla/.test(raw) ? (/Mobile|iPhone|Android/.test(raw) ? 'Mobile' : 'Computer') : 'Unknown';
  return { os, browser, device };
}

interface Stored {
  seq: number;
  event: LogEvent;
}

export interface LogQueryResult {
  events: LogEvent[];
  nextCursor?: string;
  limit: number;
}

/** The org's System Log: every change the simulator makes is appended here, queried by `GET /api/v1/logs`. */
export class SystemLog {
  private readonly stored: Stored[] = [];
  private seq = 0;
  private readonly listeners = new Set<(event: LogEvent) => void>();

  constructor(
    private readonly clock: Clock,
    /** Oldest events are dropped beyond this many (a long-running demo org should not grow without bound). */
    private readonly maxEvents = 100_000,
  ) {}

  /** Called with each appended event (the event hook dispatcher subscribes here). */
  onAppend(listener: (event: LogEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(ctx: LogContext, input: LogEventInput): LogEvent {
    const meta = eventTypeInfo(input.eventType);
    const geo: GeographicalContext = { ...NO_GEO, ...ctx.geo };
    const ua = describeUserAgent(ctx.userAgent);
    const ipVersion = ctx.ipAddress.includes(':') ? 'V6' : 'V4';
    const ipChain: IpChainEntry[] = [{ ip: ctx.ipAddress, geographicalContext: geo, version: ipVersion, source: null }];
    const debugData: Record<string, unknown> = { requestId: ctx.requestId };
    if (ctx.requestUri !== undefined) debugData.requestUri = ctx.requestUri;
    if (ctx.url !== undefined) debugData.url = ctx.url;
    Object.assign(debugData, input.debugData);
    const event: LogEvent = {
      uuid: newUuid(),
      published: iso(this.clock()),
      eventType: input.eventType,
      version: '0',
      displayMessage: input.displayMessage ?? meta.displayMessage,
      severity: input.severity ?? meta.severity,
      client: {
        userAgent: { rawUserAgent: ctx.userAgent, os: ua.os, browser: ua.browser },
        zone: 'null',
        device: ua.device,
        id: null,
        ipAddress: ctx.ipAddress,
        geographicalContext: geo,
        ipChain,
      },
      device: null,
      actor: input.actor ?? ctx.actor,
      outcome: { result: input.outcome?.result ?? 'SUCCESS', reason: input.outcome?.reason ?? null },
      target: input.target ?? [],
      transaction: { type: 'WEB', id: ctx.requestId, detail: { ...ctx.transactionDetail } },
      debugContext: { debugData },
      legacyEventType: input.legacyEventType !== undefined ? input.legacyEventType : meta.legacyEventType,
      authenticationContext: {
        authenticationProvider: null,
        credentialProvider: null,
        credentialType: null,
        issuer: null,
        authenticationStep: 0,
        externalSessionId: ctx.externalSessionId,
        interface: null,
        ...input.authenticationContext,
      },
      securityContext: { asNumber: null, asOrg: null, isp: null, domain: null, isProxy: null },
      request: { ipChain: structuredClone(ipChain) },
      insertionTimestamp: null,
    };
    this.seq += 1;
    this.stored.push({ seq: this.seq, event });
    if (this.stored.length > this.maxEvents) this.stored.splice(0, this.stored.length - this.maxEvents);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Every event, oldest first (copies). */
  all(): LogEvent[] {
    return this.stored.map((s) => structuredClone(s.event));
  }

  /**
   * `GET /api/v1/logs` (docs/okta-protocol.md §3.5): `since` (default 7 days before `until`), `until` (default now),
   * `after` (instead of `since`), `filter`, `q`, `limit` (default 100, max 1000), `sortOrder`. A polling query
   * (ASCENDING with no `until`) always returns a `next` cursor, even on an empty page, as Okta does.
   */
  query(params: URLSearchParams): LogQueryResult {
    const sortOrder = (params.get('sortOrder') ?? 'ASCENDING').toUpperCase();
    if (sortOrder !== 'ASCENDING' && sortOrder !== 'DESCENDING') {
      throw E.validation('sortOrder', ['sortOrder: must be ASCENDING or DESCENDING']);
    }
    const descending = sortOrder === 'DESCENDING';
    const after = params.get('after');
    if (after && params.get('since')) {
      throw E.validation('after', ['after: cannot be combined with since']);
    }
    const untilParam = params.get('until');
    const until = untilParam ? parseTime('until', untilParam) : this.clock();
    const since = params.get('since') ? parseTime('since', params.get('since') ?? '') : until - 7 * 24 * 3600 * 1000;
    if (since > until) throw E.validation('since', ['since: must be earlier than until']);
    const limit = parseLimit(params, { default: 100, max: 1000 });
    const polling = !descending && !untilParam;

    let match: (event: LogEvent) => boolean = () => true;
    const filter = params.get('filter');
    if (filter) {
      let expr: ReturnType<typeof parseExpression>;
      try {
        expr = parseExpression(filter);
      } catch (error) {
        throw E.invalidSearch(`filter: ${(error as ExpressionError).message}`);
      }
      for (const c of conditions(expr)) {
        if (c.path === 'published') throw E.invalidSearch('filter: published cannot be used; use since and until');
      }
      match = (event) => evaluate(expr, (path) => resolvePath(event, path));
    }
    const q = params.get('q');
    if (q) {
      const keywords = q.toLowerCase().split(/\s+/).filter(Boolean);
      if (keywords.length > 10 || keywords.some((k) => k.length > 40)) {
        throw E.validation('q', ['q: at most 10 keywords of at most 40 characters each']);
      }
      const previous = match;
      match = (event) => {
        if (!previous(event)) return false;
        const text = searchableText(event);
        return keywords.every((k) => text.includes(k));
      };
    }

    const afterKey = after ? decodeCursor(after) : undefined;
    const candidates = this.stored.filter((s) => {
      if (afterKey) {
        const c = compareKeys([s.seq], afterKey);
        if (descending ? c >= 0 : c <= 0) return false;
      } else if (Date.parse(s.event.published) < since) {
        return false;
      }
      return Date.parse(s.event.published) <= until && match(s.event);
    });
    if (descending) candidates.reverse();
    const page = candidates.slice(0, limit);
    const last = page.at(-1);
    let nextCursor: string | undefined;
    if (candidates.length > limit && last) nextCursor = encodeCursor([last.seq]);
    else if (polling) nextCursor = last ? encodeCursor([last.seq]) : (after ?? encodeCursor([this.seq]));
    return {
      events: page.map((s) => structuredClone(s.event)),
      limit,
      ...(nextCursor ? { nextCursor } : {}),
    };
  }
}

function parseTime(name: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw E.validation(name, [`${name}: "${value}" is not an ISO 8601 timestamp`]);
  return ms;
}

function searchableText(event: LogEvent): string {
  const parts: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') parts.push(value.toLowerCase());
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk([event.eventType, event.displayMessage, event.actor, event.target, event.client.ipAddress, event.outcome]);
  return parts.join('\n');
}
