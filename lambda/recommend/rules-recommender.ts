import { ADMIN_ROLE_TYPES } from '../domain/catalog.ts';
import { isPrivileged, matchesName, meetsWhen, type PolicyConfig } from '../domain/policy-config.ts';
import type {
  GroupFact,
  PeerStats,
  Proposal,
  RecommendationContext,
  RecommendationResult,
} from '../domain/recommendation.ts';
import type { Recommender } from '../ports.ts';
import { moverDifferences } from './mover.ts';

/**
 * The deterministic recommender: proposals from the context and the policy alone (no I/O, no model), each with a
 * rationale and evidence that cite facts of the context. It answers when no model is configured and whenever the model
 * fails. The same input always gives the same output, and every id it proposes comes from the context.
 *
 * Thresholds come from `policy.rules`; the birthright rules from `policy.birthright`. Only OKTA_GROUP memberships are
 * ever proposed for change (APP_GROUP members come from the app; BUILT_IN groups such as Everyone cannot be changed).
 */
export class RulesRecommender implements Recommender {
  readonly name = 'rules' as const;

  async recommend(context: RecommendationContext, policy: PolicyConfig): Promise<RecommendationResult> {
    return recommendByRules(context, policy);
  }
}

/**
 * The version of these rules, for calibration: a calibration fitted for the rules recommender names model `rules` and
 * this version (`RULES_IDENTITY`). Bump it when a rule or a confidence below changes what is proposed or how confident.
 */
export const RULES_VERSION = '2026-11-29.2';
export const RULES_IDENTITY = { model: 'rules', promptVersion: RULES_VERSION } as const;

/** Removals are less certain than additions: their confidence never exceeds this. */
export const MAX_REMOVAL_CONFIDENCE = 0.9;
/** Failed sign-ins from at least this many countries in the window look like an attack, whatever their number. */
export const SEVERAL_COUNTRIES = 2;

const CONFIDENCE = {
  birthright: 1,
  leaverGroup: 0.9,
  leaverApp: 0.8,
  leaverRole: 0.95,
  leaverSessions: 1,
  toxic: 0.85,
  failuresClearSessions: 0.85,
  failuresSuspend: 0.7,
  lockClearSessions: 0.8,
  lockResetPassword: 0.6,
  mfaResetClearSessions: 0.8,
  riskClearSessions: 0.9,
  riskSuspend: 0.6,
  breachedClearSessions: 0.9,
  breachedExpirePassword: 0.9,
} as const;

/** The rules recommender as a pure function. */
export function recommendByRules(context: RecommendationContext, policy: PolicyConfig): RecommendationResult {
  const { assessment, proposals } = byIntent(context, policy);
  return { recommender: 'rules', assessment, proposals: proposals.list() };
}

interface Outcome {
  readonly assessment: string;
  readonly proposals: Proposals;
}

