import type { EntitlementRules } from '../domain/inline-config.ts';
import type { ActiveGrants } from '../ports.ts';
import type { Budget } from './inline-budget.ts';

/** What the token and SAML hooks know about the person, from the request alone. */
export interface EntitlementSubject {
  readonly userId?: string;
  /** Group names, when the request carries a `groups` claim (the authorization server emits one). */
  readonly groups: readonly string[];
  readonly profile: Readonly<Record<string, unknown>>;
}

export interface Entitlements {
  readonly entitlements: readonly string[];
  /** The mappings that matched (names or positions), for the audit trail. */
  readonly rules: readonly string[];
  /** Set when the grants store was asked and did not answer in time (`grants_timeout`, `grants_error`). */
  readonly fallback?: string;
  readonly fromGrants: number;
}

/** `*` matches any run of characters; case-insensitive (emails, logins). */
function glob(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${source}$`, 'i').test(value);
}

function profileMatches(
  expected: Readonly<Record<string, string | number | boolean>>,
  profile: Record<string, unknown>,
) {
  return Object.entries(expected).every(([attribute, want]) => {
    const have = profile[attribute];
    if (typeof want === 'string') return typeof have === 'string' && glob(want, have);
    return have === want;
  });
}

/**
 * The configured group→entitlement and profile→entitlement mappings applied to one person (every matching mapping
 * contributes). A mapping with both `groups` and `profile` needs both.
 */
export function mappedEntitlements(subject: EntitlementSubject, rules: EntitlementRules): Entitlements {
  const found = new Set<string>();
  const matched: string[] = [];
  const groups = new Set(subject.groups.map((g) => g.toLowerCase()));
  rules.mappings.forEach((mapping, index) => {
    if (!mapping.groups && !mapping.profile) return;
    if (mapping.groups && !mapping.groups.some((g) => groups.has(g.toLowerCase()))) return;
    if (mapping.profile && !profileMatches(mapping.profile, subject.profile as Record<string, unknown>)) return;
    matched.push(mapping.name ?? `mappings[${index}]`);
    for (const entitlement of mapping.entitlements) found.add(entitlement);
  });
  return { entitlements: [...found].sort(), rules: matched, fromGrants: 0 };
}

/** How long the grants store may take: one DynamoDB query, well inside the budget. */
const GRANTS_TIMEOUT_MS = 600;
const GRANTS_RESERVE_MS = 300;

/**
 * Mappings, plus the person's active time-bound grants when a grants store is wired (one read under a hard timeout; if
 * it fails or is slow, the mappings alone answer and the fallback is recorded).
 */
export async function entitlementsOf(
  subject: EntitlementSubject,
  rules: EntitlementRules,
  options: { readonly grants?: ActiveGrants; readonly budget: Budget; readonly at: Date },
): Promise<Entitlements> {
  const mapped = mappedEntitlements(subject, rules);
  const { grants } = options;
  if (!grants || !subject.userId) return mapped;
  const userId = subject.userId;
  const step = await options.budget.step((signal) => grants.entitlementsOf(userId, options.at, signal), {
    timeoutMs: GRANTS_TIMEOUT_MS,
    reserveMs: GRANTS_RESERVE_MS,
  });
  if (!step.ok) return { ...mapped, fallback: `grants_${step.reason}` };
  const all = new Set([...mapped.entitlements, ...step.value]);
  return { ...mapped, entitlements: [...all].sort(), fromGrants: step.value.length };
}

/** Group names from a token's `groups` claim (access or ID), when present. */
export function groupsFromClaims(...claims: (Readonly<Record<string, unknown>> | null | undefined)[]): string[] {
  const out = new Set<string>();
  for (const c of claims) {
    const groups = c?.groups;
    if (Array.isArray(groups)) for (const g of groups) if (typeof g === 'string') out.add(g);
  }
  return [...out];
}
