import { PermanentDeliveryError, RetryableDeliveryError } from '../ports.ts';

/**
 * What every notification channel shares: one way to POST to a platform and classify its answer into the ports' error
 * taxonomy, and the channel-neutral helpers. The interface itself (`Notification`, `NotificationChannel`,
 * `PermanentDeliveryError`, `RetryableDeliveryError`, `DeliveryLedger`, `ChannelStateStore`) lives in `ports.ts`.
 *
 * Errors name the channel, what went wrong and the HTTP status — never the URL (a Teams Workflows or webhook URL holds
 * its own secret), a token, or the receiver's body (it may echo what we sent).
 */

/** How long one POST may take before it counts as a timeout (retryable). */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** 4xx statuses that may succeed when tried again later; every other 4xx is permanent. */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

export interface PostOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** The clock for an HTTP-date `Retry-After`. */
  readonly now?: () => Date;
}

export interface PostAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The body as text (at most 64 KiB kept): for the caller to parse, never to log. */
  readonly text: string;
}

/**
 * POSTs `body` (a string, sent as is, or a value sent as JSON) and resolves with a 2xx answer. A 429/408/409/425, a
 * 5xx, a network error or a timeout is a `RetryableDeliveryError` (with `Retry-After` when the receiver sent one); a
 * redirect (never followed: it could carry the body elsewhere) or any other 4xx is a `PermanentDeliveryError`.
 */
export async function postJson(
  channel: string,
  url: string,
  body: unknown,
  options: PostOptions = {},
): Promise<PostAnswer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
  } catch {
    // The error's own text can contain the URL: it is not kept.
    throw new RetryableDeliveryError(
      channel,
      signal.aborted ? `timed out after ${timeoutMs} ms` : 'receiver unreachable',
    );
  }
  let text = '';
  try {
    text = (await response.text()).slice(0, 65_536);
  } catch {
    text = '';
  }
  const status = response.status;
  if (status >= 200 && status < 300) return { status, headers: response.headers, text };
  if (status >= 500 || RETRYABLE_4XX.has(status)) {
    const retryAfterSeconds = retryAfter(response.headers.get('retry-after'), options.now?.() ?? new Date());
    throw new RetryableDeliveryError(channel, `receiver answered HTTP ${status}`, {
      httpStatus: status,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  if (status >= 300 && status < 400) {
    throw new PermanentDeliveryError(channel, `receiver redirects (HTTP ${status}); redirects are not followed`, {
      httpStatus: status,
    });
  }
  throw new PermanentDeliveryError(channel, permanentReason(status), { httpStatus: status });
}

function permanentReason(status: number): string {
  const why: Record<number, string> = {
    400: 'the receiver refused the message as malformed',
    401: 'the receiver refused the credentials (revoked or wrong?)',
    403: 'the receiver forbids this sender (revoked or not allowed?)',
    404: 'no such receiver (deleted URL, workflow or channel?)',
    410: 'the receiver is gone (deleted URL, workflow or channel)',
    413: 'the message is too large for the receiver',
  };
  return `${why[status] ?? 'the receiver refused the message'} (HTTP ${status})`;
}

/** `Retry-After` as whole seconds from now: delta-seconds or an HTTP-date; undefined when absent or unreadable. */
export function retryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/** A human duration: `90 minutes`, `8 hours`, `2 days`. */
export function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return plural(seconds / 86_400, 'day');
  if (seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return plural(seconds / 60, 'minute');
  return plural(seconds, 'second');
}

export const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** A person for display: `Jane Doe (jane@example.com)`, or the login, or the id. */
export function personText(
  person: { id: string; login?: string; displayName?: string } | undefined,
  fallbackId?: string,
): string {
  if (!person) return fallbackId ? `user ${fallbackId}` : 'nobody';
  if (person.displayName && person.login) return `${person.displayName} (${person.login})`;
  return person.displayName ?? person.login ?? person.id;
}