function byIntent(context: RecommendationContext, policy: PolicyConfig): Outcome {
  // Okta delivers late: a user deprovisioned since can be given nothing (Okta refuses it) and needs no containment.
  if (context.user.status === 'DEPROVISIONED' && ['joiner', 'mover', 'security'].includes(context.intent)) {
    return {
      assessment: `${capitalise(who(context))} is deprovisioned (deactivated) now: nothing can be granted to or contained for a deactivated account; no action.`,
      proposals: new Proposals(),
    };
  }
  switch (context.intent) {
    case 'joiner':
      return joiner(context, policy);
    case 'mover':
      return mover(context, policy);
    case 'leaver':
      return leaver(context, policy);
    case 'membership':
      return membership(context, policy);
    case 'security':
      return security(context, policy);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Proposals: one per action, merged when two rules propose the same one (highest confidence, evidence of both).

class Proposals {
  readonly #byKey = new Map<string, Proposal>();

  add(proposal: Proposal): void {
    const key = `${proposal.type}|${JSON.stringify(proposal.params)}`;
    const existing = this.#byKey.get(key);
    if (!existing) {
      this.#byKey.set(key, proposal);
      return;
    }
    const stronger = proposal.confidence > existing.confidence ? proposal : existing;
    const weaker = stronger === proposal ? existing : proposal;
    this.#byKey.set(key, {
      ...stronger,
      evidence: [...stronger.evidence, ...weaker.evidence.filter((e) => !stronger.evidence.includes(e))],
    });
  }

  has(type: string, params: Readonly<Record<string, unknown>>): boolean {
    return this.#byKey.has(`${type}|${JSON.stringify(params)}`);
  }

  get size(): number {
    return this.#byKey.size;
  }

  count(type: string): number {
    return [...this.#byKey.values()].filter((p) => p.type === type).length;
  }

  list(): Proposal[] {
    return [...this.#byKey.values()];
  }
}

const proposal = (
  type: string,
  params: Readonly<Record<string, unknown>>,
  confidence: number,
  rationale: string,
  evidence: readonly string[],
): Proposal => ({ type, params, confidence: clampConfidence(confidence), rationale, evidence });

function clampConfidence(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
}

// ---------------------------------------------------------------------------------------------------------------------
// Wording: every value taken from the context is quoted (it is user-editable text) and kept short.

const MAX_QUOTED = 80;

function quote(value: unknown): string {
  const text = String(value);
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
}

function who(context: RecommendationContext): string {
  const login =
    context.user.login.length > MAX_QUOTED ? `${context.user.login.slice(0, MAX_QUOTED)}…` : context.user.login;
  return `user ${login}`;
}

function basisText(peers: PeerStats): string {
  const parts = Object.entries(peers.basis).map(([name, value]) => `${name} ${quote(value)}`);
  return parts.length > 0 ? parts.join(', ') : 'no shared attributes';
}

function peersText(holders: number, peers: PeerStats): string {
  return `${holders} of ${peers.sampled} peers (${basisText(peers)})`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function whenText(when: Readonly<Record<string, string>>): string {
  const parts = Object.entries(when).map(([name, value]) => `${name} = ${quote(value)}`);
  return parts.length > 0 ? parts.join(', ') : 'everyone';
}

function profileValue(profile: RecommendationContext['user']['profile'] | undefined, name: string): string | undefined {
  const value = profile?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

// ---------------------------------------------------------------------------------------------------------------------
// Facts about groups.

/** Every group the context knows, by id (the user's, the policy's candidates, the peers'). */
function knownGroups(context: RecommendationContext): Map<string, GroupFact> {
  const groups = new Map<string, GroupFact>();
  for (const g of [...context.groups, ...context.candidateGroups, ...context.peers.groups]) {
    if (!groups.has(g.id)) groups.set(g.id, { id: g.id, name: g.name, type: g.type });
  }
  return groups;
}

/** A group named by the policy (name or id), resolved through the context; OKTA_GROUPs first. */
function resolveGroup(context: RecommendationContext, nameOrId: string): GroupFact | undefined {
  const matches = [...knownGroups(context).values()].filter((g) => g.id === nameOrId || g.name === nameOrId);
  return matches.find((g) => g.type === 'OKTA_GROUP') ?? matches[0];
}

const holds = (context: RecommendationContext, groupId: string) => context.groups.some((g) => g.id === groupId);

/** The attributes of the birthright rules that give a group, in words (`city`, `department or userType`). */
function birthrightBasis(policy: PolicyConfig, name: string): string {
  const attributes = new Set(
    policy.birthright.filter((r) => r.groups.includes(name)).flatMap((r) => Object.keys(r.when)),
  );
  return [...attributes].join(' or ') || 'profile';
}

/** A group the user holds that, with a group named `name`, is one of the policy's toxic combinations (its name). */
function toxicPartner(context: RecommendationContext, policy: PolicyConfig, name: string): string | undefined {
  for (const [a, b] of policy.toxicCombinations) {
    for (const [mine, other] of [
      [a, b],
      [b, a],
    ] as const) {
      if (!matchesName(mine, name)) continue;
      const held = context.groups.find((g) => matchesName(other, g.name));
      if (held) return held.name;
    }
  }
  return undefined;
}
const hasApp = (context: RecommendationContext, appId: string) => context.apps.some((a) => a.id === appId);

/** Whether the context builder left peer statistics out (then a group missing from them proves nothing). */
const peerStatsTrimmed = (context: RecommendationContext) => context.truncated.some((t) => /peer/i.test(t));

/** How many of the peers hold a group, when the context can tell. */
function peerShareOf(
  context: RecommendationContext,
  groupId: string,
): { readonly holders: number; readonly share: number } | undefined {
  if (context.peers.sampled <= 0) return undefined;
  const stat = context.peers.groups.find((g) => g.id === groupId);
  if (stat) return { holders: stat.holders, share: stat.share };
  return peerStatsTrimmed(context) ? undefined : { holders: 0, share: 0 };
}

// ---------------------------------------------------------------------------------------------------------------------
// Birthright rules.

interface BirthrightMatch {
  /** 1-based, as a human counts the rules in the policy file. */
  readonly number: number;
  readonly when: Readonly<Record<string, string>>;
  readonly groups: readonly string[];
}

function birthrightMatches(
  policy: PolicyConfig,
  profile: RecommendationContext['user']['profile'] | undefined,
): BirthrightMatch[] {
  if (!profile) return [];
  return policy.birthright
    .map((rule, index) => ({ number: index + 1, when: rule.when, groups: rule.groups }))
    .filter((rule) => meetsWhen(rule.when, profile));
}

/** The ids of the groups the matching birthright rules give (those the context can resolve). */
function birthrightGroupIds(context: RecommendationContext, matches: readonly BirthrightMatch[]): Set<string> {
  const ids = new Set<string>();
  for (const rule of matches) {
    for (const name of rule.groups) {
      const group = resolveGroup(context, name);
      if (group) ids.add(group.id);
    }
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------------------------------
// Joiner: birthright groups, then what most peers hold.

interface Additions {
  readonly proposals: Proposals;
  readonly birthright: number;
  readonly peerBased: number;
  /** Birthright groups the context could not resolve (or that cannot be joined), in words. */
  readonly problems: string[];
}

function additions(context: RecommendationContext, policy: PolicyConfig, proposals: Proposals): Additions {
  const userId = context.user.id;
  const problems: string[] = [];
  let birthright = 0;
  let peerBased = 0;

  for (const rule of birthrightMatches(policy, context.user.profile)) {
    for (const name of rule.groups) {
      const group = resolveGroup(context, name);
      if (!group) {
        problems.push(`birthright group ${quote(name)} is not in the context`);
        continue;
      }
      if (group.type !== 'OKTA_GROUP') {
        problems.push(
          `birthright group ${quote(group.name)} is ${group.type === 'APP_GROUP' ? 'an APP_GROUP' : 'built in'}`,
        );
        continue;
      }
      if (holds(context, group.id)) continue;
      const conditions = Object.entries(rule.when).map(([attr, value]) => `profile.${attr} = ${quote(value)}`);
      proposals.add(
        proposal(
          'group.add_member',
          { userId, groupId: group.id },
          CONFIDENCE.birthright,
          `Birthright: the policy gives ${quote(group.name)} to everyone with ${whenText(rule.when)}, and ${who(context)} matches but is not a member.`,
          [
            ...conditions,
            `policy birthright rule #${rule.number} (${whenText(rule.when)}) includes ${quote(group.name)}`,
            `${who(context)} is not in ${quote(group.name)}`,
          ],
        ),
      );
      birthright++;
    }
  }

  const threshold = policy.rules.peerShareThreshold;
  if (context.peers.sampled > 0) {
    const common = [...context.peers.groups]
      .filter((g) => g.type === 'OKTA_GROUP' && g.share >= threshold && !holds(context, g.id))
      .sort((a, b) => b.share - a.share || a.id.localeCompare(b.id));
    // Privilege is requested (and time-bound), never inherited from peers; nor is half of a forbidden combination.
    const mine = new Set(birthrightMatches(policy, context.user.profile).flatMap((r) => r.groups));
    const elsewhere = new Set(
      policy.birthright.filter((r) => !meetsWhen(r.when, context.user.profile)).flatMap((r) => r.groups),
    );
    const groups = common.filter((g) => {
      if (elsewhere.has(g.name) && !mine.has(g.name)) {
        problems.push(
          `${quote(g.name)} is held by ${percent(g.share)} of peers but is the birthright of another ${birthrightBasis(policy, g.name)}: not proposed`,
        );
        return false;
      }
      const toxicWith = toxicPartner(context, policy, g.name);
      if (toxicWith) {
        problems.push(
          `${quote(g.name)} is held by ${percent(g.share)} of peers but, with ${quote(toxicWith)}, is a combination the policy forbids: not proposed`,
        );
        return false;
      }
      if (isPrivileged(g.name, policy)) {
        problems.push(
          `${quote(g.name)} is held by ${percent(g.share)} of peers but is privileged: it is requested, not inherited`,
        );
        return false;
      }
      return true;
    });
    for (const g of groups) {
      const params = { userId, groupId: g.id };
      const isNew = !proposals.has('group.add_member', params);
      proposals.add(
        proposal(
          'group.add_member',
          params,
          g.share,
          `${percent(g.share)} of the peers of ${who(context)} are in ${quote(g.name)} (the policy proposes what at least ${percent(threshold)} hold); the user is not.`,
          [
            `${peersText(g.holders, context.peers)} are in ${quote(g.name)}`,
            `${who(context)} is not in ${quote(g.name)}`,
          ],
        ),
      );
      if (isNew) peerBased++;
    }
    const apps = [...context.peers.apps]
      .filter((a) => a.share >= threshold && !hasApp(context, a.id))
      .sort((a, b) => b.share - a.share || a.id.localeCompare(b.id));
    for (const a of apps) {
      proposals.add(
        proposal(
          'app.assign',
          { userId, appId: a.id },
          a.share,
          `${percent(a.share)} of the peers of ${who(context)} have ${quote(a.label)} (the policy proposes what at least ${percent(threshold)} hold); the user does not.`,
          [
            `${peersText(a.holders, context.peers)} have app ${quote(a.label)}`,
            `${who(context)} does not have ${quote(a.label)}`,
          ],
        ),
      );
      peerBased++;
    }
  }
  return { proposals, birthright, peerBased, problems };
}

function joiner(context: RecommendationContext, policy: PolicyConfig): Outcome {
  const proposals = new Proposals();
  const added = additions(context, policy, proposals);
  const basis = context.peers.sampled > 0 ? ` (peers: ${basisText(context.peers)})` : ' (no peers to compare with)';
  const summary =
    proposals.size === 0
      ? `New ${who(context)}${basis} already has every birthright group and everything most peers hold: no action`
      : `New ${who(context)}${basis} needs ${plural(added.birthright, 'birthright group')} and ${plural(added.peerBased, 'group or app', 'groups or apps')} most peers hold`;
  return { assessment: sentence(summary, added.problems), proposals };
}

// ---------------------------------------------------------------------------------------------------------------------
// Mover: the joiner's additions for the new attributes, and removal of what the new peers do not hold.

function changes(context: RecommendationContext): string[] {
  const previous = context.previousProfile;
  if (!previous) return [];
  const current = context.user.profile;
  // The recorded profile holds the mover attributes only: nothing else can be compared with it.
  return moverDifferences(previous, current).map((name) => {
    const from = profileValue(previous, name);
    const to = profileValue(current, name);
    return `profile.${name} changed from ${from === undefined ? 'nothing' : quote(from)} to ${to === undefined ? 'nothing' : quote(to)}`;
  });
}

function mover(context: RecommendationContext, policy: PolicyConfig): Outcome {
  const userId = context.user.id;
  const proposals = new Proposals();
  const added = additions(context, policy, proposals);
  const changed = changes(context);
  const moveText = changed.length > 0 ? ` (${changed.slice(0, 3).join('; ')})` : '';

  const currentRules = birthrightMatches(policy, context.user.profile);
  const keep = birthrightGroupIds(context, currentRules);
  const previousRules = birthrightMatches(policy, context.previousProfile).filter(
    (r) => !currentRules.some((c) => c.number === r.number),
  );
  const threshold = policy.rules.peerRemovalThreshold;
  const notes = [...added.problems];
  let removals = 0;

  if (context.peers.sampled <= 0) {
    notes.push('no peers to compare with, so nothing is proposed for removal');
  } else {
    for (const group of context.groups) {
      if (group.type !== 'OKTA_GROUP' || keep.has(group.id)) continue;
      const stat = peerShareOf(context, group.id);
      if (!stat) continue; // peer statistics were trimmed: absence proves nothing
      if (stat.share > threshold) continue;
      const oldRule = previousRules.find((r) => birthrightGroupIds(context, [r]).has(group.id));
      proposals.add(
        proposal(
          'group.remove_member',
          { userId, groupId: group.id },
          Math.min(MAX_REMOVAL_CONFIDENCE, 1 - stat.share),
          `${capitalise(who(context))} moved${moveText}; only ${percent(stat.share)} of the new peers are in ${quote(group.name)} (at most ${percent(threshold)} is the policy's removal threshold), and no birthright rule for the new profile gives it.`,
          [
            `${peersText(stat.holders, context.peers)} are in ${quote(group.name)}`,
            ...changed.slice(0, 5),
            `no birthright rule matching the current profile includes ${quote(group.name)}`,
            ...(oldRule
              ? [`birthright rule #${oldRule.number} (${whenText(oldRule.when)}) gave it for the previous profile`]
              : []),
          ],
        ),
      );
      removals++;
    }
  }

  const summary =
    proposals.size === 0
      ? `${capitalise(who(context))} moved${moveText} and already holds what the new role needs, with nothing the new peers lack: no action`
      : `${capitalise(who(context))} moved${moveText}: ${plural(added.birthright + added.peerBased, 'addition')} for the new role and ${plural(removals, 'group')} the new peers do not hold proposed for removal`;
  return { assessment: sentence(summary, notes), proposals };
}

// ---------------------------------------------------------------------------------------------------------------------
// Leaver: deactivation takes everything away; suspension (maybe temporary) only sessions and privilege.

function removeRoles(context: RecommendationContext, proposals: Proposals, why: string): string[] {
  const skipped: string[] = [];
  for (const role of context.roles) {
    // Okta unassigns only a role given to the user; one given to a group goes with the group.
    if (role.viaGroup) continue;
    if (!(ADMIN_ROLE_TYPES as readonly string[]).includes(role.type)) {
      skipped.push(role.type);
      continue;
    }
    proposals.add(
      proposal(
        'role.unassign',
        { userId: context.user.id, roleType: role.type },
        CONFIDENCE.leaverRole,
        `${capitalise(who(context))} was ${why}; an admin role must not outlive the access it was given for.`,
        [`${who(context)} holds the admin role ${role.type}`, `event ${context.event.eventType}`],
      ),
    );
  }
  return skipped;
}

function clearSessions(context: RecommendationContext, confidence: number, rationale: string, evidence: string[]) {
  return proposal(
    'user.clear_sessions',
    { userId: context.user.id, oauthTokens: true },
    confidence,
    rationale,
    evidence,
  );
}

function leaver(context: RecommendationContext, policy: PolicyConfig): Outcome {
  const userId = context.user.id;
  const proposals = new Proposals();
  const event = `event ${context.event.eventType}`;
  const status = `the user's status is ${context.user.status}`;
  const notes: string[] = [];

  // Okta delivers late: a user reactivated (or unsuspended) since is not a leaver any more.
  const expected = context.event.eventType === 'user.lifecycle.suspend' ? 'SUSPENDED' : 'DEPROVISIONED';
  if (context.user.status !== expected && context.user.status !== 'DEPROVISIONED') {
    return {
      assessment: `${capitalise(who(context))} is ${context.user.status} now, not ${expected}: the ${event} no longer describes them (reactivated or unsuspended since?), so nothing is taken away; no action.`,
      proposals,
    };
  }

  if (context.event.eventType === 'user.lifecycle.suspend') {
    proposals.add(
      clearSessions(
        context,
        CONFIDENCE.leaverSessions,
        `${capitalise(who(context))} was suspended; sessions and OAuth tokens still open would outlive the suspension.`,
        [event, status],
      ),
    );
    const skippedRoles = removeRoles(context, proposals, 'suspended');
    for (const group of context.groups) {
      if (group.type !== 'OKTA_GROUP' || !isPrivileged(group.name, policy)) continue;
      proposals.add(
        proposal(
          'group.remove_member',
          { userId, groupId: group.id },
          CONFIDENCE.leaverGroup,
          `${capitalise(who(context))} was suspended and ${quote(group.name)} grants privilege; other memberships stay, since a suspension may be temporary.`,
          [
            `${who(context)} is in ${quote(group.name)}`,
            `${quote(group.name)} matches the policy's privileged groups`,
            event,
          ],
        ),
      );
    }
    if (skippedRoles.length > 0)
      notes.push(`${plural(skippedRoles.length, 'custom role')} cannot be removed by hookpilot`);
    return {
      assessment: sentence(
        `${capitalise(who(context))} was suspended, possibly for a while: sessions, ${plural(proposals.count('role.unassign'), 'admin role')} and ${plural(proposals.count('group.remove_member'), 'privileged group')} proposed for removal, everything else kept`,
        notes,
      ),
      proposals,
    };
  }

  // user.lifecycle.deactivate (and any other leaver event): take everything away.
  for (const group of context.groups) {
    if (group.type !== 'OKTA_GROUP') continue;
    proposals.add(
      proposal(
        'group.remove_member',
        { userId, groupId: group.id },
        CONFIDENCE.leaverGroup,
        `${capitalise(who(context))} was deactivated; a leaver keeps no group memberships.`,
        [`${who(context)} is in ${quote(group.name)} (${group.type})`, event, status],
      ),
    );
  }
  const groupScoped: string[] = [];
  for (const app of context.apps) {
    // How the app is assigned, when the context says (it does for leavers).
    if (app.scope === 'GROUP') {
      groupScoped.push(app.label);
      continue;
    }
    proposals.add(
      proposal(
        'app.unassign',
        { userId, appId: app.id },
        CONFIDENCE.leaverApp,
        `${capitalise(who(context))} was deactivated; a direct app assignment would stay behind.`,
        [
          app.scope === 'USER'
            ? `app ${quote(app.label)} is assigned to ${who(context)} directly`
            : `app ${quote(app.label)} is assigned to ${who(context)} (the context does not say how; an assignment through a group is voided by the executor and goes with the group)`,
          event,
        ],
      ),
    );
  }
  const skippedRoles = removeRoles(context, proposals, 'deactivated');
  // Okta ends the sessions of a user it deprovisions; only a user who is somehow still active needs them cleared.
  const stillActive = context.user.status !== 'DEPROVISIONED';
  if (stillActive) {
    proposals.add(
      clearSessions(
        context,
        CONFIDENCE.leaverSessions,
        `${capitalise(who(context))} was deactivated; no session or OAuth token may remain.`,
        [event, status],
      ),
    );
  }
  if (groupScoped.length > 0)
    notes.push(`${plural(groupScoped.length, 'app')} assigned through groups go with the groups`);
  if (skippedRoles.length > 0)
    notes.push(`${plural(skippedRoles.length, 'custom role')} cannot be removed by hookpilot`);
  return {
    assessment: sentence(
      `${capitalise(who(context))} left (deactivated): ${plural(proposals.count('group.remove_member'), 'group membership')}, ${plural(proposals.count('app.unassign'), 'app')}, ${plural(proposals.count('role.unassign'), 'admin role')}${stillActive ? ' and every session' : ''} proposed for removal`,
      notes,
    ),
    proposals,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Membership: a group was added; question it only when it is privileged and unusual, or completes a toxic pair.

function membership(context: RecommendationContext, policy: PolicyConfig): Outcome {
  const proposals = new Proposals();
  const target = context.event.targets.find((t) => t.type === 'UserGroup');
  if (!target) {
    return { assessment: `The membership event names no group for ${who(context)}: no action.`, proposals };
  }
  const known = knownGroups(context).get(target.id);
  if (!known) {
    return {
      assessment: `${capitalise(who(context))} was added to group ${quote(target.name ?? target.id)}, which the context does not describe: no action.`,
      proposals,
    };
  }
  const { name, type } = known;
  if (type !== 'OKTA_GROUP') {
    return {
      assessment: `${capitalise(who(context))} was added to ${quote(name)}, ${type === 'APP_GROUP' ? 'an APP_GROUP whose members come from its app' : 'a built-in group'}: no action.`,
      proposals,
    };
  }

  const evidence = [`event ${context.event.eventType} added ${who(context)} to ${quote(name)}`];
  if (context.event.actorId !== undefined && context.event.actorId === context.user.id) {
    evidence.push(`${who(context)} added themself`);
  }

  const reasons: string[] = [];
  let confidence = 0;
  const extraEvidence: string[] = [];
  const privileged = isPrivileged(name, policy);
  const stat = peerShareOf(context, target.id);
  const threshold = policy.rules.peerRemovalThreshold;

  if (privileged && stat && stat.share < threshold) {
    confidence = Math.max(confidence, Math.min(MAX_REMOVAL_CONFIDENCE, 1 - stat.share));
    reasons.push(`it grants privilege and only ${percent(stat.share)} of the user's peers hold it`);
    extraEvidence.push(
      `${quote(name)} matches the policy's privileged groups`,
      `${peersText(stat.holders, context.peers)} are in ${quote(name)}`,
    );
  }

  const others = context.groups.filter((g) => g.id !== target.id);
  for (const [a, b] of policy.toxicCombinations) {
    const pairs: [string, string][] = [];
    if (matchesName(a, name)) pairs.push([b, a]);
    if (matchesName(b, name)) pairs.push([a, b]);
    for (const [other] of pairs) {
      const conflicting = others.find((g) => matchesName(other, g.name));
      if (!conflicting) continue;
      confidence = Math.max(confidence, CONFIDENCE.toxic);
      reasons.push(`together with ${quote(conflicting.name)} it is a combination the policy forbids`);
      extraEvidence.push(
        `${who(context)} is also in ${quote(conflicting.name)}`,
        `the policy's toxic combinations include [${quote(a)}, ${quote(b)}]`,
      );
    }
  }

  if (reasons.length === 0) {
    const why = privileged
      ? stat
        ? `${percent(stat.share)} of peers hold it, above the ${percent(threshold)} at which it looks unusual`
        : 'there are no peer statistics to call it unusual'
      : 'it is not a privileged group and completes no forbidden combination';
    return {
      assessment: `${capitalise(who(context))} was added to ${quote(name)}; ${why}: no action.`,
      proposals,
    };
  }
  proposals.add(
    proposal(
      'group.remove_member',
      { userId: context.user.id, groupId: target.id },
      confidence,
      `${capitalise(who(context))} was just added to ${quote(name)}, but ${reasons.join('; and ')}.`,
      [...evidence, ...extraEvidence],
    ),
  );
  return {
    assessment: `${capitalise(who(context))} was added to ${quote(name)}, which looks wrong (${reasons.join('; ')}): removal proposed.`,
    proposals,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Security signals.

interface Failures {
  readonly count: number;
  readonly countries: string[];
}

/** Failed `user.session.start` in the timeline, plus the event itself when it is one (and not already listed). */
function failedSignIns(context: RecommendationContext): Failures {
  const isFailure = (e: { eventType: string; outcome?: string }) =>
    e.eventType === 'user.session.start' && e.outcome?.toUpperCase() === 'FAILURE';
  const failures = context.timeline.filter(isFailure);
  const { event } = context;
  const eventListed = context.timeline.some((e) =>
    e.uuid !== undefined ? e.uuid === event.uuid : e.published === event.published && e.eventType === event.eventType,
  );
  const count = failures.length + (isFailure(event) && !eventListed ? 1 : 0);
  const countries = [...new Set(failures.map((e) => e.country?.trim()).filter((c): c is string => !!c))].sort();
  return { count, countries };
}

const RISK_LEVEL_WORDS = /\b(low|medium|high|critical)\b/gi;

/**
 * The risk level an Okta risk event reports, read leniently from its reason and message: `level=HIGH`, `riskLevel:
 * "HIGH"`, `changed from LOW to HIGH` (the last level wins), or a lone level word.
 */
export function riskLevelOf(event: RecommendationContext['event']): string | undefined {
  const text = [event.reason, event.displayMessage].filter((t): t is string => !!t).join(' ');
  const explicit = [...text.matchAll(/level\W{0,4}(low|medium|high|critical)\b/gi)];
  const to = [...text.matchAll(/\bto\W{0,2}(low|medium|high|critical)\b/gi)];
  const any = [...text.matchAll(RISK_LEVEL_WORDS)];
  const pick = (to.length > 0 ? to : explicit.length > 0 ? explicit : any).at(-1);
  return pick?.[1]?.toUpperCase();
}

function security(context: RecommendationContext, policy: PolicyConfig): Outcome {
  const proposals = new Proposals();
  const { eventType } = context.event;
  const findings: string[] = [];
  const quiet: string[] = [];
  const event = `event ${eventType}${context.event.outcome ? ` (${context.event.outcome})` : ''}`;

  // Failed sign-ins in the window: any security event is read with them.
  const failures = failedSignIns(context);
  const { failedSignInsToClearSessions: clearAt, failedSignInsToSuspend: suspendAt } = policy.rules;
  const failureFacts = [
    `${plural(failures.count, 'failed sign-in')} (user.session.start FAILURE) in the timeline window`,
    ...(failures.countries.length > 0 ? [`failures came from ${failures.countries.map(quote).join(', ')}`] : []),
  ];
  if (failures.count >= clearAt && failures.count > 0) {
    proposals.add(
      clearSessions(
        context,
        CONFIDENCE.failuresClearSessions,
        `${plural(failures.count, 'failed sign-in')} for ${who(context)} reach the policy's ${clearAt}: a session an attacker may have opened is ended.`,
        [...failureFacts, `the policy clears sessions from ${clearAt} failures`],
      ),
    );
    const manyCountries = failures.countries.length >= SEVERAL_COUNTRIES;
    if (failures.count >= suspendAt || manyCountries) {
      proposals.add(
        proposal(
          'user.suspend',
          { userId: context.user.id },
          CONFIDENCE.failuresSuspend,
          manyCountries && failures.count < suspendAt
            ? `Failed sign-ins for ${who(context)} came from ${failures.countries.length} countries in one window, which one person cannot do: the account looks under attack.`
            : `${plural(failures.count, 'failed sign-in')} for ${who(context)} reach the policy's ${suspendAt}: the account looks under attack.`,
          [...failureFacts, `the policy suspends from ${suspendAt} failures or failures from several countries`],
        ),
      );
    }
    findings.push(
      `${plural(failures.count, 'failed sign-in')}${failures.countries.length > 1 ? ` from ${failures.countries.length} countries` : ''}`,
    );
  } else if (eventType === 'user.session.start') {
    quiet.push(
      `${plural(failures.count, 'failed sign-in')} in the window, below the ${clearAt} at which the policy clears sessions`,
    );
  }

  if (eventType === 'user.account.lock') {
    proposals.add(
      clearSessions(
        context,
        CONFIDENCE.lockClearSessions,
        `${capitalise(who(context))} was locked out; sessions opened before the lock are ended.`,
        [event, `the user's status is ${context.user.status}`],
      ),
    );
    proposals.add(
      proposal(
        'user.reset_password',
        { userId: context.user.id },
        CONFIDENCE.lockResetPassword,
        `${capitalise(who(context))} was locked out, possibly by someone guessing the password: a reset email lets the real user back in with a new one.`,
        [event, ...failureFacts],
      ),
    );
    findings.push('an account lock-out');
  } else if (eventType === 'user.mfa.factor.reset_all') {
    proposals.add(
      clearSessions(
        context,
        CONFIDENCE.mfaResetClearSessions,
        `Every MFA factor of ${who(context)} was reset; sessions opened with the old factors are ended.`,
        [event],
      ),
    );
    findings.push('a reset of every MFA factor');
  } else if (eventType === 'security.breached_credential.detected') {
    proposals.add(
      clearSessions(
        context,
        CONFIDENCE.breachedClearSessions,
        `The credentials of ${who(context)} were found in a breach; sessions opened with them are ended.`,
        [event],
      ),
    );
    proposals.add(
      proposal(
        'user.expire_password',
        { userId: context.user.id },
        CONFIDENCE.breachedExpirePassword,
        `The password of ${who(context)} is known to be breached: the user must choose a new one at the next sign-in.`,
        [event],
      ),
    );
    findings.push('breached credentials');
  } else if (eventType.startsWith('user.risk.')) {
    const level = riskLevelOf(context.event);
    const levelFact = `risk level ${level ?? 'not stated'} in ${event}`;
    if (level === 'HIGH' || level === 'CRITICAL') {
      proposals.add(
        clearSessions(
          context,
          CONFIDENCE.riskClearSessions,
          `Okta rates ${who(context)} at ${level} risk; current sessions may be an attacker's.`,
          [levelFact],
        ),
      );
      proposals.add(
        proposal(
          'user.suspend',
          { userId: context.user.id },
          CONFIDENCE.riskSuspend,
          `Okta rates ${who(context)} at ${level} risk: suspending stops further access until someone looks.`,
          [levelFact],
        ),
      );
      findings.push(`${level} risk`);
    } else {
      quiet.push(`the risk level is ${level ?? 'not stated'}, not HIGH`);
    }
  } else if (eventType !== 'user.session.start') {
    quiet.push(`the rules have nothing for ${eventType}`);
  }

  if (proposals.size === 0) {
    const why = quiet.length > 0 ? quiet.join('; ') : 'nothing reaches a threshold of the policy';
    return { assessment: `Security signal ${eventType} for ${who(context)}: ${why}; no action.`, proposals };
  }
  return {
    assessment: `Security signal ${eventType} for ${who(context)}: ${findings.join(' and ')}, so the account may be compromised.`,
    proposals,
  };
}

// ---------------------------------------------------------------------------------------------------------------------

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One sentence: the summary, then any notes after a semicolon. */
function sentence(summary: string, notes: readonly string[]): string {
  return `${summary}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}.`;
}
