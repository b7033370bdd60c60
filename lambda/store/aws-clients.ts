import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsRequestHandler } from '../config.ts';

/**
 * AWS clients, created once per process (module scope in Lambda). Endpoints come from the SDK's own settings, so the
 * local stack points them at DynamoDB Local and the SQS emulator with `AWS_ENDPOINT_URL_DYNAMODB` / `_SQS`. Each call
 * has a short timeout: the event hook must answer Okta within 3 s, and a hung dependency must become a retryable 503,
 * not a silent Okta timeout.
 */
let dynamo: DynamoDBClient | undefined;
export function dynamoClient(): DynamoDBClient {
  dynamo ??= new DynamoDBClient({ maxAttempts: 3, requestHandler: awsRequestHandler() });
  return dynamo;
}

let documents: DynamoDBDocumentClient | undefined;
export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documents;
}

let sqs: SQSClient | undefined;
export function sqsClient(): SQSClient {
  // The queue URL's host is not used as the endpoint: emulators hand out URLs with hosts that do not resolve, and in AWS
  // the configured endpoint and the queue URL agree anyway.
  sqs ??= new SQSClient({ maxAttempts: 3, requestHandler: awsRequestHandler(), useQueueUrlAsEndpoint: false });
  return sqs;
}
