import { loadInlineConfig } from '../domain/inline-config.ts';
import { SamlRequestSchema } from '../okta/inline-saml.ts';
import { fallbackFor } from '../pipeline/inline-fallbacks.ts';
import { samlUseCase } from '../pipeline/inline-saml.ts';
import { inlineHookHandler } from './inline-hook.ts';

/** `POST /okta/inline/saml`: entitlement attributes in SAML assertions. */
const config = loadInlineConfig();

export const handler = inlineHookHandler({
  type: 'saml',
  schema: SamlRequestSchema,
  useCase: samlUseCase({ saml: config.saml, entitlements: config.entitlements }),
  fallback: fallbackFor('saml'),
});
