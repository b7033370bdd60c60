import * as z from 'zod/mini';
import { fallbackFor } from '../pipeline/inline-fallbacks.ts';
import { inlineHookHandler } from './inline-hook.ts';

/** `POST /okta/inline/saml`. Framework placeholder: until its use case lands, it answers the documented fallback. */
export const handler = inlineHookHandler({
  type: 'saml',
  schema: z.looseObject({ data: z.record(z.string(), z.unknown()) }),
  useCase: async () => fallbackFor('saml')('not_implemented'),
  fallback: fallbackFor('saml'),
});
