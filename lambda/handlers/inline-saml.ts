import { ENV, requiredEnv } from '../config.ts';
import { loadInlineConfig } from '../domain/inline-config.ts';
import { SamlRequestSchema } from '../okta/inline-saml.ts';
import { samlUseCase } from '../pipeline/inline-saml.ts';
import { DynamoActiveGrants } from '../store/active-grants.ts';
import { dynamoDocumentClient } from '../store/aws-clients.ts';
import { inlineHookHandler } from './inline-hook.ts';

/**
 * `POST /okta/inline/saml`: entitlement attributes in SAML assertions — profile mappings plus the user's active
 * time-bound grants (one DynamoDB query under a hard timeout; the mappings alone when it is slow or fails).
 */
const config = loadInlineConfig();
const grants = new DynamoActiveGrants(
  dynamoDocumentClient(),
  requiredEnv(ENV.grantsTable, 'the name of the grants DynamoDB table'),
);

export const handler = inlineHookHandler({
  type: 'saml',
  schema: SamlRequestSchema,
  useCase: samlUseCase({ saml: config.saml, entitlements: config.entitlements, grants }),
});
