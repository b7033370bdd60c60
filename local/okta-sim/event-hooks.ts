import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Clock, iso } from './clock.ts';
import { E } from './errors.ts';
import { isHookEligible } from './event-types.ts';
import { base62, newId, newUuid } from './ids.ts';
import { isObject } from './org.ts';
import type { LogContext, LogEvent, LogTarget, SystemLog } from './system-log.ts';

/**
 * Event hooks as Okta runs them (docs/okta-protocol.md §1): the admin API (`/api/v1/eventHooks`), the one-time
 * verification GET with `x-okta-verification-challenge`, and deliveries of System Log events to ACTIVE + VERIFIED
 * hooks, batched, with at most one retry (on a timeout, a network error or a 5xx; never on a 4xx), and occasionally
 * twice (at-least-once).
 */

export interface EventHookOptions {
  /** Timeout of each outbound call (verification and delivery). Okta: 3 s. */
  timeoutMs: number;
  /** Events published within this window go out in one POST. */
  batchWindowMs: number;
  /** At most this many events per POST (Okta does not document its maximum). */
  maxBatchSize: number;
  /** Pause before the one retry of a failed delivery. */
  retryDelayMs: number;
  /** Probability (0–1) that a delivered batch is delivered a second time. */
  duplicateRate: number;
  /** A duplicate delivery reuses the envelope `eventId` (`same`) or gets a new one (`new`, the default). */
  duplicateEventId: 'same' | 'new';
  /** Accept `http://` hook URIs (Okta requires HTTPS; local receivers rarely have certificates). */
  allowHttp: boolean;
  /** Source of randomness for duplicates (tests may pin it). */
  random: () => number;
}

export const DEFAULT_EVENT_HOOK_OPTIONS: EventHookOptions = {
  timeoutMs: 3000,
  batchWindowMs: 200,
  maxBatchSize: 50,
  retryDelayMs: 250,
  duplicateRate: 0,
  duplicateEventId: 'new',
  allowHttp: true,
  random: Math.random,
};

export interface HookRecord {
  id: string;
  name: string;
  description: string | null;
  status: 'ACTIVE' | 'INACTIVE';
  verificationStatus: 'VERIFIED' | 'UNVERIFIED';
  created: string;
  createdBy: string;
  lastUpdated: string;
  events: { type: 'EVENT_TYPE'; items: string[]; filter: unknown };
  channel: {
    type: 'HTTP';
    version: string;
    config: {
      uri: string;
      headers: Array<{ key: string; value: string }>;
      authScheme: { type: 'HEADER'; key: string; value: string } | null;
    };
  };
}

export type DeliveryOutcome = 'SUCCESS' | 'HTTP_ERROR' | 'TIMEOUT' | 'NETWORK_ERROR';

/** One outbound POST (an attempt): what was sent and what happened. */
export interface DeliveryAttempt {
  hookId: string;
  eventId: string;
  /** 1 for the first try, 2 for the retry. */
  attempt: number;
  /** True for the second copy of an at-least-once duplicate. */
  duplicate: boolean;
  at: string;
  durationMs: number;
  outcome: DeliveryOutcome;
  status?: number;
  error?: string;
  eventUuids: string[];
  eventTypes: string[];
  /** Names of the headers sent (values are not kept: one is the hook secret). */
  headerNames: string[];
  envelope: EventHookEnvelope;
}

export interface EventHookEnvelope {
  eventType: 'com.okta.event_hook';
  eventTypeVersion: '1.0';
  cloudEventsVersion: '0.1';
  source: string;
  eventId: string;
  data: { events: LogEvent[] };
  eventTime: string;
  contentType: 'application/json';
}

interface HttpResult {
  status: number;
  text: string;
}

class OutboundError extends Error {
  constructor(
    readonly kind: 'TIMEOUT' | 'NETWORK_ERROR',
    message: string,
  ) {
    super(message);
  }
}

const MAX_KEPT_ATTEMPTS = 2000;

const SYSTEM_ACTOR: LogTarget = {
  id: 'okta_system',
  type: 'SystemPrincipal',
  alternateId: 'system@okta.com',
  displayName: 'Okta System',
  detailEntry: null,
};

