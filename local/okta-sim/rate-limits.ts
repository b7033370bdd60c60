import type { Clock } from './clock.ts';

/**
 * Per-endpoint-group rate limits (docs/okta-protocol.md §3.4): each bucket allows `limit` requests per window (60 s by
 * default); the window starts with the bucket's first request, not on the wall-clock minute. Every response carries
 * `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (UTC epoch seconds); past the limit Okta
 * answers 429 E0000047 until the reset.
 */

export const BUCKETS = ['users', 'roles', 'groups', 'apps', 'logs', 'eventHooks', 'oauth'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Requests per window for each bucket (the defaults are in the range of Okta's published org-wide limits). */
export type RateLimitConfig = Record<Bucket, number> & { windowMs: number };

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  users: 600,
  roles: 600,
  groups: 500,
  apps: 300,
  logs: 120,
  eventHooks: 100,
  oauth: 600,
  windowMs: 60_000,
};

export interface RateLimitDecision {
  allowed: boolean;
  headers: { 'X-Rate-Limit-Limit': string; 'X-Rate-Limit-Remaining': string; 'X-Rate-Limit-Reset': string };
}

interface Window {
  start: number;
  used: number;
}

interface Forced {
  remaining: number;
  resetInSeconds: number;
}

export class RateLimiter {
  private readonly windows = new Map<Bucket, Window>();
  private readonly forced = new Map<Bucket, Forced>();
  readonly config: RateLimitConfig;

  constructor(
    private readonly clock: Clock,
    config: Partial<RateLimitConfig> = {},
  ) {
    this.config = { ...DEFAULT_RATE_LIMITS, ...config };
  }

  /** Changes a bucket's limit (and optionally the window length); the current window keeps its count. */
  set(bucket: Bucket, limit: number): void {
    this.config[bucket] = limit;
  }

  /**
   * The next `count` requests to `bucket` get 429, with `X-Rate-Limit-Reset` `resetInSeconds` after the response's
   * `Date` header (whole seconds), which is what the SDK's retry delay is computed from (reset − Date + 1 s).
   */
  force(bucket: Bucket, count: number, resetInSeconds = 1): void {
    this.forced.set(bucket, { remaining: count, resetInSeconds });
  }

  /** Forgets counts and forced 429s. */
  reset(): void {
    this.windows.clear();
    this.forced.clear();
  }

  /** Counts one request against `bucket` and says whether it may proceed, with the headers to send either way. */
  take(bucket: Bucket): RateLimitDecision {
    const now = this.clock();
    const limit = this.config[bucket];
    const forced = this.forced.get(bucket);
    if (forced && forced.remaining > 0) {
      forced.remaining -= 1;
      if (forced.remaining === 0) this.forced.delete(bucket);
      return {
        allowed: false,
        headers: headers(limit, 0, Math.floor(now / 1000) + forced.resetInSeconds),
      };
    }
    let window = this.windows.get(bucket);
    if (!window || now >= window.start + this.config.windowMs) {
      window = { start: now, used: 0 };
      this.windows.set(bucket, window);
    }
    const reset = Math.ceil((window.start + this.config.windowMs) / 1000);
    if (window.used >= limit) return { allowed: false, headers: headers(limit, 0, reset) };
    window.used += 1;
    return { allowed: true, headers: headers(limit, limit - window.used, reset) };
  }

  /** Current usage per bucket (for the control API). */
  status(): Record<Bucket, { limit: number; remaining: number; reset: number | null; forced: number }> {
    const now = this.clock();
    const out = {} as Record<Bucket, { limit: number; remaining: number; reset: number | null; forced: number }>;
    for (const bucket of BUCKETS) {
      const window = this.windows.get(bucket);
      const live = window && now < window.start + this.config.windowMs ? window : undefined;
      out[bucket] = {
        limit: this.config[bucket],
        remaining: Math.max(0, this.config[bucket] - (live?.used ?? 0)),
        reset: live ? Math.ceil((live.start + this.config.windowMs) / 1000) : null,
        forced: this.forced.get(bucket)?.remaining ?? 0,
      };
    }
    return out;
  }
}

function headers(limit: number, remaining: number, reset: number): RateLimitDecision['headers'] {
  return {
    'X-Rate-Limit-Limit': String(limit),
    'X-Rate-Limit-Remaining': String(remaining),
    'X-Rate-Limit-Reset': String(reset),
  };
}
