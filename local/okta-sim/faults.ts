/**
 * Injected faults: make matching requests fail with a status (5xx, 429, anything), arrive late (to exercise client
 * timeouts), or both; before the request is handled (nothing changes) or after (the change is applied but the client
 * sees the failure or the delay — the case that makes retries dangerous).
 */

export interface FaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string;
  /**
   * Path to match (query ignored): a RegExp, or a pattern where `*` matches within one segment and `**` across segments
   * (`/api/v1/users/*`, `/api/v1/users/**`).
   */
  path: string | RegExp;
  /** Respond with this status. For 429 the rate-limit headers are sent with a reset `resetInSeconds` from now. */
  status?: number;
  /** Wait this long before responding. */
  delayMs?: number;
  /** How many matching requests to affect (default 1; `Infinity` for all). */
  times?: number;
  /** `before` (default): the request is not handled. `after`: it is handled, then the fault is applied to the response. */
  when?: 'before' | 'after';
  /** `okta` (default): Okta's JSON error body. `html`: a non-JSON body (the SDK then throws `HttpError`). */
  body?: 'okta' | 'html';
  /** For `status: 429`: seconds until `X-Rate-Limit-Reset` (default 1). */
  resetInSeconds?: number;
}

export interface Fault extends Required<Pick<FaultSpec, 'when' | 'body'>> {
  id: number;
  method?: string;
  path: string | RegExp;
  status?: number;
  delayMs?: number;
  resetInSeconds: number;
  remaining: number;
  matched: number;
}

export function pathPattern(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern;
  const escaped = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

export class Faults {
  private readonly faults: Array<Fault & { regex: RegExp }> = [];
  private nextId = 1;

  /** Adds a fault; returns it (with `remaining` and `matched` counters that update as requests hit it). */
  add(spec: FaultSpec): Fault {
    if (spec.status === undefined && spec.delayMs === undefined) {
      throw new Error('a fault needs a status, a delayMs, or both');
    }
    const fault: Fault & { regex: RegExp } = {
      id: this.nextId++,
      ...(spec.method ? { method: spec.method.toUpperCase() } : {}),
      path: spec.path,
      ...(spec.status !== undefined ? { status: spec.status } : {}),
      ...(spec.delayMs !== undefined ? { delayMs: spec.delayMs } : {}),
      when: spec.when ?? 'before',
      body: spec.body ?? 'okta',
      resetInSeconds: spec.resetInSeconds ?? 1,
      remaining: spec.times ?? 1,
      matched: 0,
      regex: pathPattern(spec.path),
    };
    this.faults.push(fault);
    return fault;
  }

  remove(id: number): void {
    const index = this.faults.findIndex((f) => f.id === id);
    if (index >= 0) this.faults.splice(index, 1);
  }

  clear(): void {
    this.faults.length = 0;
  }

  list(): Fault[] {
    return this.faults.map(({ regex: _regex, ...fault }) => ({ ...fault }));
  }

  /** The first live fault matching the request (consumed: its `remaining` goes down). */
  take(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && (!f.method || f.method === method) && f.regex.test(path));
    if (!fault) return undefined;
    fault.remaining -= 1;
    fault.matched += 1;
    if (fault.remaining <= 0) this.remove(fault.id);
    const { regex: _regex, ...out } = fault;
    return out;
  }
}