export class EventHooks {
  private readonly hooks = new Map<string, HookRecord>();
  private readonly pending = new Map<string, { events: LogEvent[]; timer: NodeJS.Timeout }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly outbound = new Set<{ destroy(): void }>();
  private readonly attempts: DeliveryAttempt[] = [];
  private forcedDuplicates = 0;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: SystemLog,
    readonly options: EventHookOptions,
    private readonly orgUrl: () => string,
  ) {
    log.onAppend((event) => this.onEvent(event));
  }

  // ---- admin API -------------------------------------------------------------------------------------------------

  list(): HookRecord[] {
    return [...this.hooks.values()];
  }

  get(id: string): HookRecord {
    const hook = this.hooks.get(id);
    if (!hook) throw E.notFound(id, 'EventHook');
    return hook;
  }

  create(ctx: LogContext, body: unknown): HookRecord {
    const parsed = this.validate(body);
    const now = iso(this.clock());
    const hook: HookRecord = {
      id: newId('eventHook'),
      ...parsed,
      status: 'ACTIVE',
      verificationStatus: 'UNVERIFIED',
      created: now,
      createdBy: ctx.actor.id,
      lastUpdated: now,
    };
    this.hooks.set(hook.id, hook);
    this.log.append(ctx, { eventType: 'event_hook.created', target: [hookTarget(hook)] });
    return hook;
  }

  replace(ctx: LogContext, id: string, body: unknown): HookRecord {
    const hook = this.get(id);
    const parsed = this.validate(body, hook);
    const channelChanged = JSON.stringify(parsed.channel) !== JSON.stringify(hook.channel);
    Object.assign(hook, parsed, { lastUpdated: iso(this.clock()) });
    // Okta: "Updating the channel property requires you to verify the hook again."
    if (channelChanged) hook.verificationStatus = 'UNVERIFIED';
    this.log.append(ctx, { eventType: 'event_hook.updated', target: [hookTarget(hook)] });
    return hook;
  }

  delete(ctx: LogContext, id: string): void {
    const hook = this.get(id);
    if (hook.status !== 'INACTIVE') {
      throw E.validation('eventHook', ['Only an INACTIVE event hook can be deleted: deactivate it first']);
    }
    this.hooks.delete(id);
    this.log.append(ctx, { eventType: 'event_hook.deleted', target: [hookTarget(hook)] });
  }

  setStatus(ctx: LogContext, id: string, status: 'ACTIVE' | 'INACTIVE'): HookRecord {
    const hook = this.get(id);
    if (hook.status !== status) {
      hook.status = status;
      hook.lastUpdated = iso(this.clock());
      this.log.append(ctx, {
        eventType: status === 'ACTIVE' ? 'event_hook.activated' : 'event_hook.deactivated',
        target: [hookTarget(hook)],
      });
    }
    return hook;
  }

  /**
   * `POST /api/v1/eventHooks/{id}/lifecycle/verify`: a GET to the hook URI with `x-okta-verification-challenge`; the
   * body must be JSON `{"verification": "<the challenge>"}`. 3 s timeout, one retry; still failing → 400.
   */
  async verify(ctx: LogContext, id: string): Promise<HookRecord> {
    const hook = this.get(id);
    const challenge = base62(32);
    const headers = {
      ...this.hookHeaders(hook),
      Accept: 'application/json',
      'x-okta-verification-challenge': challenge,
    };
    let failure = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        const result = await this.send(hook.channel.config.uri, 'GET', headers, undefined);
        if (result.status >= 200 && result.status < 300 && echoes(result.text, challenge)) {
          hook.verificationStatus = 'VERIFIED';
          hook.lastUpdated = iso(this.clock());
          this.log.append(ctx, { eventType: 'event_hook.verified', target: [hookTarget(hook)] });
          return hook;
        }
        failure =
          result.status >= 200 && result.status < 300
            ? 'the response body did not echo the challenge as {"verification": "<challenge>"}'
            : `the endpoint answered HTTP ${result.status}`;
      } catch (error) {
        failure =
          error instanceof OutboundError && error.kind === 'TIMEOUT'
            ? `no response within ${this.options.timeoutMs} ms`
            : `could not reach the endpoint (${(error as Error).message})`;
      }
    }
    throw E.validation('eventHook', [`Verification of event hook ${hook.name} failed: ${failure}`]);
  }

  private validate(
    body: unknown,
    existing?: HookRecord,
  ): Pick<HookRecord, 'name' | 'description' | 'events' | 'channel'> {
    const causes: string[] = [];
    if (!isObject(body)) throw E.validation('eventHook', ['The request body must be an event hook object']);
    const name = body.name;
    if (typeof name !== 'string' || name.trim() === '') causes.push('name: The field cannot be left blank');
    else if (name.length > 255) causes.push('name: must be at most 255 characters');
    const events = isObject(body.events) ? body.events : undefined;
    const items = Array.isArray(events?.items) ? events.items : undefined;
    if (!events) causes.push('events: The field cannot be left blank');
    else if (events.type !== 'EVENT_TYPE') causes.push('events.type: must be EVENT_TYPE');
    if (events && !items) causes.push('events.items: must be an array of event types');
    if (items) {
      if (items.length === 0) causes.push('events.items: subscribe to at least one event type');
      if (items.length > 300) causes.push('events.items: at most 300 event types per hook');
      for (const item of items) {
        if (typeof item !== 'string' || !isHookEligible(item)) {
          causes.push(`events.items: ${JSON.stringify(item)} is not an event type an event hook can subscribe to`);
        }
      }
    }
    const channel = isObject(body.channel) ? body.channel : undefined;
    const config = isObject(channel?.config) ? channel.config : undefined;
    if (!channel) causes.push('channel: The field cannot be left blank');
    else {
      if (channel.type !== 'HTTP') causes.push('channel.type: must be HTTP');
      if (channel.version !== '1.0.0') causes.push('channel.version: must be 1.0.0');
      if (!config) causes.push('channel.config: The field cannot be left blank');
    }
    const uri = config?.uri;
    if (config) {
      if (typeof uri !== 'string' || uri === '') causes.push('channel.config.uri: The field cannot be left blank');
      else if (uri.length > 1024 || /\s/.test(uri)) causes.push('channel.config.uri: not a valid URI');
      else if (!/^https:\/\//i.test(uri) && !(this.options.allowHttp && /^http:\/\//i.test(uri))) {
        causes.push('channel.config.uri: must be an HTTPS URI');
      }
    }
    const headers: Array<{ key: string; value: string }> = [];
    if (config?.headers !== undefined && config.headers !== null) {
      if (!Array.isArray(config.headers)) causes.push('channel.config.headers: must be an array of {key, value}');
      else {
        for (const h of config.headers) {
          if (isObject(h) && typeof h.key === 'string' && h.key !== '' && typeof h.value === 'string') {
            headers.push({ key: h.key, value: h.value });
          } else {
            causes.push('channel.config.headers: each header needs a key and a value');
          }
        }
      }
    }
    let authScheme: HookRecord['channel']['config']['authScheme'] = null;
    if (config?.authScheme !== undefined && config.authScheme !== null) {
      const a = config.authScheme;
      const previous = existing?.channel.config.authScheme;
      if (!isObject(a) || a.type !== 'HEADER' || typeof a.key !== 'string' || a.key === '') {
        causes.push('channel.config.authScheme: must be {type: "HEADER", key, value}');
      } else if (typeof a.value === 'string') {
        authScheme = { type: 'HEADER', key: a.key, value: a.value };
      } else if (previous && previous.key.toLowerCase() === a.key.toLowerCase()) {
        authScheme = { ...previous }; // value is write-only: a replace may leave it out to keep it
      } else {
        causes.push('channel.config.authScheme.value: The field cannot be left blank');
      }
    }
    if (causes.length > 0) throw E.validation('eventHook', causes);
    return {
      name: String(name),
      description: typeof body.description === 'string' ? body.description : null,
      events: { type: 'EVENT_TYPE', items: [...new Set(items as string[])], filter: events?.filter ?? null },
      channel: { type: 'HTTP', version: '1.0.0', config: { uri: String(uri), headers, authScheme } },
    };
  }

  // ---- deliveries ------------------------------------------------------------------------------------------------

  /** Delivery attempts so far, oldest first. */
  deliveries(filter: { hookId?: string } = {}): DeliveryAttempt[] {
    return this.attempts.filter((a) => !filter.hookId || a.hookId === filter.hookId).map((a) => structuredClone(a));
  }

  /** The next `count` delivered batches are delivered a second time. */
  duplicateNext(count = 1): void {
    this.forcedDuplicates += count;
  }

  /** Sends every pending batch now and resolves when no delivery (or retry) is in flight. */
  async flush(): Promise<void> {
    for (const hookId of [...this.pending.keys()]) this.dispatch(hookId);
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      for (const hookId of [...this.pending.keys()]) this.dispatch(hookId);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const req of this.outbound) req.destroy();
  }

  private onEvent(event: LogEvent): void {
    const hooks = [...this.hooks.values()].filter(
      (h) => h.status === 'ACTIVE' && h.verificationStatus === 'VERIFIED' && h.events.items.includes(event.eventType),
    );
    if (hooks.length === 0 || this.stopped) return;
    // Okta lists the hooks an event was routed to in its debug data (not proof of delivery).
    event.debugContext.debugData.targetEventHookIds = hooks.map((h) => h.id).join(',');
    for (const hook of hooks) {
      let batch = this.pending.get(hook.id);
      if (!batch) {
        const timer = setTimeout(() => this.dispatch(hook.id), this.options.batchWindowMs);
        timer.unref();
        batch = { events: [], timer };
        this.pending.set(hook.id, batch);
      }
      batch.events.push(structuredClone(event));
      if (batch.events.length >= this.options.maxBatchSize) this.dispatch(hook.id);
    }
  }

  private dispatch(hookId: string): void {
    const batch = this.pending.get(hookId);
    if (!batch) return;
    clearTimeout(batch.timer);
    this.pending.delete(hookId);
    const hook = this.hooks.get(hookId);
    if (!hook || this.stopped) return;
    const task = this.deliver(hook, batch.events).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private envelope(hook: HookRecord, events: LogEvent[], eventId = newUuid()): EventHookEnvelope {
    return {
      eventType: 'com.okta.event_hook',
      eventTypeVersion: '1.0',
      cloudEventsVersion: '0.1',
      source: `${this.orgUrl()}/api/v1/eventHooks/${hook.id}`,
      eventId,
      data: { events },
      eventTime: iso(this.clock()),
      contentType: 'application/json',
    };
  }

  private async deliver(hook: HookRecord, events: LogEvent[]): Promise<void> {
    const envelope = this.envelope(hook, events);
    const delivered = await this.attempt(hook, envelope, false);
    if (!delivered || this.stopped) return;
    const duplicate = this.forcedDuplicates > 0 || this.options.random() < this.options.duplicateRate;
    if (!duplicate) return;
    if (this.forcedDuplicates > 0) this.forcedDuplicates -= 1;
    const copy =
      this.options.duplicateEventId === 'same'
        ? { ...envelope, eventTime: iso(this.clock()) }
        : this.envelope(hook, structuredClone(events));
    await this.attempt(hook, copy, true);
  }

  /** One delivery: a POST, and one retry after a timeout, a network error or a 5xx. Returns whether it got a 2xx. */
  private async attempt(hook: HookRecord, envelope: EventHookEnvelope, duplicate: boolean): Promise<boolean> {
    const headers = {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      ...this.hookHeaders(hook),
    };
    const body = JSON.stringify(envelope);
    let last: DeliveryAttempt | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (this.stopped) return false;
      const started = this.clock();
      const startedAt = Date.now();
      const record: DeliveryAttempt = {
        hookId: hook.id,
        eventId: envelope.eventId,
        attempt,
        duplicate,
        at: iso(started),
        durationMs: 0,
        outcome: 'SUCCESS',
        eventUuids: envelope.data.events.map((e) => e.uuid),
        eventTypes: envelope.data.events.map((e) => e.eventType),
        headerNames: Object.keys(headers),
        envelope: structuredClone(envelope),
      };
      let retry = false;
      try {
        const result = await this.send(hook.channel.config.uri, 'POST', headers, body);
        record.status = result.status;
        if (result.status < 200 || result.status >= 300) {
          record.outcome = 'HTTP_ERROR';
          retry = result.status >= 500; // 4xx (and 3xx, which Okta does not follow) are not retried
        }
      } catch (error) {
        record.outcome = error instanceof OutboundError ? error.kind : 'NETWORK_ERROR';
        record.error = (error as Error).message;
        retry = true;
      }
      record.durationMs = Date.now() - startedAt;
      this.keep(record);
      last = record;
      if (record.outcome === 'SUCCESS') return true;
      if (!retry || attempt === 2) break;
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs).unref());
    }
    if (last && !this.stopped) this.logFailure(hook, last);
    return false;
  }

  private logFailure(hook: HookRecord, attempt: DeliveryAttempt): void {
    this.log.append(
      {
        actor: SYSTEM_ACTOR,
        requestId: base62(27),
        ipAddress: '127.0.0.1',
        userAgent: 'Okta-Integrations',
        transactionDetail: {},
        externalSessionId: 'unknown',
      },
      {
        eventType: 'event_hook.delivery',
        outcome: {
          result: 'FAILURE',
          reason:
            attempt.outcome === 'TIMEOUT'
              ? 'Event hook delivery timed out'
              : attempt.status !== undefined
                ? `Event hook responded with HTTP ${attempt.status}`
                : 'Event hook delivery failed',
        },
        target: [hookTarget(hook)],
        debugData: { eventHookId: hook.id, eventId: attempt.eventId, attempts: String(attempt.attempt) },
      },
    );
  }

  private keep(record: DeliveryAttempt): void {
    this.attempts.push(record);
    if (this.attempts.length > MAX_KEPT_ATTEMPTS) this.attempts.splice(0, this.attempts.length - MAX_KEPT_ATTEMPTS);
  }

  private hookHeaders(hook: HookRecord): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const h of hook.channel.config.headers) headers[h.key] = h.value;
    const auth = hook.channel.config.authScheme;
    if (auth) headers[auth.key] = auth.value;
    return headers;
  }

  /** One outbound HTTP call with the hook timeout; no redirects are followed. */
  private send(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body: string | undefined) {
    return new Promise<HttpResult>((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        reject(new OutboundError('NETWORK_ERROR', `invalid URI ${url}`));
        return;
      }
      const requestFn = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const outgoing = {
        ...headers,
        ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
      };
      const req = requestFn(target, { method, headers: outgoing }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          this.outbound.delete(req);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          this.outbound.delete(req);
          reject(new OutboundError('NETWORK_ERROR', error.message));
        });
      });
      const timer = setTimeout(() => {
        req.destroy(new OutboundError('TIMEOUT', `no response within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.outbound.add(req);
      req.on('error', (error) => {
        clearTimeout(timer);
        this.outbound.delete(req);
        reject(error instanceof OutboundError ? error : new OutboundError('NETWORK_ERROR', error.message));
      });
      req.end(body);
    });
  }
}

function echoes(text: string, challenge: string): boolean {
  try {
    const body: unknown = JSON.parse(text);
    return isObject(body) && body.verification === challenge;
  } catch {
    return false;
  }
}

function hookTarget(hook: HookRecord): LogTarget {
  return { id: hook.id, type: 'EventHook', alternateId: hook.name, displayName: hook.name, detailEntry: null };
}

/** An event hook as the admin API returns it (`authScheme.value` is write-only and never returned). */
export function renderHook(base: string, hook: HookRecord): Record<string, unknown> {
  const self = `${base}/api/v1/eventHooks/${hook.id}`;
  const post = (op: string) => ({ href: `${self}/lifecycle/${op}`, hints: { allow: ['POST'] } });
  const auth = hook.channel.config.authScheme;
  return {
    id: hook.id,
    status: hook.status,
    verificationStatus: hook.verificationStatus,
    name: hook.name,
    description: hook.description,
    created: hook.created,
    createdBy: hook.createdBy,
    lastUpdated: hook.lastUpdated,
    events: structuredClone(hook.events),
    channel: {
      type: hook.channel.type,
      version: hook.channel.version,
      config: {
        uri: hook.channel.config.uri,
        headers: hook.channel.config.headers.map((h) => ({ ...h })),
        method: 'POST',
        authScheme: auth ? { type: auth.type, key: auth.key.toLowerCase() } : null,
      },
    },
    _links: {
      self: { href: self },
      verify: post('verify'),
      ...(hook.status === 'ACTIVE' ? { deactivate: post('deactivate') } : { activate: post('activate') }),
    },
  };
}
