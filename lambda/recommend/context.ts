import type { Intent } from '../domain/intent.ts';
import { isPrivileged, meetsWhen, type PolicyConfig } from '../domain/policy-config.ts';
import type { AppFact, GroupFact, PeerStats, RecommendationContext, TimelineEntry } from '../domain/recommendation.ts';
import { pathBeyondDepth } from '../json-depth.ts';
import type { LogEvent } from '../okta/event-hook.ts';
import type { AuditLog } from '../ports.ts';
import { type OktaDirectory, type OktaGroup, type OktaUser, searchLiteral } from '../ports.ts';
import { lastSeenProfile } from './mover.ts';

/** Profile attributes worth a recommender's attention (the rest of a profile is noise, or private). */
export const CONTEXT_ATTRIBUTES = [
  'login',
  'email',
  'firstName',
  'lastName',
  'displayName',
  'title',
  'department',
  'division',
  'organization',
  'costCenter',
  'employeeNumber',
  'userType',
  'city',
  'state',
  'countryCode',
  'managerId',
  'manager',
] as const;

const MAX_VALUE_CHARS = 200;
/** How many Okta reads one context build has in flight at once (Okta's rate limits are per org). */
const OKTA_CONCURRENCY = 4;

export interface BuildContextInput {
  readonly intent: Intent;
  readonly event: LogEvent;
  readonly subjectUserId: string;
  readonly policy: PolicyConfig;
}

export interface BuildContextDeps {
  readonly okta: OktaDirectory;
  readonly audit: AuditLog;
}

/**
 * Gathers what a careful admin would look at before acting on an event: the user (profile, status, groups, apps, admin
 * roles, manager), what peers with the same department — then title and city — hold, with counts, the groups the policy
 * names, the previous profile for a mover and the recent System Log for a security signal. Trimmed to the policy's size
 * budget. Returns undefined when the user no longer exists.
 */
export async function buildContext(
  input: BuildContextInput,
  deps: BuildContextDeps,
): Promise<RecommendationContext | undefined> {
  const { okta } = deps;
  const user = await okta.getUser(input.subjectUserId);
  if (!user) return undefined;
  const [groups, links, roles, manager, previousProfile, timeline] = await Promise.all([
    okta.listUserGroups(user.id),
    okta.listAppLinks(user.id),
    okta.listRoles(user.id),
    findManager(user, okta),
    input.intent === 'mover' ? lastSeenProfile(user.id, deps.audit) : Promise.resolve(undefined),
    input.intent === 'security' ? readTimeline(user.id, input.event, input.policy, okta) : Promise.resolve([]),
  ]);
  const userApps = uniqueApps(links.map((l) => ({ id: l.appInstanceId, label: l.label })));
  const [peers, candidateGroups, apps] = await Promise.all([
    peerStats(user, input.policy, okta),
    resolveCandidateGroups(user, input, okta),
    // A leaver's direct assignments can be removed; those through groups go with the groups.
    input.intent === 'leaver' ? withScopes(user.id, userApps, okta) : Promise.resolve(userApps),
  ]);
  const named = new Set(candidateGroups.map((g) => g.id));
  const context: RecommendationContext = {
    intent: input.intent,
    event: summariseEvent(input.event),
    user: { id: user.id, status: user.status, login: user.profile.login, profile: selectProfile(user.profile) },
    ...(previousProfile ? { previousProfile } : {}),
    // Privileged groups first, then those the policy names (birthright…), then the ones hookpilot may change:
    // trimming keeps what matters most (a user in hundreds of groups still shows the birthright groups they hold).
    groups: groups
      .map(groupFact)
      .sort(
        (a, b) =>
          Number(isPrivileged(b.name, input.policy)) - Number(isPrivileged(a.name, input.policy)) ||
          Number(named.has(b.id)) - Number(named.has(a.id)) ||
          Number(b.type === 'OKTA_GROUP') - Number(a.type === 'OKTA_GROUP') ||
          a.name.localeCompare(b.name),
      ),
    apps,
    // A role through a group goes with the group: say so (it cannot be unassigned from the user).
    roles: roles.map((r) => ({ type: r.type, ...(r.assignmentType === 'GROUP' ? { viaGroup: true } : {}) })),
    ...(manager ? { manager } : {}),
    peers,
    candidateGroups,
    timeline,
    truncated: [],
  };
  return trimToBudget(context, input.policy.context.maxChars);
}

