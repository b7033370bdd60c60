import type { Intent } from '../domain/intent.ts';
import type { LogEvent } from '../okta/event-hook.ts';
import { subjectUserId } from '../okta/event-hook.ts';

/**
 * Which Okta events lead to a recommendation. The table is data: add a row to route another event type. The first row
 * whose `eventType` matches decides; a row may narrow itself to some outcomes. Everything else is skipped with a
 * reason, and costs no Okta or model call.
 */
export interface EventRoute {
  /** An exact event type, or a prefix ending in `.*` (`security.*`). */
  readonly eventType: string;
  readonly intent: Intent;
  /** Outcome results that qualify (`outcome.result`; a missing outcome counts as SUCCESS). Default: SUCCESS only. */
  readonly outcomes?: readonly string[] | 'any';
}

export const EVENT_ROUTES: readonly EventRoute[] = [
  { eventType: 'user.lifecycle.create', intent: 'joiner' },
  { eventType: 'user.lifecycle.activate', intent: 'joiner' },
  { eventType: 'user.account.update_profile', intent: 'mover' },
  { eventType: 'user.lifecycle.deactivate', intent: 'leaver' },
  { eventType: 'user.lifecycle.suspend', intent: 'leaver' },
  { eventType: 'group.user_membership.add', intent: 'membership' },
  { eventType: 'user.session.start', intent: 'security', outcomes: ['FAILURE', 'DENY'] },
  { eventType: 'user.account.lock', intent: 'security', outcomes: 'any' },
  { eventType: 'user.mfa.factor.reset_all', intent: 'security', outcomes: 'any' },
  { eventType: 'security.*', intent: 'security', outcomes: 'any' },
  { eventType: 'user.risk.*', intent: 'security', outcomes: 'any' },
];

/**
 * Events that need a fixed piece of housekeeping and no recommendation. `user.import.password` with outcome SUCCESS:
 * Okta has stored the password the password import hook verified, so the legacy hash is deleted.
 */
export const HOUSEKEEPING_ROUTES = [{ eventType: 'user.import.password', task: 'forgetLegacyHash' }] as const;
export type HousekeepingTask = (typeof HOUSEKEEPING_ROUTES)[number]['task'];

/** The housekeeping an event calls for, with the Okta login it is about (the target user's `alternateId`). */
export function housekeepingFor(event: LogEvent): { task: HousekeepingTask; login: string } | undefined {
  const route = HOUSEKEEPING_ROUTES.find((r) => r.eventType === event.eventType);
  if (!route || (event.outcome?.result ?? 'SUCCESS') !== 'SUCCESS') return undefined;
  const login = event.target?.find((t) => t.type === 'User')?.alternateId;
  return login ? { task: route.task, login } : undefined;
}

export type RouteDecision =
  | { readonly accepted: true; readonly intent: Intent; readonly subjectUserId: string; readonly rule: string }
  | { readonly accepted: false; readonly reason: string };

export function routeEvent(event: LogEvent, routes: readonly EventRoute[] = EVENT_ROUTES): RouteDecision {
  const matching = routes.filter((r) => matches(r.eventType, event.eventType));
  if (matching.length === 0) return { accepted: false, reason: `event type ${event.eventType} is not routed` };
  const outcome = event.outcome?.result ?? 'SUCCESS';
  const route = matching.find((r) => r.outcomes === 'any' || (r.outcomes ?? ['SUCCESS']).includes(outcome));
  if (!route) return { accepted: false, reason: `${event.eventType} with outcome ${outcome} needs no action` };
  const subject = subjectUserId(event);
  if (!subject) return { accepted: false, reason: `${event.eventType} names no Okta user` };
  return { accepted: true, intent: route.intent, subjectUserId: subject, rule: route.eventType };
}

function matches(pattern: string, eventType: string): boolean {
  return pattern.endsWith('.*') ? eventType.startsWith(pattern.slice(0, -1)) : pattern === eventType;
}
