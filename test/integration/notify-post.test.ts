import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../../lambda/notify/channel.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lambda/ports.ts';

/** The channels' one way to POST, against a real HTTP server answering each status on purpose. */
describe('postJson classifies what a receiver answers', () => {
  let server: Server;
  let base: string;
  const bodies: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        bodies.push(body);
        const status = Number(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
        if (status === 429) res.setHeader('retry-after', '7');
        if (status === 302) res.setHeader('location', 'http://127.0.0.1:1/elsewhere');
        res.statusCode = status;
        res.end(status === 401 ? '{"error":"token_revoked","echo":"secret-url-token"}' : '{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('2xx resolves with the answer', async () => {
    const answer = await postJson('teams', `${base}/202`, { hello: 'world' });
    expect(answer.status).toBe(202);
    expect(JSON.parse(bodies.at(-1) ?? '')).toEqual({ hello: 'world' });
  });

  it.each([500, 503, 429, 408])('HTTP %i is retryable', async (status) => {
    const error = await postJson('teams', `${base}/${status}`, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).details.httpStatus).toBe(status);
    if (status === 429) expect((error as RetryableDeliveryError).details.retryAfterSeconds).toBe(7);
  });

  it.each([400, 401, 403, 404, 410, 302])(
    'HTTP %i is permanent, and the error names neither URL nor body',
    async (status) => {
      const url = `${base}/${status}?sig=secret-url-token`;
      const error = await postJson('webhook:ops', url, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect((error as PermanentDeliveryError).details.httpStatus).toBe(status);
      expect(String((error as Error).message)).toMatch(/^webhook:ops: /);
      expect(JSON.stringify({ m: (error as Error).message, ...(error as object) })).not.toMatch(
        /secret-url-token|127\.0\.0\.1/,
      );
    },
  );

  it('an unreachable receiver is retryable, without the URL in the error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const error = await postJson('teams', `http://127.0.0.1:${port}/x?sig=secret-url-token`, {}).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toBe('teams: receiver unreachable');
  });
});
