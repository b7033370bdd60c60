import type { EntitlementRules, InlineConfig } from '../domain/inline-config.ts';
import { assertionPatch, type PatchOperation, pointerSegment } from '../okta/inline-commands.ts';
import { assertionPatchProblems, type SamlRequest, samlAttribute } from '../okta/inline-saml.ts';
import type { ActiveGrants } from '../ports.ts';
import type { InlineUseCase } from './inline-decision.ts';
import { entitlementsOf } from './inline-entitlements.ts';

export interface SamlDeps {
  readonly saml: InlineConfig['saml'];
  readonly entitlements: EntitlementRules;
  readonly grants?: ActiveGrants;
}

/**
 * `com.okta.saml.tokens.transform`: the same entitlements as the token hook, as one multi-valued attribute statement
 * (`add` when the assertion has no such attribute, `replace` when it has). SAML requests carry no groups claim, so
 * only profile mappings (and grants) apply here.
 */
export function samlUseCase(deps: SamlDeps): InlineUseCase<SamlRequest> {
  return async (request, { budget, clock }) => {
    const data = request.body.data;
    const user = data.context?.user;
    const found = await entitlementsOf(
      { ...(user?.id ? { userId: user.id } : {}), groups: [], profile: user?.profile ?? {} },
      deps.entitlements,
      { ...(deps.grants ? { grants: deps.grants } : {}), budget, at: clock() },
    );
    const common = {
      ...(user?.id ? { subjectUserId: user.id } : {}),
      detail: { entitlements: found.entitlements.length, fromGrants: found.fromGrants },
      ...(found.fallback ? { fallback: found.fallback } : {}),
    };
    if (found.entitlements.length === 0) {
      return { response: {}, outcome: 'unchanged', reason: 'no mapping matched', ...common };
    }
    const exists = data.assertion.claims ? Object.hasOwn(data.assertion.claims, deps.saml.attribute) : false;
    const operations: Extract<PatchOperation, { op: 'add' | 'replace' }>[] = [
      {
        op: exists ? 'replace' : 'add',
        path: `/claims/${pointerSegment(deps.saml.attribute)}`,
        value: samlAttribute(found.entitlements, deps.saml.nameFormat),
      },
    ];
    const problems = assertionPatchProblems(operations);
    if (problems.length > 0) {
      return { response: {}, outcome: 'unchanged', rule: 'invalid_patch', reason: problems.join('; '), ...common };
    }
    return {
      response: { commands: [assertionPatch(operations)] },
      outcome: 'patched',
      rule: found.rules.join(','),
      ...common,
    };
  };
}
