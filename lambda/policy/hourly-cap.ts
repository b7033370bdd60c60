import type { PolicyConfig } from '../domain/policy-config.ts';
import type { Decision } from '../domain/recommendation.ts';
import type { HourlyBudget } from '../ports.ts';
import { demote, RULES } from './decide.ts';

/**
 * The policy's cap on automatic actions per hour (`limits.maxAutoActionsPerHour`), counted across every consumer in the
 * hourly budget: an automatic decision that gets no slot in the current hour asks a human instead. Observed and
 * non-automatic decisions use no slot; the same action asking again keeps the slot it has.
 */
export async function withinHourlyCap(
  decision: Decision,
  actionId: string,
  deps: { readonly budget: HourlyBudget; readonly policy: PolicyConfig; readonly now: Date },
): Promise<Decision> {
  if (decision.outcome !== 'auto' || decision.observed) return decision;
  const cap = deps.policy.limits.maxAutoActionsPerHour;
  const hour = deps.now.toISOString().slice(0, 13);
  if (await deps.budget.reserveAutoSlot(hour, actionId, cap, deps.now)) return decision;
  return demote(decision, RULES.capPerHour, `the hour's ${cap} automatic actions are used up`);
}
