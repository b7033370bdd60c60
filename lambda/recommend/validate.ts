import { canonicalJson } from '../domain/approval.ts';
import { type Action, ActionSchema, definitionOf, maxRisk, type RiskLevel, riskOf } from '../domain/catalog.ts';
import { isPrivileged, matchesName, meetsWhen, type PolicyConfig } from '../domain/policy-config.ts';
import type {
  Proposal,
  RecommendationContext,
  RecommendationResult,
  RejectedProposal,
  ValidProposal,
} from '../domain/recommendation.ts';

/**
 * The gate between a recommender and the policy. Whatever wrote the proposals (a model, possibly compromised, or the
 * rules recommender), each one must be a catalog action whose parameters pass the catalog schema, on the event's own
 * subject, on group and app ids that were in the gathered context, touching nothing protected, with a finite
 * confidence, and not a repeat. Everything else is rejected with a reason. Nothing here throws on bad input.
 */

/** What the audit trail keeps of a proposal. */
export const AUDIT_LIMITS = {
  rationaleChars: 1000,
  evidenceItems: 10,
  evidenceChars: 300,
  paramsJsonChars: 2000,
  typeChars: 100,
} as const;

export interface ValidationResult {
  readonly valid: ValidProposal[];
  readonly rejected: RejectedProposal[];
}

export function validateProposals(
  result: RecommendationResult,
  context: RecommendationContext,
  policy: PolicyConfig,
): ValidationResult {
  const valid: ValidProposal[] = [];
  const rejected: RejectedProposal[] = [];
  const proposals: readonly unknown[] = Array.isArray(result?.proposals) ? result.proposals : [];
  const facts = contextFacts(context, policy);
  const seen = new Set<string>();
  const max = policy.limits.maxProposalsPerEvent;

  // An index loop, not forEach: a hole in a sparse array is a proposal too (rejected as not an object).
  for (let index = 0; index < proposals.length; index += 1) {
    const raw = proposals[index];
    let outcome: { valid: ValidProposal } | { reason: string };
    try {
      outcome =
        index >= max
          ? { reason: `beyond the limit of ${max} proposals per event (this is number ${index + 1})` }
          : check(raw, facts, policy, seen);
    } catch {
      outcome = { reason: 'could not be validated' };
    }
    if ('valid' in outcome) valid.push(outcome.valid);
    else rejected.push({ proposal: auditCopy(raw), reason: outcome.reason });
  }
  return { valid, rejected };
}

interface ContextFacts {
  readonly subjectId: string;
  readonly subjectProtected: string | undefined;
  /** Every group id in the context, with the name(s) it was seen under. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly apps: ReadonlySet<string>;
  /** The names of the groups the subject is in now. */
  readonly heldGroupNames: readonly string[];
  /** Group types by id (only OKTA_GROUP memberships can be changed). */
  readonly groupTypes: ReadonlyMap<string, string>;
  /**
   * Groups the context itself justifies adding the subject to: a birthright rule matching the profile gives it, or at
   * least the policy's peer share holds it. Anything else is a judgement a human should confirm.
   */
  readonly justified: ReadonlySet<string>;
}

function contextFacts(context: RecommendationContext, policy: PolicyConfig): ContextFacts {
  const groups = new Map<string, string[]>();
  for (const g of [...context.groups, ...context.peers.groups, ...context.candidateGroups]) {
    const names = groups.get(g.id) ?? [];
    if (!names.includes(g.name)) names.push(g.name);
    groups.set(g.id, names);
  }
  const apps = new Set([...context.apps, ...context.peers.apps].map((a) => a.id));
  const groupTypes = new Map<string, string>();
  for (const g of [...context.groups, ...context.peers.groups, ...context.candidateGroups])
    groupTypes.set(g.id, g.type);
  const birthrightNames = policy.birthright
    .filter((rule) => meetsWhen(rule.when, context.user.profile))
    .flatMap((rule) => rule.groups);
  const justified = new Set<string>([
    ...context.peers.groups.filter((g) => g.share >= policy.rules.peerShareThreshold).map((g) => g.id),
    ...[...context.groups, ...context.peers.groups, ...context.candidateGroups]
      .filter((g) => birthrightNames.includes(g.name))
      .map((g) => g.id),
  ]);
  return {
    subjectId: context.user.id,
    subjectProtected: whyUserProtected(context, policy),
    groups,
    apps,
    heldGroupNames: context.groups.map((g) => g.name),
    groupTypes,
    justified,
  };
}

