import { loadInlineConfig } from '../domain/inline-config.ts';
import { RegistrationRequestSchema } from '../okta/inline-registration.ts';
import { registrationUseCase } from '../pipeline/inline-registration.ts';
import { registrationScreenFromEnv } from '../recommend/registration-screen.ts';
import { inlineHookHandler } from './inline-hook.ts';

/**
 * `POST /okta/inline/registration`: self-service registration and progressive profile, decided by the rules; with
 * `registration.modelScreen.enabled` and a model configured, a risk screen that can only deny what the rules allow.
 */
const config = loadInlineConfig();
const screen = config.registration.modelScreen.enabled ? registrationScreenFromEnv() : undefined;

export const handler = inlineHookHandler({
  type: 'registration',
  schema: RegistrationRequestSchema,
  useCase: registrationUseCase({ rules: config.registration, ...(screen ? { screen } : {}) }),
});
