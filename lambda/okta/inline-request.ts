import * as z from 'zod/mini';
import { BadRequestError, MethodNotAllowedError } from '../errors.ts';
import type { HttpRequest } from '../ports.ts';
import { INLINE_HOOK_TYPES, type InlineHookType } from './inline-types.ts';
import { readJsonBody } from './json-body.ts';
import { describeIssues } from './zod-issues.ts';

/** Okta's inline requests nest about 8 levels (token: data.context.protocol.request…); anything far deeper is refused. */
export const MAX_INLINE_JSON_DEPTH = 32;

/** A field Okta documents as a string but sometimes sends as a number (`eventTypeVersion: 1`, a phone number). */
export const Text = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((v) => String(v)),
);
export const OptionalText = z.optional(z.nullable(Text));

/**
 * The envelope every inline request shares (§2.1). Lenient on purpose: only `eventType` is required (it says which
 * contract the body follows); `eventId`/`eventTime` are missing from some registration requests, and numbers appear
 * where the schema says strings. Unknown fields pass through untouched.
 */
const EnvelopeSchema = z.looseObject({
  eventType: z.string().check(z.minLength(1)),
  eventId: OptionalText,
  eventTime: OptionalText,
  eventTypeVersion: OptionalText,
  cloudEventVersion: OptionalText,
  contentType: OptionalText,
  source: OptionalText,
  requestType: OptionalText,
  data: z.record(z.string(), z.unknown()),
});

export interface InlineRequest<T> {
  readonly type: InlineHookType;
  readonly eventId?: string;
  readonly requestType?: string;
  /** Okta's `x-okta-request-id` header, when present (ties our audit record to Okta's System Log). */
  readonly oktaRequestId?: string;
  /** The type's own view of the body, parsed by its schema. */
  readonly body: T;
}

export interface InlineRequestOptions<T> {
  readonly type: InlineHookType;
  /** The schema of the whole body (envelope included) for this type. */
  readonly schema: z.ZodMiniType<T>;
  readonly maxBodyBytes: number;
}

/**
 * An authenticated HTTP request on `/okta/inline/<type>` → the parsed body, or the 4xx that names what is wrong: 405
 * for another method, 415 for another media type, 413 for an oversized body, 400 for malformed JSON, a body of another
 * hook type (`eventType`), or a field the type needs that is missing or of the wrong kind (the path is in `details`).
 * Error messages never quote the body (it may hold an OTP or a password).
 */
export function parseInlineRequest<T>(request: HttpRequest, options: InlineRequestOptions<T>): InlineRequest<T> {
  if (request.method !== 'POST') throw new MethodNotAllowedError(['POST']);
  const json = readJsonBody(request, {
    maxBodyBytes: options.maxBodyBytes,
    maxDepth: MAX_INLINE_JSON_DEPTH,
    expected: 'an Okta inline hook request',
  });
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) throw invalid(envelope.error, 'not an Okta inline hook request');
  const expected = INLINE_HOOK_TYPES[options.type].eventType;
  if (envelope.data.eventType !== expected) {
    const message = `must be ${expected} on this route`;
    throw new BadRequestError(`eventType ${message}`, 'unexpected_event_type', [{ path: 'eventType', message }]);
  }
  const parsed = options.schema.safeParse(json);
  if (!parsed.success) throw invalid(parsed.error, `not a valid ${expected} request`);
  const oktaRequestId = request.headers['x-okta-request-id'];
  return {
    type: options.type,
    ...(envelope.data.eventId ? { eventId: envelope.data.eventId.slice(0, 256) } : {}),
    ...(envelope.data.requestType ? { requestType: envelope.data.requestType.slice(0, 256) } : {}),
    ...(oktaRequestId && /^[\w.:-]{1,128}$/.test(oktaRequestId) ? { oktaRequestId } : {}),
    body: parsed.data,
  };
}

function invalid(error: z.core.$ZodError, what: string): BadRequestError {
  const details = describeIssues(error);
  return new BadRequestError(
    `${what}: ${details
      .slice(0, 3)
      .map((d) => `${d.path}: ${d.message}`)
      .join('; ')}`,
    'invalid_request',
    details,
  );
}
