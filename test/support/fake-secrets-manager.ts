import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for AWS Secrets Manager's `GetSecretValue` (JSON 1.1 protocol) so the code that reads secrets can be tested
 * without AWS: set `AWS_ENDPOINT_URL_SECRETS_MANAGER` to `url`. `down()` makes it answer 500 (an outage) until `up()`.
 */
export async function startFakeSecretsManager(secrets: Record<string, string>) {
  let broken = false;
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      calls.push(String(SecretId));
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (broken) {
        res.writeHead(500).end(JSON.stringify({ __type: 'InternalServiceError', message: 'down' }));
      } else if (target !== 'secretsmanager.GetSecretValue' || !SecretId || !(SecretId in secrets)) {
        res.writeHead(400).end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
      } else {
        res
          .writeHead(200)
          .end(JSON.stringify({ ARN: SecretId, Name: SecretId, SecretString: secrets[SecretId], VersionId: 'v1' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    set: (id: string, value: string) => {
      secrets[id] = value;
    },
    down: () => {
      broken = true;
    },
    up: () => {
      broken = false;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
