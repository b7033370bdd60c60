import { type InlineResponse, passwordImportResult, registrationAction } from '../okta/inline-commands.ts';
import type { InlineHookType } from '../okta/inline-types.ts';
import type { InlineDecision } from './inline-decision.ts';

/**
 * The documented safe answer of each type when hookpilot cannot decide (a dependency failed, the budget ran out, the
 * answer would be too large) — docs/inline-hooks.md, "When something fails":
 * - registration fails closed: DENY with a generic, retry-later message (Okta would deny on a timeout anyway);
 * - password import fails closed: UNVERIFIED (the password is not imported; Okta calls again at the next sign-in);
 * - token, SAML and user import fail open: no commands, so Okta goes on unchanged, as it would on a timeout — and
 *   without the timeout's wait;
 * - telephony fails over: an `error` object makes Okta send the OTP through its own providers at once.
 */
export const INLINE_FALLBACKS: Readonly<Record<InlineHookType, () => InlineResponse>> = {
  registration: () => ({
    commands: [registrationAction('DENY')],
    error: { errorSummary: 'Registration is not available right now. Please try again in a few minutes.' },
  }),
  'password-import': () => ({ commands: [passwordImportResult('UNVERIFIED')] }),
  token: () => ({}),
  saml: () => ({}),
  'user-import': () => ({}),
  telephony: () => ({
    error: {
      errorSummary: 'hookpilot could not hand the message to a provider; Okta sends it',
      errorCauses: [
        {
          errorSummary: 'no provider accepted the message',
          reason: 'PROVIDER_UNAVAILABLE',
          locationType: 'body',
          location: 'data.messageProfile',
          domain: 'external-service',
        },
      ],
    },
  }),
};

/** The fallback decision of a type, for `inlineHookHandler({ fallback })`. */
export const fallbackFor =
  (type: InlineHookType) =>
  (reason: string): InlineDecision => ({
    response: INLINE_FALLBACKS[type](),
    outcome: 'fallback',
    reason,
    fallback: reason,
  });
