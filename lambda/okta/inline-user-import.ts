import * as z from 'zod/mini';

/**
 * The user import inline hook (`com.okta.import.transform`, docs/okta-protocol.md §2.7): one imported app user, the
 * Okta user profile it is about to become or be linked to (`data.user`, with `id` when Okta matched an existing user),
 * Okta's default action and the ids of the Okta users its matching rules found (`data.context.matches`).
 */
const Profile = z.record(z.string(), z.unknown());
const Strings = z.optional(z.nullable(z.array(z.unknown())));
export const UserImportRequestSchema = z.looseObject({
  data: z.looseObject({
    context: z.optional(
      z.nullable(
        z.looseObject({
          conflicts: Strings,
          matches: Strings,
          application: z.optional(z.nullable(z.looseObject({ id: z.optional(z.nullable(z.string())) }))),
        }),
      ),
    ),
    action: z.optional(
      z.nullable(z.looseObject({ result: z.optional(z.nullable(z.enum(['CREATE_USER', 'LINK_USER']))) })),
    ),
    appUser: z.looseObject({ profile: Profile }),
    user: z.optional(
      z.nullable(z.looseObject({ id: z.optional(z.nullable(z.string())), profile: z.optional(z.nullable(Profile)) })),
    ),
  }),
});
export type UserImportRequest = z.output<typeof UserImportRequestSchema>;
