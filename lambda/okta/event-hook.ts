import { z } from 'zod';

/**
 * Okta event hook payloads (docs/okta-protocol.md §1.3). Parsed leniently: only what hookpilot relies on is typed,
 * every other field passes through untouched, and fields Okta documents inconsistently (string or number versions,
 * singular or plural `cloudEventsVersion`, null for empty arrays) are accepted in every documented form.
 *
 * Everything in a LogEvent except ids is attacker-influenced text (display names, logins, user agents): it is data.
 */

const nullableString = z.string().nullish();

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
  changeDetails: z.looseObject({ from: z.unknown().optional(), to: z.unknown().optional() }).nullish(),
});

export const LogEventSchema = z.looseObject({
  uuid: z.string().min(1).max(128),
  published: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 timestamp'),
  eventType: z.string().min(1).max(256),
  version: z.union([z.string(), z.number()]).nullish(),
  displayMessage: nullableString,
  severity: nullableString,
  legacyEventType: nullableString,
  actor: LogEventActorSchema.nullish(),
  target: z.array(LogEventTargetSchema).nullish(),
  outcome: z.looseObject({ result: nullableString, reason: nullableString }).nullish(),
});

export const EVENT_HOOK_ENVELOPE_TYPE = 'com.okta.event_hook';

export const EventHookDeliverySchema = z.looseObject({
  eventType: z.literal(EVENT_HOOK_ENVELOPE_TYPE, {
    error: `eventType must be "${EVENT_HOOK_ENVELOPE_TYPE}" (this endpoint only takes Okta event hook deliveries)`,
  }),
  eventId: z.string().max(256).nullish(),
  eventTime: nullableString,
  eventTypeVersion: z.union([z.string(), z.number()]).nullish(),
  cloudEventsVersion: z.union([z.string(), z.number()]).nullish(),
  cloudEventVersion: z.union([z.string(), z.number()]).nullish(),
  source: z.string().max(2048).nullish(),
  contentType: nullableString,
  data: z.looseObject({ events: z.array(LogEventSchema) }),
});

export type LogEvent = z.infer<typeof LogEventSchema>;
export type LogEventTarget = z.infer<typeof LogEventTargetSchema>;
export type EventHookDelivery = z.infer<typeof EventHookDeliverySchema>;

/** The Okta user an event is about: the first `User` target, else a `User` actor (e.g. a failed sign-in). */
export function subjectUserId(event: LogEvent): string | undefined {
  const target = event.target?.find((t) => t.type === 'User');
  if (target) return target.id;
  return event.actor?.type === 'User' ? event.actor.id : undefined;
}
