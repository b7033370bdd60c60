import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';

/** Okta may repeat an event long after the first delivery; remember processed keys for a week. */
export const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Wraps `fn` so that it runs to completion at most once per key (Powertools idempotency over DynamoDB): a repeat with a
 * completed key returns the stored result without running `fn`; a concurrent repeat fails with
 * `IdempotencyAlreadyInProgressError` (the queue redelivers it later); if `fn` throws, the key is released for a retry.
 */
export function onceByKey<A, R>(
  fn: (arg: A) => Promise<R>,
  options: { client: DynamoDBClient; tableName: string; keyPath: string },
): { run: (arg: A) => Promise<R>; registerContext: (context: Context) => void } {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: options.keyPath,
    expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
    throwOnNoIdempotencyKey: true,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
  });
  return {
    run: makeIdempotent(fn, { persistenceStore, config }),
    registerContext: (context) => config.registerLambdaContext(context),
  };
}
