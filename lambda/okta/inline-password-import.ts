import * as z from 'zod/mini';

/**
 * Okta's password import inline hook (`com.okta.user.credential.password.import`). The request holds the user's
 * **plaintext password**: it is read once into a buffer by the use case and zeroed; parse errors name fields only.
 */
export const PASSWORD_IMPORT_HOOK_TYPE = 'com.okta.user.credential.password.import';

export const PasswordImportRequestSchema = z.object({
  eventId: z.optional(z.union([z.string(), z.number()])),
  eventType: z.optional(z.string()),
  data: z.object({
    context: z.looseObject({
      request: z.optional(z.looseObject({ id: z.optional(z.string()) })),
      credential: z.object({
        username: z.string().check(z.minLength(1), z.maxLength(256)),
        password: z.string().check(z.maxLength(1024)),
      }),
    }),
  }),
});
export type PasswordImportRequest = z.infer<typeof PasswordImportRequestSchema>;

export type CredentialVerdict = 'VERIFIED' | 'UNVERIFIED';

export const passwordImportAnswer = (credential: CredentialVerdict) => ({
  commands: [{ type: 'com.okta.action.update', value: { credential } }],
});
