import type { EntitlementRules, InlineConfig } from '../domain/inline-config.ts';
import { ConfigError } from '../errors.ts';
import {
  accessPatch,
  type InlineCommand,
  identityPatch,
  type PatchOperation,
  pointerSegment,
} from '../okta/inline-commands.ts';
import {
  isReservedClaim,
  LIFETIME_PATH,
  type TokenKind,
  type TokenRequest,
  tokenPatchProblems,
} from '../okta/inline-token.ts';
import type { ActiveGrants } from '../ports.ts';
import type { InlineUseCase } from './inline-decision.ts';
import { entitlementsOf, groupsFromClaims } from './inline-entitlements.ts';

export interface TokenDeps {
  readonly token: InlineConfig['token'];
  readonly entitlements: EntitlementRules;
  /** The user's active time-bound grants (`store/active-grants.ts`); without it, mappings only. */
  readonly grants?: ActiveGrants;
}

/**
 * `com.okta.oauth2.tokens.transform`: the person's entitlements as one claim in each configured token that is actually
 * being minted (a command for a token not in the request would fail the hook), plus the optional lifetime. The whole
 * patch is checked before it is sent (reserved claims, paths, lifetime range); a patch that fails is not sent and the
 * token is minted unchanged — the same outcome as Okta's own rejection, without the wait.
 */
export function tokenUseCase(deps: TokenDeps): InlineUseCase<TokenRequest> {
  if (isReservedClaim(deps.token.claim)) {
    throw new ConfigError(`token.claim "${deps.token.claim}" is a claim Okta reserves; choose another name`);
  }
  return async (request, { budget, clock }) => {
    const data = request.body.data;
    const user = data.context.user;
    const found = await entitlementsOf(
      {
        ...(user?.id ? { userId: user.id } : {}),
        groups: groupsFromClaims(data.access?.claims, data.identity?.claims),
        profile: user?.profile ?? {},
      },
      deps.entitlements,
      { ...(deps.grants ? { grants: deps.grants } : {}), budget, at: clock() },
    );
    const commands: InlineCommand[] = [];
    const problems: string[] = [];
    for (const kind of deps.token.tokens) {
      const part = kind === 'access' ? data.access : data.identity;
      if (!part) continue; // not being minted
      const operations: PatchOperation[] = [];
      if (found.entitlements.length > 0) {
        const exists = part.claims ? Object.hasOwn(part.claims, deps.token.claim) : false;
        operations.push({
          op: exists ? 'replace' : 'add',
          path: `/claims/${pointerSegment(deps.token.claim)}`,
          value: found.entitlements,
        });
      }
      if (deps.token.lifetimeSeconds) {
        operations.push({ op: 'replace', path: LIFETIME_PATH, value: deps.token.lifetimeSeconds });
      }
      if (operations.length === 0) continue;
      problems.push(...tokenPatchProblems(kind, operations));
      commands.push(kind === 'access' ? accessPatch(operations) : identityPatch(operations));
    }
    const common = {
      ...(user?.id ? { subjectUserId: user.id } : {}),
      detail: {
        entitlements: found.entitlements.length,
        fromGrants: found.fromGrants,
        tokens: commands.map((c) => (c.type === 'com.okta.access.patch' ? 'access' : 'identity') satisfies TokenKind),
      },
      ...(found.fallback ? { fallback: found.fallback } : {}),
    };
    if (problems.length > 0) {
      return {
        response: {},
        outcome: 'unchanged',
        rule: 'invalid_patch',
        reason: problems.slice(0, 5).join('; '),
        ...common,
      };
    }
    return {
      response: commands.length > 0 ? { commands } : {},
      outcome: commands.length > 0 ? 'patched' : 'unchanged',
      ...(found.rules.length > 0 ? { rule: found.rules.join(',') } : { reason: 'no mapping matched' }),
      ...common,
    };
  };
}
