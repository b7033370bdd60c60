import { ENV, requiredEnv } from '../config.ts';
import { PasswordImportRequestSchema } from '../okta/inline-password-import.ts';
import { importPassword } from '../pipeline/import-password.ts';
import { dynamoDocumentClient } from '../store/aws-clients.ts';
import { DynamoLegacyHashStore } from '../store/legacy-hashes.ts';
import { inlineHookHandler } from './inline-hook.ts';

/**
 * `POST /okta/inline/password-import`: verifies the typed password against the user's legacy hash in constant time →
 * VERIFIED / UNVERIFIED. A store outage or an exhausted budget answers the fallback, UNVERIFIED (fails closed).
 */
const store = new DynamoLegacyHashStore(
  dynamoDocumentClient(),
  requiredEnv(ENV.legacyHashesTable, 'the name of the legacy password hash DynamoDB table'),
);

export const handler = inlineHookHandler({
  type: 'password-import',
  schema: PasswordImportRequestSchema,
  useCase: (request) => importPassword(request.body, { store }),
});
