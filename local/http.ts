import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** HTTP plumbing the local servers share (the Okta simulator, the OpenAI stub, the gateway). */

/**
 * The request body, read whole; `undefined` as soon as it passes `limit` bytes (reading stops there, and the caller
 * answers with its own "too large" error).
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface Listening {
  /** `http://host:port`; a wildcard host (`0.0.0.0`, `::`) is named as 127.0.0.1, an IPv6 address in brackets. */
  readonly url: string;
  /** The port listened on (the one picked when asked for 0). */
  readonly port: number;
  /** Closes the server and every open connection. */
  stop(): Promise<void>;
}

/** Listens on `host` (default 127.0.0.1) and `port` (0: any free port); resolves once listening, rejects on an error. */
export async function listen(server: Server, host: string | undefined, port: number): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = host && host !== '0.0.0.0' && host !== '::' ? host : '127.0.0.1';
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`,
    port: address.port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
