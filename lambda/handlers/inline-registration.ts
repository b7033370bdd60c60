import { loadInlineConfig } from '../domain/inline-config.ts';
import { RegistrationRequestSchema } from '../okta/inline-registration.ts';
import { fallbackFor } from '../pipeline/inline-fallbacks.ts';
import { registrationUseCase } from '../pipeline/inline-registration.ts';
import { inlineHookHandler } from './inline-hook.ts';

/** `POST /okta/inline/registration`: self-service registration and progressive profile, decided by the rules. */
const config = loadInlineConfig();

export const handler = inlineHookHandler({
  type: 'registration',
  schema: RegistrationRequestSchema,
  useCase: registrationUseCase({ rules: config.registration }),
  fallback: fallbackFor('registration'),
});
