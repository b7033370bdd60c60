import { ENV, requiredEnv } from '../config.ts';
import { loadInlineConfig } from '../domain/inline-config.ts';
import { TokenRequestSchema } from '../okta/inline-token.ts';
import { tokenUseCase } from '../pipeline/inline-token.ts';
import { DynamoActiveGrants } from '../store/active-grants.ts';
import { dynamoDocumentClient } from '../store/aws-clients.ts';
import { inlineHookHandler } from './inline-hook.ts';

/**
 * `POST /okta/inline/token`: entitlement claims in the tokens being minted — the configured mappings plus the user's
 * active time-bound grants (one DynamoDB query under a hard timeout; the mappings alone when it is slow or fails).
 */
const config = loadInlineConfig();
const grants = new DynamoActiveGrants(
  dynamoDocumentClient(),
  requiredEnv(ENV.grantsTable, 'the name of the grants DynamoDB table'),
);

export const handler = inlineHookHandler({
  type: 'token',
  schema: TokenRequestSchema,
  useCase: tokenUseCase({ token: config.token, entitlements: config.entitlements, grants }),
});
