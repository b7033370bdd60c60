import * as z from 'zod/mini';
import type { PatchOperation } from './inline-commands.ts';

/**
 * The SAML assertion inline hook (`com.okta.saml.tokens.transform`, docs/okta-protocol.md §2.6). Requests may carry no
 * `claims` at all; only `data.assertion` is required.
 */
const Record_ = z.record(z.string(), z.unknown());
export const SamlRequestSchema = z.looseObject({
  data: z.looseObject({
    context: z.optional(
      z.nullable(
        z.looseObject({
          user: z.optional(
            z.nullable(
              z.looseObject({ id: z.optional(z.nullable(z.string())), profile: z.optional(z.nullable(Record_)) }),
            ),
          ),
        }),
      ),
    ),
    assertion: z.looseObject({ claims: z.optional(z.nullable(Record_)) }),
  }),
});
export type SamlRequest = z.output<typeof SamlRequestSchema>;

/** An attribute statement as Okta's assertion patch takes it. */
export function samlAttribute(values: readonly string[], nameFormat: string) {
  return {
    attributes: { NameFormat: nameFormat },
    attributeValues: values.map((value) => ({ attributes: { 'xsi:type': 'xs:string' }, value })),
  };
}

const PREFIXES = ['/subject/', '/authentication/', '/conditions/', '/claims/'];

/** Everything wrong with an assertion patch (empty: Okta will apply it): ops `add`/`replace`, the four path roots. */
export function assertionPatchProblems(operations: readonly PatchOperation[]): string[] {
  const problems: string[] = [];
  operations.forEach((operation, index) => {
    if (operation.op !== 'add' && operation.op !== 'replace') problems.push(`[${index}]: op must be add or replace`);
    if (!PREFIXES.some((p) => operation.path.startsWith(p) && operation.path.length > p.length)) {
      problems.push(`[${index}]: path must start with ${PREFIXES.join(', ')}`);
    }
    if (!('value' in operation) || operation.value === undefined) problems.push(`[${index}]: a value is required`);
  });
  return problems;
}
