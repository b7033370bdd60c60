import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopback } from '../../local/bind.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';

/**
 * Every service of the local stack listens on the loopback interface unless told otherwise — read from the kernel's
 * table of listening sockets (/proc/net/tcp and tcp6), which covers the DynamoDB Local JVM as well as this process.
 */

/** The local addresses of the sockets listening on `port`, as text (`127.0.0.1`, `::ffff:127.0.0.1`, `0.0.0.0`, `::`). */
function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [hexAddress, hexPort] = (fields[1] ?? '').split(':');
      if (fields[3] !== '0A' || !hexAddress || Number.parseInt(hexPort ?? '', 16) !== port) continue; // 0A = LISTEN
      found.push(v6 ? ipv6(hexAddress) : ipv4(hexAddress));
    }
  }
  return found;
}

// /proc/net/tcp writes each 32-bit word of an address in host (little-endian) byte order.
const wordBytes = (hex: string) => (hex.match(/../g) ?? []).map((b) => Number.parseInt(b, 16)).reverse();
const ipv4 = (hex: string) => wordBytes(hex).join('.');
function ipv6(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap(wordBytes);
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  if (bytes.every((b) => b === 0)) return '::';
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

const portOf = (url: string) => Number(new URL(url).port);

describe('where the local stack listens', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    // Its own DynamoDB Local and SQS emulator (not the shared test ones), as npm start runs them.
    stack = await startLocalStack({ port: 0, okta: { port: 0, registerHook: false }, llmStub: 'normal' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // The kernel's socket table is Linux's; elsewhere (macOS) this check cannot read the JVM's sockets, so it is skipped.
  it.skipIf(!existsSync('/proc/net/tcp'))('listens on 127.0.0.1 only, for every service, by default', () => {
    const services = {
      gateway: stack.url,
      'DynamoDB Local': stack.endpoints.dynamodb,
      'SQS emulator': stack.endpoints.sqs,
      'Okta simulator': stack.okta.orgUrl,
      'OpenAI stub': stack.llmStub?.url ?? '',
    };
    for (const [name, url] of Object.entries(services)) {
      expect(url, name).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const addresses = listeningAddresses(portOf(url));
      expect(addresses.length, `${name} listens on port ${portOf(url)}`).toBeGreaterThan(0);
      for (const address of addresses) expect(isLoopback(address), `${name} listens on ${address}`).toBe(true);
    }
    expect(stack.warnings).toEqual([]);
  });

  it('keeps web pages away from DynamoDB Local: a foreign origin gets no CORS permission', async () => {
    const preflight = await fetch(stack.endpoints.dynamodb, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-amz-target,authorization',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