function summariseEvent(event: LogEvent): RecommendationContext['event'] {
  const debugData = (event.debugContext as { debugData?: Record<string, unknown> } | undefined)?.debugData;
  const changed = typeof debugData?.changedAttributes === 'string' ? debugData.changedAttributes : undefined;
  return {
    uuid: event.uuid,
    eventType: event.eventType,
    published: event.published,
    ...(event.outcome?.result ? { outcome: event.outcome.result } : {}),
    ...(event.outcome?.reason ? { reason: trim(event.outcome.reason) } : {}),
    ...(event.displayMessage ? { displayMessage: trim(event.displayMessage) } : {}),
    ...(event.actor?.id ? { actorId: event.actor.id } : {}),
    targets: (event.target ?? []).slice(0, 10).map((t) => ({
      id: t.id,
      type: t.type,
      ...(t.displayName ? { name: trim(t.displayName) } : {}),
    })),
    ...(changed
      ? {
          changedAttributes: changed
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean)
            .slice(0, 50),
        }
      : {}),
  };
}

function selectProfile(profile: Readonly<Record<string, unknown>>): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const key of CONTEXT_ATTRIBUTES) {
    const value = profile[key];
    if (value === undefined) continue;
    out[key] =
      typeof value === 'string'
        ? trim(value)
        : typeof value === 'number' || typeof value === 'boolean' || value === null
          ? value
          : // bounded: a value nested deeper than Okta's own (arrays of strings) is not serialised at all
            pathBeyondDepth(value, 8)
            ? '[nested value]'
            : trim(JSON.stringify(value));
  }
  return out;
}

