import type { TestProject } from 'vitest/node';
import { startDynamoLocal } from '../../local/dynamodb-local.ts';
import type { Endpoints } from '../../local/resources.ts';
import { startSqsEmulator } from '../../local/sqs-emulator.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: Endpoints;
  }
}

/** One DynamoDB Local JVM and one SQS emulator for the whole run; each test file creates its own tables and queues. */
export default async function setup(project: TestProject) {
  const [dynamo, sqs] = await Promise.all([startDynamoLocal({ maxHeapMb: 256 }), startSqsEmulator()]);
  project.provide('emulators', { dynamodb: dynamo.endpoint, sqs: sqs.endpoint });
  return async () => {
    await sqs.stop();
    await dynamo.stop();
  };
}
