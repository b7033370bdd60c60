import { z } from 'zod';
import { isOktaKey, type LogEvent } from './event-hook.ts';

/** Where Okta puts the X-Okta-Request-Id of the API call that caused an event (`debugContext.debugData.requestId`). */
const RequestIdSchema = z.object({ debugData: z.object({ requestId: z.string().min(1) }) });

/** The X-Okta-Request-Id of the request that caused the event, when Okta says. */
export function requestIdOf(event: LogEvent): string | undefined {
  const parsed = RequestIdSchema.safeParse(event.debugContext);
  // A key in the action ledger: only an id that follows the Okta key rule (anything else cannot be one of ours).
  return parsed.success && isOktaKey(parsed.data.debugData.requestId) ? parsed.data.debugData.requestId : undefined;
}
