import type { PolicyConfig } from '../lambda/domain/policy-config.ts';
import type { SimState } from './okta-sim/server.ts';

/**
 * For `npm start`: who in the simulated org can approve what under the policy — each approver group the policy names,
 * the risk levels (and critical slots) it decides, and its members' logins — so a user knows whom to pick on the
 * simulator's sign-in page.
 */
export function approverLines(policy: PolicyConfig, state: SimState, maxMembers = 4): string[] {
  const { approvers, critical, escalationGroup } = policy.approvals;
  const roles = new Map<string, string[]>();
  const add = (group: string, role: string) => {
    const list = roles.get(group) ?? [];
    if (!list.includes(role)) list.push(role);
    roles.set(group, list);
  };
  for (const [risk, groups] of Object.entries(approvers.byRisk)) for (const g of groups) add(g, `${risk} risk`);
  for (const [action, groups] of Object.entries(approvers.byAction)) for (const g of groups ?? []) add(g, action);
  critical.groupSlots.forEach((slot, i) => {
    for (const g of slot) add(g, `critical slot ${i + 1}`);
  });
  if (escalationGroup) add(escalationGroup, 'escalations');
  return [...roles.entries()].map(([group, what]) => {
    let members: string[];
    try {
      members = state
        .groupMembers(group)
        .map((id) => String((state.user(id)?.profile as { login?: unknown } | undefined)?.login ?? id))
        .sort();
    } catch {
      members = [];
    }
    const shown = members.slice(0, maxMembers).join(', ');
    const more = members.length > maxMembers ? ` and ${members.length - maxMembers} more` : '';
    return `${group} (${what.join(', ')}): ${members.length ? `${shown}${more}` : 'no members in the simulated org'}`;
  });
}
