import { asciiJson } from '../ascii-json.ts';
import { BadRequestError, MethodNotAllowedError, PayloadTooLargeError, UnauthorizedError } from '../errors.ts';
import type { HttpRequest } from '../ports.ts';
import { type EventHookDelivery, EventHookDeliverySchema } from './event-hook.ts';
import type { SecretVerifier } from './hook-auth.ts';
import { readJsonBody } from './json-body.ts';
import { describeIssues } from './zod-issues.ts';

export const VERIFICATION_HEADER = 'x-okta-verification-challenge';

/**
 * The most events one delivery may carry. Okta does not document a maximum (it batches events that happen close
 * together); a real LogEvent is 1.5–4 KB, so the 1 MiB body limit already holds a real delivery to a few hundred
 * events. This cap only refuses floods of tiny synthetic events, which could not be queued inside Okta's 3-second
 * timeout. A 413 is not retried by Okta: keep it far above anything Okta sends.
 */
export const MAX_EVENTS_PER_DELIVERY = 1000;

/**
 * The deepest nesting of objects and arrays accepted anywhere in a delivery (Okta's LogEvents nest about 7 levels
 * from the envelope). Anything deeper is refused before any recursive code sees it.
 */
export const MAX_JSON_DEPTH = 32;

export type EventHookRequest =
  | { readonly kind: 'verification'; readonly challenge: string }
  | { readonly kind: 'delivery'; readonly delivery: EventHookDelivery };

export interface EventHookRequestOptions {
  readonly verify: SecretVerifier;
  /** Lower-case name of the header that carries the secret (Okta's `authScheme.key`). */
  readonly authHeader: string;
  readonly maxBodyBytes: number;
  /**
   * The largest single event hookpilot will queue, as queued (`asciiJson`: non-ASCII characters take 6 bytes per UTF-16
   * unit). An SQS message holds at most 256 KiB on every queue setting.
   */
  readonly maxEventBytes: number;
}

/**
 * Turns an HTTP request on `/okta/events` into a verification challenge or an authenticated, validated delivery, or
 * throws the error that says exactly what is wrong. Authentication happens before the body is read.
 */
export function parseEventHookRequest(request: HttpRequest, options: EventHookRequestOptions): EventHookRequest {
  const presented = request.headers[options.authHeader];
  if (request.method === 'GET') {
    const challenge = request.headers[VERIFICATION_HEADER];
    if (!challenge) {
      throw new BadRequestError(
        `GET /okta/events is Okta's one-time verification request and needs the ${VERIFICATION_HEADER} header`,
        'missing_verification_challenge',
      );
    }
    // Whether Okta sends the auth header on the verification GET is unconfirmed: accept it absent, reject it wrong.
    if (presented !== undefined && !options.verify(presented)) throw new UnauthorizedError();
    if (challenge.length > 1024) throw new BadRequestError(`${VERIFICATION_HEADER} is too long`, 'invalid_challenge');
    return { kind: 'verification', challenge };
  }
  if (request.method !== 'POST') throw new MethodNotAllowedError(['GET', 'POST']);
  if (!options.verify(presented)) throw new UnauthorizedError();

  const json = readJsonBody(request, {
    maxBodyBytes: options.maxBodyBytes,
    maxDepth: MAX_JSON_DEPTH,
    expected: 'an Okta event hook delivery',
  });
  const events = (json as { data?: { events?: unknown } } | null)?.data?.events;
  if (Array.isArray(events) && events.length > MAX_EVENTS_PER_DELIVERY) {
    throw new PayloadTooLargeError(
      `data.events holds ${events.length} events; one delivery may carry at most ${MAX_EVENTS_PER_DELIVERY}`,
    );
  }
  const parsed = EventHookDeliverySchema.safeParse(json);
  if (!parsed.success) {
    const details = describeIssues(parsed.error);
    throw new BadRequestError(
      `not an Okta event hook delivery: ${details
        .slice(0, 3)
        .map((d) => `${d.path}: ${d.message}`)
        .join('; ')}`,
      'invalid_delivery',
      details,
    );
  }
  parsed.data.data.events.forEach((event, index) => {
    const eventBytes = asciiJson(event).length;
    if (eventBytes > options.maxEventBytes) {
      throw new PayloadTooLargeError(
        `data.events[${index}] (uuid ${event.uuid}) is ${eventBytes} bytes; one event may be at most ${options.maxEventBytes}`,
      );
    }
  });
  return { kind: 'delivery', delivery: parsed.data };
}
