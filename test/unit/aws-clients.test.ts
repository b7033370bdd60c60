import { createServer, type Server, type Socket } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A dependency that accepts the connection and never answers must become an error within
 * HOOKPILOT_AWS_REQUEST_TIMEOUT_MS per attempt (then the receiver answers 503 and Okta retries), not a request that waits
 * until the function's own timeout — past Okta's 3 s. The SDK's HTTP handler only warns at `requestTimeout` unless told
 * to throw.
 */
let server: Server;
const sockets: Socket[] = [];
let clients: typeof import('../../lambda/store/aws-clients.ts');

beforeAll(async () => {
  server = createServer((socket) => sockets.push(socket)); // reads the request, never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_SQS: endpoint,
    HOOKPILOT_AWS_REQUEST_TIMEOUT_MS: '200',
  });
  clients = await import('../../lambda/store/aws-clients.ts');
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('AWS clients', () => {
  it('fail a DynamoDB call that gets no answer (request timeout), instead of waiting for it', async () => {
    await expect(clients.dynamoClient().send(new ListTablesCommand({}))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it('fail an SQS call that gets no answer (request timeout), instead of waiting for it', async () => {
    await expect(clients.sqsClient().send(new ListQueuesCommand({}))).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
