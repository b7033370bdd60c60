/** Why an Okta event needs a recommendation (the routing table in `pipeline/event-routes.ts` maps event types to these). */
export const INTENTS = ['joiner', 'mover', 'leaver', 'membership', 'security'] as const;
export type Intent = (typeof INTENTS)[number];
