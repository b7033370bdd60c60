import { asciiJson } from '../ascii-json.ts';
import {
  BadRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../errors.ts';
import { pathBeyondDepth } from '../json-depth.ts';
import type { HttpRequest } from '../ports.ts';
import { type EventHookDelivery, EventHookDeliverySchema } from './event-hook.ts';
import type { SecretVerifier } from './hook-auth.ts';
import { jsonErrorLocation } from './json-error.ts';
import { describeIssues, formatPath } from './zod-issues.ts';

export { describeIssues };

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

  const contentType = request.headers['content-type'];
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be application/json (got ${contentType ? JSON.stringify(contentType.slice(0, 100)) : 'none'})`,
    );
  }
  const body = request.body ?? '';
  const size = Buffer.byteLength(body, 'utf8');
  if (size > options.maxBodyBytes) {
    throw new PayloadTooLargeError(`the body is ${size} bytes; the limit is ${options.maxBodyBytes}`);
  }
  if (size === 0) throw new BadRequestError('the body is empty; expected an Okta event hook delivery', 'empty_body');

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new BadRequestError(`the body is not valid JSON (at ${jsonErrorLocation(body, error)})`, 'invalid_json');
  }
  const deep = pathBeyondDepth(json, MAX_JSON_DEPTH);
  if (deep) {
    // Keys are the sender's text: cut long ones, so the answer says where without repeating what the body holds.
    const where = deep.slice(0, 8).map((k) => (typeof k === 'string' && k.length > 32 ? `${k.slice(0, 32)}…` : k));
    const path = `${formatPath(where)}${deep.length > 8 ? '…' : ''}`;
    const message = `nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`;
    throw new BadRequestError(`the body ${message} (at ${path})`, 'too_deep', [{ path, message }]);
  }
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
