import { loadInlineConfig } from '../domain/inline-config.ts';
import { UserImportRequestSchema } from '../okta/inline-user-import.ts';
import { userImportUseCase } from '../pipeline/inline-user-import.ts';
import { inlineHookHandler } from './inline-hook.ts';

/** `POST /okta/inline/user-import`: confirm or refuse Okta's match by the configured keys, normalise values. */
const config = loadInlineConfig();

export const handler = inlineHookHandler({
  type: 'user-import',
  schema: UserImportRequestSchema,
  useCase: userImportUseCase(config.userImport),
});
