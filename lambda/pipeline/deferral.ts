/**
 * How long to hold work that Okta rate limited: until its `X-Rate-Limit-Reset` (or 30 s when it did not say), plus a
 * second and a little jitter so deferred work does not all return at once; within SQS's 1–900 s delay range.
 */
export function secondsUntilRetry(retryAt: Date | undefined, now: Date, random: () => number = Math.random): number {
  const at = retryAt?.getTime() ?? now.getTime() + 30_000;
  return Math.min(900, Math.max(1, Math.ceil((at - now.getTime()) / 1000) + 1 + Math.floor(random() * 3)));
}

/** After this many deferrals, work stops waiting (the executor audits a failure; the consumer lets SQS dead-letter it). */
export const MAX_DEFERRALS = 100;
