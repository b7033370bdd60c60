import type { z } from 'zod';
import {
  BadRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../errors.ts';
import type { HttpRequest } from '../ports.ts';
import { type EventHookDelivery, EventHookDeliverySchema } from './event-hook.ts';
import type { SecretVerifier } from './hook-auth.ts';
import { jsonErrorLocation } from './json-error.ts';

export const VERIFICATION_HEADER = 'x-okta-verification-challenge';

export type EventHookRequest =
  | { readonly kind: 'verification'; readonly challenge: string }
  | { readonly kind: 'delivery'; readonly delivery: EventHookDelivery };

export interface EventHookRequestOptions {
  readonly verify: SecretVerifier;
  /** Lower-case name of the header that carries the secret (Okta's `authScheme.key`). */
  readonly authHeader: string;
  readonly maxBodyBytes: number;
  /** The largest single event hookpilot will queue (an SQS message holds at most 256 KiB on every queue setting). */
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
    const eventBytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
    if (eventBytes > options.maxEventBytes) {
      throw new PayloadTooLargeError(
        `data.events[${index}] (uuid ${event.uuid}) is ${eventBytes} bytes; one event may be at most ${options.maxEventBytes}`,
      );
    }
  });
  return { kind: 'delivery', delivery: parsed.data };
}

/** zod issues as `{path, message}` with JSON-ish paths (`data.events[0].uuid`), at most 20 of them. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 20).map((issue) => ({
    path:
      issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') ||
      '(root)',
    message: issue.message,
  }));
}
