import { startFauxqs } from 'fauxqs';
import type { TestProject } from 'vitest/node';
import { startDynamoLocal } from '../../local/dynamodb-local.ts';
import type { Endpoints } from '../../local/resources.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: Endpoints;
  }
}

/** One DynamoDB Local JVM and one SQS emulator for the whole run; each test file creates its own tables and queues. */
export default async function setup(project: TestProject) {
  const [dynamo, sqs] = await Promise.all([
    startDynamoLocal({ maxHeapMb: 256 }),
    startFauxqs({ port: 0, logger: false }),
  ]);
  project.provide('emulators', { dynamodb: dynamo.endpoint, sqs: sqs.address });
  return async () => {
    await sqs.stop();
    await dynamo.stop();
  };
}
