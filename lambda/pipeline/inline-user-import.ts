import type { InlineConfig } from '../domain/inline-config.ts';
import {
  type InlineCommand,
  importAppUserProfileUpdate,
  importLinkUser,
  importResult,
  type ProfileValues,
} from '../okta/inline-commands.ts';
import type { UserImportRequest } from '../okta/inline-user-import.ts';
import type { InlineUseCase } from './inline-decision.ts';

type UserImportRules = InlineConfig['userImport'];
type MatchKey = UserImportRules['matchBy'][number];

const CASE_INSENSITIVE = new Set(['email', 'login', 'secondEmail']);

/** The normalised form of one profile value: trimmed, emails and logins lower-case, empty text as null. */
export function normalizeValue(attribute: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  return CASE_INSENSITIVE.has(attribute) ? trimmed.toLowerCase() : trimmed;
}

/** The attributes whose normalised value differs from what was imported (what to send back). */
export function normalizationOf(profile: Readonly<Record<string, unknown>>): ProfileValues {
  const out: Record<string, string | null> = {};
  for (const [attribute, value] of Object.entries(profile)) {
    if (typeof value !== 'string') continue;
    const normalized = normalizeValue(attribute, value) as string | null;
    if (normalized !== value) out[attribute] = normalized;
  }
  return out;
}

export type KeyComparison =
  | { readonly result: 'agree' | 'disagree'; readonly key: MatchKey }
  | { readonly result: 'no_key' };

/** The first configured key present on both sides decides: do the app user and the Okta user agree on it? */
export function compareKeys(
  appUser: Readonly<Record<string, unknown>>,
  oktaUser: Readonly<Record<string, unknown>>,
  rules: UserImportRules,
): KeyComparison {
  for (const key of rules.matchBy) {
    const appAttribute = rules.appUserAttributes[key] ?? key;
    const mine = normalizeValue(key, appUser[appAttribute]);
    const theirs = normalizeValue(key, oktaUser[key]);
    if (mine === null || mine === undefined || theirs === null || theirs === undefined) continue;
    return { result: String(mine) === String(theirs) ? 'agree' : 'disagree', key };
  }
  return { result: 'no_key' };
}

/**
 * `com.okta.import.transform`, from the request alone (no Okta call, so it cannot search the org for a user Okta did
 * not propose — docs/inline-hooks.md, "User import: what matching can and cannot do"):
 * - Okta matched an Okta user (`data.user.id`): the configured keys confirm it (LINK_USER to that id) or contradict it
 *   (a conflict: CREATE_USER rather than linking someone else's account; the admin resolves it in the import);
 * - several candidates (`data.context.matches`): a conflict, Okta's action left as it is;
 * - otherwise Okta's action stands.
 * With `normalize`, imported values are trimmed, emails and logins lower-cased, empty text cleared.
 */
export function userImportUseCase(rules: UserImportRules): InlineUseCase<UserImportRequest> {
  return async (request) => {
    const data = request.body.data;
    const appProfile = data.appUser.profile;
    const normalized = rules.normalize ? normalizationOf(appProfile) : {};
    const effective = { ...appProfile, ...normalized };
    const matches = (data.context?.matches ?? []).filter((m): m is string => typeof m === 'string');
    const oktaConflicts = (data.context?.conflicts ?? []).filter((c): c is string => typeof c === 'string');
    const commands: InlineCommand[] = [];
    if (Object.keys(normalized).length > 0) commands.push(importAppUserProfileUpdate(normalized));

    const userId = data.user?.id ?? undefined;
    let outcome: string;
    let rule: string;
    let conflict: string | undefined;
    if (userId) {
      const comparison = compareKeys(effective, data.user?.profile ?? {}, rules);
      if (comparison.result === 'disagree') {
        outcome = 'CREATE_USER';
        rule = `key_mismatch:${comparison.key}`;
        conflict = `the ${comparison.key} of the app user and of Okta user ${userId} differ`;
        commands.push(importResult('CREATE_USER'));
      } else {
        outcome = 'LINK_USER';
        rule = comparison.result === 'agree' ? `key:${comparison.key}` : 'okta_match';
        commands.push(importResult('LINK_USER'), importLinkUser(userId));
      }
    } else if (matches.length > 1) {
      outcome = data.action?.result ?? 'CREATE_USER';
      rule = 'multiple_matches';
      conflict = `${matches.length} Okta users match; hookpilot cannot tell them apart without their profiles`;
    } else {
      outcome = data.action?.result ?? 'CREATE_USER';
      rule = matches.length === 1 ? 'unconfirmed_match' : 'no_match';
    }
    const debugContext =
      conflict || oktaConflicts.length > 0
        ? { hookpilot: { ...(conflict ? { conflict } : {}), ...(oktaConflicts.length ? { oktaConflicts } : {}) } }
        : undefined;
    return {
      response: { ...(commands.length > 0 ? { commands } : {}), ...(debugContext ? { debugContext } : {}) },
      outcome,
      rule,
      ...(conflict ? { reason: conflict } : {}),
      ...(userId ? { subjectUserId: userId } : {}),
      detail: {
        normalized: Object.keys(normalized),
        matches: matches.length,
        oktaConflicts,
        ...(data.context?.application?.id ? { appId: data.context.application.id } : {}),
      },
    };
  };
}
