import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The floor for a synchronous function's cold start (`npm run bench:cold-start`): only the AWS clients such a function
 * must use — DynamoDB (document client), SQS and Secrets Manager — created at module scope, as the handlers do.
 */
const clients = {
  documents: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  sqs: new SQSClient({}),
  secrets: new SecretsManagerClient({}),
};

export const handler = async () => ({ statusCode: 200, body: Object.keys(clients).join(',') });
