import type { IncomingMessage, Server } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';

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

/**
 * Why a request to a control endpoint (the OpenAI stub's `/__stub/…`, the Okta simulator's `/__sim/…`) must be refused,
 * or undefined. These endpoints change how the local services behave, and a web page the developer opens can send
 * requests to 127.0.0.1 too — a form post (`text/plain` or form-encoded, no preflight) or `fetch` in `no-cors` mode. So:
 * - a request a browser marks as coming from another site (`Sec-Fetch-Site` other than `same-origin` / `none`), or with an
 *   `Origin` other than the server's own, is refused (403);
 * - the `Host` must be an IP address or `localhost`, so a page cannot reach the endpoint by DNS rebinding (403);
 * - a request with a body must say `content-type: application/json` (415): no browser sends that cross-site without a
 *   CORS preflight, which these servers never grant.
 */
export function controlRequestRefusal(
  req: IncomingMessage,
  hasBody: boolean,
): { readonly status: 403 | 415; readonly message: string } | undefined {
  const host = String(req.headers.host ?? '');
  const fetchSite = req.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string' && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return { status: 403, message: `control endpoints refuse cross-origin requests (sec-fetch-site: ${fetchSite})` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !sameOrigin(origin, host)) {
    return {
      status: 403,
      message: 'control endpoints refuse cross-origin requests (the origin header names another site)',
    };
  }
  if (!localHostHeader(host)) {
    return {
      status: 403,
      message: 'control endpoints answer only requests addressed to an IP address or localhost (host header)',
    };
  }
  const type = req.headers['content-type'];
  if ((hasBody || type !== undefined) && mediaType(type) !== 'application/json') {
    return { status: 415, message: 'control endpoints accept only content-type: application/json' };
  }
  return undefined;
}

function sameOrigin(origin: string, host: string): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && url.host === host.toLowerCase();
  } catch {
    return false; // `null` (a sandboxed page, a file) or garbage
  }
}

function localHostHeader(host: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return hostname === 'localhost' || isIP(hostname.replace(/^\[|\]$/g, '')) !== 0;
}

const mediaType = (value: string | undefined) => value?.split(';')[0]?.trim().toLowerCase();