const trim = (value: string) => (value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS - 1)}…` : value);
const groupFact = (g: OktaGroup): GroupFact => ({ id: g.id, name: trim(g.name), type: g.type });
const uniqueApps = (apps: AppFact[]) => [
  ...new Map(apps.map((a) => [a.id, { id: a.id, label: trim(a.label) }])).values(),
];

/** The manager named by `managerId` (an Okta id, a login, or — as in many HR feeds — an employee number); the notifier uses it too. */
export async function findManager(
  user: OktaUser,
  okta: Pick<OktaDirectory, 'getUser' | 'searchUsers'>,
): Promise<RecommendationContext['manager']> {
  const ref = user.profile.managerId;
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 200) return undefined;
  const manager =
    /^00u[A-Za-z0-9]{17}$/.test(ref) || ref.includes('@')
      ? await okta.getUser(ref)
      : (await okta.searchUsers(`profile.employeeNumber eq ${searchLiteral(ref)}`, 1))[0];
  if (!manager) return undefined;
  const p = manager.profile;
  return {
    id: manager.id,
    login: p.login,
    ...(typeof p.displayName === 'string'
      ? { displayName: trim(p.displayName) }
      : typeof p.firstName === 'string'
        ? { displayName: trim(`${p.firstName} ${String(p.lastName ?? '')}`.trim()) }
        : {}),
    ...(typeof p.title === 'string' ? { title: trim(p.title) } : {}),
    ...(typeof p.department === 'string' ? { department: trim(p.department) } : {}),
  };
}

/**
 * Peers: active users in the same department, preferring those who also share the title and the city. Each costs two
 * Okta reads, so at most `context.maxPeers` are looked at.
 */
async function peerStats(user: OktaUser, policy: PolicyConfig, okta: OktaDirectory): Promise<PeerStats> {
  const department = user.profile.department;
  const empty: PeerStats = { basis: {}, sampled: 0, groups: [], apps: [] };
  if (
    typeof department !== 'string' ||
    department.length === 0 ||
    department.length > 100 ||
    policy.context.maxPeers === 0
  )
    return empty;
  const candidates = (
    await okta.searchUsers(
      `profile.department eq ${searchLiteral(department)} and status eq "ACTIVE"`,
      policy.context.maxPeers * 3,
    )
  ).filter((p) => p.id !== user.id);
  const same = (peer: OktaUser, key: string) =>
    user.profile[key] !== undefined && peer.profile[key] === user.profile[key];
  const ranked = [...candidates].sort(
    (a, b) =>
      Number(same(b, 'title')) * 2 +
        Number(same(b, 'city')) -
        (Number(same(a, 'title')) * 2 + Number(same(a, 'city'))) || a.id.localeCompare(b.id),
  );
  const peers = ranked.slice(0, policy.context.maxPeers);
  if (peers.length === 0) return { ...empty, basis: { department: trim(department) } };

  const holdings = await mapLimit(peers, OKTA_CONCURRENCY, (peer) => holdingsOf(peer.id, okta));
  const groupCounts = new Map<string, { fact: GroupFact; holders: number }>();
  const appCounts = new Map<string, { fact: AppFact; holders: number }>();
  for (const held of holdings) {
    for (const g of held.groups) {
      const entry = groupCounts.get(g.id) ?? { fact: groupFact(g), holders: 0 };
      entry.holders += 1;
      groupCounts.set(g.id, entry);
    }
    for (const a of held.apps) {
      const entry = appCounts.get(a.id) ?? { fact: a, holders: 0 };
      entry.holders += 1;
      appCounts.set(a.id, entry);
    }
  }
  const share = (holders: number) => Math.round((holders / peers.length) * 100) / 100;
  const byShare = <T extends { holders: number; fact: { id: string } }>(a: T, b: T) =>
    b.holders - a.holders || a.fact.id.localeCompare(b.fact.id);
  const basis: Record<string, string> = { department: trim(department) };
  for (const key of ['title', 'city'] as const) {
    const value = user.profile[key];
    if (typeof value === 'string' && peers.some((p) => same(p, key))) basis[`preferring ${key}`] = trim(value);
  }
  return {
    basis,
    sampled: peers.length,
    groups: [...groupCounts.values()]
      .sort(byShare)
      .map((e) => ({ ...e.fact, holders: e.holders, share: share(e.holders) })),
    apps: [...appCounts.values()]
      .sort(byShare)
      .map((e) => ({ ...e.fact, holders: e.holders, share: share(e.holders) })),
  };
}

const MAX_SCOPE_LOOKUPS = 30;

async function withScopes(userId: string, apps: AppFact[], okta: OktaDirectory): Promise<AppFact[]> {
  return mapLimit(apps, OKTA_CONCURRENCY, async (app, i) => {
    if (i >= MAX_SCOPE_LOOKUPS) return app;
    const assignment = await okta.getAppAssignment(app.id, userId);
    return assignment ? { ...app, scope: assignment.scope } : app;
  });
}

/**
 * What one peer holds. Kept for a few minutes in a warm function: a burst of events about similar users (a hiring wave,
 * a re-org) reads each peer once instead of once per event — Okta's rate limits are per org. One cache per directory
 * (a Lambda has one; the evaluation harness one per simulated org), so two orgs never share what a user id holds.
 */
const HOLDINGS_TTL_MS = 5 * 60_000;
const MAX_CACHED_HOLDINGS = 2000;
type HoldingsCache = Map<string, { at: number; value: Promise<{ groups: OktaGroup[]; apps: AppFact[] }> }>;
const holdingsCaches = new WeakMap<OktaDirectory, HoldingsCache>();

function holdingsOf(userId: string, okta: OktaDirectory): Promise<{ groups: OktaGroup[]; apps: AppFact[] }> {
  let holdingsCache = holdingsCaches.get(okta);
  if (!holdingsCache) {
    holdingsCache = new Map();
    holdingsCaches.set(okta, holdingsCache);
  }
  const cache = holdingsCache;
  const now = Date.now();
  const cached = holdingsCache.get(userId);
  if (cached && now - cached.at < HOLDINGS_TTL_MS) return cached.value;
  const value = Promise.all([okta.listUserGroups(userId), okta.listAppLinks(userId)]).then(([groups, links]) => ({
    groups,
    apps: uniqueApps(links.map((l) => ({ id: l.appInstanceId, label: l.label }))),
  }));
  value.catch(() => cache.delete(userId)); // never keep a failure
  if (holdingsCache.size >= MAX_CACHED_HOLDINGS) holdingsCache.delete(holdingsCache.keys().next().value as string);
  holdingsCache.set(userId, { at: now, value });
  return value;
}

/** Groups the policy names that matter for this user: birthright groups for their attributes, the event's group, exact privileged names. */
async function resolveCandidateGroups(
  user: OktaUser,
  input: BuildContextInput,
  okta: OktaDirectory,
): Promise<GroupFact[]> {
  const names = new Set<string>();
  for (const rule of input.policy.birthright) {
    if (meetsWhen(rule.when, user.profile)) for (const g of rule.groups) names.add(g);
  }
  for (const [a, b] of input.policy.toxicCombinations) {
    names.add(a);
    names.add(b);
  }
  for (const pattern of input.policy.privilegedGroups) if (!pattern.includes('*')) names.add(pattern);
  const found = await mapLimit([...names].slice(0, 50), OKTA_CONCURRENCY, (name) => okta.findGroupByName(name));
  const facts = found.filter((g): g is OktaGroup => g !== undefined).map(groupFact);
  for (const target of input.event.target ?? []) {
    if (target.type === 'UserGroup' && !facts.some((f) => f.id === target.id)) {
      const group = await okta.getGroup(target.id);
      if (group) facts.push(groupFact(group));
    }
  }
  return facts;
}

/** The user's System Log around the event: what they did and what was done to them. */
async function readTimeline(
  userId: string,
  event: LogEvent,
  policy: PolicyConfig,
  okta: OktaDirectory,
): Promise<TimelineEntry[]> {
  const at = Date.parse(event.published);
  const since = new Date(at - policy.context.timelineMinutes * 60_000).toISOString();
  const until = new Date(at + 5 * 60_000).toISOString();
  const events = await okta.listLogEvents({
    since,
    until,
    filter: `actor.id eq ${searchLiteral(userId)} or target.id eq ${searchLiteral(userId)}`,
    limit: policy.context.maxTimelineEntries,
  });
  return events.map((e) => {
    const client = e.client as
      | { ipAddress?: string; geographicalContext?: { city?: string; country?: string } }
      | undefined;
    return {
      uuid: e.uuid,
      published: e.published,
      eventType: e.eventType,
      ...(e.outcome?.result ? { outcome: e.outcome.result } : {}),
      ...(e.outcome?.reason ? { reason: trim(e.outcome.reason) } : {}),
      ...(client?.ipAddress ? { ipAddress: trim(client.ipAddress) } : {}),
      ...(client?.geographicalContext?.city ? { city: trim(client.geographicalContext.city) } : {}),
      ...(client?.geographicalContext?.country ? { country: trim(client.geographicalContext.country) } : {}),
    };
  });
}

/**
 * Drops the least useful facts until the context fits, saying what went. Each step shortens one list — the oldest
 * timeline entries first, then what few peers hold, then the user's own apps and groups (privileged groups come first,
 * so they stay) — keeping as much of it as fits, but never less than its floor before moving on to the next.
 */
export function trimToBudget(context: RecommendationContext, maxChars: number): RecommendationContext {
  const size = (c: RecommendationContext) => JSON.stringify(c).length;
  let c: RecommendationContext = context;
  const steps: readonly { path: ListPath; floor: number; note: (n: number) => string; fromStart?: boolean }[] = [
    { path: 'timeline', floor: 10, note: (n) => `the timeline's ${n} oldest entries`, fromStart: true },
    { path: 'peers.apps', floor: 15, note: (n) => `${n} apps few peers hold` },
    { path: 'peers.groups', floor: 25, note: (n) => `${n} groups few peers hold` },
    { path: 'apps', floor: 30, note: (n) => `${n} of the user's apps` },
    { path: 'groups', floor: 40, note: (n) => `${n} of the user's groups` },
    { path: 'peers.groups', floor: 10, note: (n) => `${n} more peer groups` },
    { path: 'groups', floor: 15, note: (n) => `${n} more of the user's groups` },
  ];
  for (const step of steps) {
    if (size(c) <= maxChars) break;
    const length = listAt(c, step.path).length;
    if (length <= step.floor) continue;
    // The largest number of items (≥ floor) that fits; the floor when nothing longer does.
    const trimmed = (count: number): RecommendationContext => ({
      ...keep(c, step.path, count, step.fromStart),
      truncated: [...c.truncated, `left out ${step.note(length - count)}`],
    });
    let low = step.floor;
    let high = length - 1;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (size(trimmed(mid)) <= maxChars) low = mid;
      else high = mid - 1;
    }
    c = trimmed(low);
  }
  return c;
}

type ListPath = 'timeline' | 'apps' | 'groups' | 'peers.apps' | 'peers.groups';

function listAt(c: RecommendationContext, path: ListPath): readonly unknown[] {
  return path.startsWith('peers.')
    ? c.peers[path.slice(6) as 'apps' | 'groups']
    : c[path as 'timeline' | 'apps' | 'groups'];
}

function keep(c: RecommendationContext, path: ListPath, count: number, fromStart = false): RecommendationContext {
  const list = listAt(c, path);
  const kept = fromStart ? list.slice(list.length - count) : list.slice(0, count);
  if (path.startsWith('peers.')) return { ...c, peers: { ...c.peers, [path.slice(6)]: kept } } as RecommendationContext;
  return { ...c, [path]: kept } as RecommendationContext;
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
