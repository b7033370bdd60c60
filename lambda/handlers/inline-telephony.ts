import * as z from 'zod/mini';
import { fallbackFor } from '../pipeline/inline-fallbacks.ts';
import { inlineHookHandler } from './inline-hook.ts';

/** `POST /okta/inline/telephony`. Framework placeholder: until its use case lands, it answers the documented fallback. */
export const handler = inlineHookHandler({
  type: 'telephony',
  schema: z.looseObject({ data: z.record(z.string(), z.unknown()) }),
  useCase: async () => fallbackFor('telephony')('not_implemented'),
  fallback: fallbackFor('telephony'),
});
