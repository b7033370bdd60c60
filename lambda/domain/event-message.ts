import { z } from 'zod';
import { LogEventSchema } from '../okta/event-hook.ts';

/**
 * The events queue's message contract (version 1): one Okta LogEvent, as received, with where it came from. The
 * consumer deduplicates on `event.uuid`.
 */
export const EventMessageSchema = z.object({
  schemaVersion: z.literal(1),
  event: LogEventSchema,
  delivery: z.object({
    /** The envelope's `eventId` (one delivery can carry many events). */
    eventId: z.string().nullish(),
    /** The envelope's `source`: the Okta event hook that sent it. */
    source: z.string().nullish(),
    receivedAt: z.string(),
  }),
  /** How many times Okta's rate limit sent this event back to wait (the consumer sets it). */
  deferrals: z.number().int().min(0).optional(),
});

export type EventMessage = z.infer<typeof EventMessageSchema>;
