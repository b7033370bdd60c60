import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini loads no messages by default: English ones, so a refused delivery says what was expected (as full zod does).
z.config(en());

/**
 * Okta event hook payloads (docs/okta-protocol.md §1.3). Parsed leniently: only what hookpilot relies on is typed,
 * every other field passes through untouched, and fields Okta documents inconsistently (string or number versions,
 * singular or plural `cloudEventsVersion`, null for empty arrays) are accepted in every documented form.
 *
 * Everything in a LogEvent except ids is attacker-influenced text (display names, logins, user agents): it is data.
 *
 * Written with `zod/mini` (tree-shakable, the same schemas and errors as full zod): the receiver is on Okta's 3-second
 * clock and its bundle carries only the parts of zod these schemas use. Full zod can embed them (`messages.ts`).
 */

const nullableString = z.nullish(z.string());

/**
 * The rule for every Okta string that becomes a key (an event uuid in the audit table, the queue and the consumer's
 * dedupe; a user id in the audit trail's `bySubject` index; a request id in the action ledger): 1–64 printable-ASCII
 * identifier characters. Okta's own ids (UUIDs, `00u…` ids, request ids) all fit; anything else — empty, huge, control
 * or look-alike characters, lone surrogates, `../`, markup — could collide with another key after a store normalises it,
 * or be refused by the store and turn a delivery into a poison message. `@` is allowed because Okta request ids use it.
 */
export const OKTA_KEY = /^[A-Za-z0-9._:@-]{1,64}$/;
export const OKTA_KEY_RULE = '1–64 characters of A–Z, a–z, 0–9 and . _ : @ -';
export const isOktaKey = (value: unknown): value is string => typeof value === 'string' && OKTA_KEY.test(value);

export const LogEventActorSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  alternateId: nullableString,
  displayName: nullableString,
});

export const LogEventTargetSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  alternateId: nullableString,
  displayName: nullableString,
  changeDetails: z.nullish(z.looseObject({ from: z.optional(z.unknown()), to: z.optional(z.unknown()) })),
});

export const LogEventSchema = z.looseObject({
  uuid: z.string().check(z.regex(OKTA_KEY, `expected an Okta event uuid: ${OKTA_KEY_RULE}`)),
  published: z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 timestamp')),
  eventType: z.string().check(z.minLength(1), z.maxLength(256)),
  version: z.nullish(z.union([z.string(), z.number()])),
  displayMessage: nullableString,
  severity: nullableString,
  legacyEventType: nullableString,
  actor: z.nullish(LogEventActorSchema),
  target: z.nullish(z.array(LogEventTargetSchema)),
  outcome: z.nullish(z.looseObject({ result: nullableString, reason: nullableString })),
});

export const EVENT_HOOK_ENVELOPE_TYPE = 'com.okta.event_hook';

export const EventHookDeliverySchema = z.looseObject({
  eventType: z.literal(EVENT_HOOK_ENVELOPE_TYPE, {
    error: `eventType must be "${EVENT_HOOK_ENVELOPE_TYPE}" (this endpoint only takes Okta event hook deliveries)`,
  }),
  eventId: z.nullish(z.string().check(z.maxLength(256))),
  eventTime: nullableString,
  eventTypeVersion: z.nullish(z.union([z.string(), z.number()])),
  cloudEventsVersion: z.nullish(z.union([z.string(), z.number()])),
  cloudEventVersion: z.nullish(z.union([z.string(), z.number()])),
  source: z.nullish(z.string().check(z.maxLength(2048))),
  contentType: nullableString,
  data: z.looseObject({ events: z.array(LogEventSchema) }),
});

export type LogEvent = z.infer<typeof LogEventSchema>;
export type LogEventTarget = z.infer<typeof LogEventTargetSchema>;
export type EventHookDelivery = z.infer<typeof EventHookDeliverySchema>;

/**
 * The Okta user an event is about: the first `User` target, else a `User` actor (e.g. a failed sign-in) — if its id
 * follows `OKTA_KEY`. A user whose id does not is unidentifiable: the event is still received and recorded, just not
 * about anyone (no `bySubject` index entry, no per-user claim).
 */
export function subjectUserId(event: LogEvent): string | undefined {
  const target = event.target?.find((t) => t.type === 'User');
  const id = target ? target.id : event.actor?.type === 'User' ? event.actor.id : undefined;
  return isOktaKey(id) ? id : undefined;
}