/** Why the subject is protected, or undefined. Logins compare without case (Okta's do). */
function whyUserProtected(context: RecommendationContext, policy: PolicyConfig): string | undefined {
  const { id, login } = context.user;
  const listed = policy.protected.users.find((u) => u === id || u.toLowerCase() === login.toLowerCase());
  if (listed !== undefined) return `user ${id} is protected by the policy`;
  for (const entry of policy.protected.membersOf) {
    const group = context.groups.find((g) => g.id === entry || matchesName(entry, g.name));
    if (group) return `user ${id} is a member of ${quote(group.name)}, whose members are protected by the policy`;
  }
  return undefined;
}

function check(
  raw: unknown,
  facts: ContextFacts,
  policy: PolicyConfig,
  seen: Set<string>,
): { valid: ValidProposal } | { reason: string } {
  if (!isRecord(raw)) return { reason: 'not a proposal object' };
  const { type, params, confidence } = raw;
  if (typeof type !== 'string' || type.length === 0) return { reason: 'has no action type' };
  if (!definitionOf(type)) return { reason: `${quote(type)} is not a catalog action` };
  if (!isRecord(params)) return { reason: `the parameters of ${type} are not an object` };

  const parsed = ActionSchema.safeParse({ type, params });
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.slice(1).join('.') || '(params)'}: ${i.message}`)
      .join('; ');
    return { reason: trimText(`the parameters do not fit ${type}: ${issues}`, 300) };
  }
  const action = parsed.data;
  const { userId } = action.params;

  if (userId !== facts.subjectId)
    return { reason: `targets user ${userId}, not the event's subject ${facts.subjectId}` };
  const groupId = 'groupId' in action.params ? action.params.groupId : undefined;
  const groupNames = groupId === undefined ? [] : facts.groups.get(groupId);
  if (groupId !== undefined && groupNames === undefined) return { reason: `group ${groupId} is not in the context` };
  const groupType = groupId === undefined ? undefined : facts.groupTypes.get(groupId);
  if (groupType !== undefined && groupType !== 'OKTA_GROUP') {
    return {
      reason: `group ${groupId} is ${groupType === 'APP_GROUP' ? 'an APP_GROUP' : 'built in'}; its members cannot be changed`,
    };
  }
  const appId = 'appId' in action.params ? action.params.appId : undefined;
  if (appId !== undefined && !facts.apps.has(appId)) return { reason: `app ${appId} is not in the context` };

  if (facts.subjectProtected) return { reason: facts.subjectProtected };
  if (groupId !== undefined) {
    const entry = policy.protected.groups.find(
      (p) => p === groupId || (groupNames ?? []).some((name) => matchesName(p, name)),
    );
    if (entry !== undefined) return { reason: `group ${groupId} is protected by the policy` };
  }

  if (typeof confidence !== 'number' || !Number.isFinite(confidence)) {
    return { reason: 'the confidence is not a finite number' };
  }

  const key = canonicalJson(action);
  if (seen.has(key)) return { reason: `a duplicate of an earlier ${type} proposal` };
  seen.add(key);

  return {
    valid: {
      action,
      risk: riskWithContext(action, groupNames ?? [], facts, policy),
      confidence: Math.min(1, Math.max(0, confidence)),
      rationale: typeof raw.rationale === 'string' ? trimText(raw.rationale, AUDIT_LIMITS.rationaleChars) : '',
      evidence: trimEvidence(raw.evidence),
    },
  };
}

