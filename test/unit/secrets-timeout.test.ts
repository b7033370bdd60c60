import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyError } from '../../lambda/errors.ts';

/**
 * Secrets Manager not answering (the receiver reads its hook secret on a cold start and every 5 minutes) must become a
 * `DependencyError` (503, Okta retries) within HOOKPILOT_AWS_REQUEST_TIMEOUT_MS per attempt, as DynamoDB and SQS calls
 * do, not a request that waits past Okta's 3 s.
 */
let server: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((socket) => sockets.push(socket)); // reads the request, never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    HOOKPILOT_AWS_REQUEST_TIMEOUT_MS: '200',
  });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('readSecret', () => {
  it('fails with DependencyError when Secrets Manager does not answer, instead of waiting for it', async () => {
    const { readSecret } = await import('../../lambda/secrets.ts');
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hookpilot-hook-AbCdEf';
    await expect(readSecret(arn, 'HOOKPILOT_EVENT_HOOK_SECRET_ARN', 'the hook secret')).rejects.toBeInstanceOf(
      DependencyError,
    );
  });
});
