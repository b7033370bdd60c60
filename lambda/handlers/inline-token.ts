import { loadInlineConfig } from '../domain/inline-config.ts';
import { TokenRequestSchema } from '../okta/inline-token.ts';
import { fallbackFor } from '../pipeline/inline-fallbacks.ts';
import { tokenUseCase } from '../pipeline/inline-token.ts';
import { inlineHookHandler } from './inline-hook.ts';

/**
 * `POST /okta/inline/token`: entitlement claims in the tokens being minted. Time-bound grants join when the grants
 * store lands (the `grants` port of `tokenUseCase`; docs/inline-hooks.md).
 */
const config = loadInlineConfig();

export const handler = inlineHookHandler({
  type: 'token',
  schema: TokenRequestSchema,
  useCase: tokenUseCase({ token: config.token, entitlements: config.entitlements }),
  fallback: fallbackFor('token'),
});
