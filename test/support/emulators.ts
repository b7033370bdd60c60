import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createResources, emulatorEnv, type LocalResources, localDynamo, localSqs } from '../../local/resources.ts';

/** The emulators started by the global setup. */
export const emulators = () => inject('emulators');

/** A fresh set of the manifest's tables and queues, named uniquely for this test file. */
export async function freshResources(options: { visibilityTimeoutSeconds?: number } = {}): Promise<LocalResources> {
  return createResources(emulators(), { prefix: `t${randomUUID().slice(0, 8)}`, ...options });
}

/**
 * Points this process's AWS SDK (and the handlers, which read `process.env` when imported) at the emulators and the given
 * resources. Call before importing a handler module.
 */
export function useLocalEnv(resources: LocalResources, extra: Record<string, string> = {}): void {
  Object.assign(process.env, emulatorEnv(emulators()), resources.env, { POWERTOOLS_LOG_LEVEL: 'SILENT' }, extra);
}

export function testClients() {
  const { dynamodb, sqs } = emulators();
  const dynamo = localDynamo(dynamodb);
  return {
    dynamo,
    documents: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    sqs: localSqs(sqs),
  };
}
