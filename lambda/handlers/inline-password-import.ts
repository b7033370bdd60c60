import * as z from 'zod/mini';
import { fallbackFor } from '../pipeline/inline-fallbacks.ts';
import { inlineHookHandler } from './inline-hook.ts';

/** `POST /okta/inline/password-import`. Framework placeholder: until its use case lands, it answers the documented fallback. */
export const handler = inlineHookHandler({
  type: 'password-import',
  schema: z.looseObject({ data: z.record(z.string(), z.unknown()) }),
  useCase: async () => fallbackFor('password-import')('not_implemented'),
  fallback: fallbackFor('password-import'),
});