/**
 * The catalog's risk, raised to high for an addition to a privileged group or one that completes a toxic combination
 * (both by the group's name in the context), and to medium for an addition that neither a birthright rule nor the
 * subject's peers justify — so whatever a model claims, only additions the context supports can run on their own.
 */
function riskWithContext(
  action: Action,
  groupNames: readonly string[],
  facts: ContextFacts,
  policy: PolicyConfig,
): RiskLevel {
  const risk = riskOf(action);
  if (action.type !== 'group.add_member') return risk;
  const privileged = groupNames.some((name) => isPrivileged(name, policy));
  const held = facts.heldGroupNames;
  const completes = (adding: string, other: string) =>
    groupNames.some((name) => matchesName(adding, name)) && held.some((name) => matchesName(other, name));
  const toxic = policy.toxicCombinations.some(([a, b]) => completes(a, b) || completes(b, a));
  if (privileged || toxic) return maxRisk(risk, 'high');
  const groupId = (action.params as { groupId: string }).groupId;
  return facts.justified.has(groupId) ? risk : maxRisk(risk, 'medium');
}

// --- Trimming for the audit trail -------------------------------------------------------------------------------

/** A copy of whatever was received, shaped as a Proposal and small enough for the audit trail. */
function auditCopy(raw: unknown): Proposal {
  try {
    return trimmedProposal(isRecord(raw) ? raw : { params: raw });
  } catch {
    // e.g. a getter that throws: keep what can be said safely.
    return {
      type: '',
      params: { unreadable: 'the proposal could not be read' },
      confidence: Number.NaN,
      rationale: '',
      evidence: [],
    };
  }
}

function trimmedProposal(r: Record<string, unknown>): Proposal {
  return {
    type: typeof r.type === 'string' ? trimText(r.type, AUDIT_LIMITS.typeChars) : '',
    params: auditParams(r.params),
    confidence: typeof r.confidence === 'number' ? r.confidence : Number.NaN,
    rationale: typeof r.rationale === 'string' ? trimText(r.rationale, AUDIT_LIMITS.rationaleChars) : '',
    evidence: trimEvidence(r.evidence),
  };
}

/** Params as plain JSON data whose JSON text is at most `paramsJsonChars` long. */
function auditParams(params: unknown): Readonly<Record<string, unknown>> {
  if (params === undefined) return {};
  const json = safeJson(params);
  if (json === undefined) return { unreadable: 'the parameters could not be serialised' };
  if (isRecord(params) && json.length <= AUDIT_LIMITS.paramsJsonChars) {
    const copy: unknown = JSON.parse(json);
    if (isRecord(copy)) return copy;
  }
  const key = isRecord(params) ? 'truncated' : 'received';
  // JSON escaping can make the text longer than the slice: shrink until the whole object fits.
  let length = AUDIT_LIMITS.paramsJsonChars - key.length - 10;
  for (;;) {
    const copy = { [key]: trimText(json, length) };
    if (JSON.stringify(copy).length <= AUDIT_LIMITS.paramsJsonChars) return copy;
    length = Math.floor(length / 2);
  }
}

function trimEvidence(evidence: unknown): string[] {
  if (!Array.isArray(evidence)) return [];
  const texts: string[] = [];
  for (const item of evidence) {
    if (texts.length >= AUDIT_LIMITS.evidenceItems) break;
    if (typeof item === 'string') texts.push(trimText(item, AUDIT_LIMITS.evidenceChars));
  }
  return texts;
}

/** At most `max` characters, an ellipsis marking a cut (never splitting a surrogate pair). */
export function trimText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return text.slice(0, Math.max(0, max));
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A received string, quoted and short, for a reason. */
function quote(text: string): string {
  return JSON.stringify(trimText(text, 60));
}
