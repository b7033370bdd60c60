/**
 * The six Okta inline hook types hookpilot serves (docs/okta-protocol.md §2, docs/inline-hooks.md): the route each one
 * listens on, the `eventType` Okta sends, and what Okta does when the hook fails or times out (§2.2). The handler
 * factory (`lambda/handlers/inline-hook.ts`), the manifest, the CLI and the docs all read this one table.
 */
export const INLINE_HOOK_TYPES = {
  telephony: {
    eventType: 'com.okta.telephony.provider',
    okta: 'sends the OTP through its own, heavily rate-limited providers (no retry)',
    failure: 'fails over',
  },
  'password-import': {
    eventType: 'com.okta.user.credential.password.import',
    okta: 'stops the sign-in; the password is not imported and the hook is called again at the next sign-in',
    failure: 'fails closed',
  },
  registration: {
    eventType: 'com.okta.user.pre-registration',
    okta: 'denies the registration or profile update with a generic message',
    failure: 'fails closed',
  },
  token: {
    eventType: 'com.okta.oauth2.tokens.transform',
    okta: 'mints the token unchanged (no retry)',
    failure: 'fails open',
  },
  saml: {
    eventType: 'com.okta.saml.tokens.transform',
    okta: 'sends the assertion unchanged',
    failure: 'fails open',
  },
  'user-import': {
    eventType: 'com.okta.import.transform',
    okta: 'creates the user as matched',
    failure: 'fails open',
  },
} as const;

export type InlineHookType = keyof typeof INLINE_HOOK_TYPES;
export const INLINE_HOOK_TYPE_NAMES = Object.keys(INLINE_HOOK_TYPES) as InlineHookType[];

/** `/okta/inline/<type>`: stable routes (Okta configurations point at them). */
export const inlineHookPath = (type: InlineHookType): string => `/okta/inline/${type}`;

/** Okta gives an inline hook 3 s in all (including fetching its OAuth token, for an OAuth-secured hook). */
export const OKTA_INLINE_DEADLINE_MS = 3000;
/** Okta refuses an answer of 256 KB or more (§2.1). */
export const MAX_INLINE_RESPONSE_BYTES = 256 * 1024;
