import { isIP } from 'node:net';
import { LocalStackError } from './errors.ts';

/**
 * Where the local stack's services listen. DynamoDB Local accepts any signature and the SQS emulator unsigned requests,
 * so anyone who can reach them can inject events or rewrite the audit trail: by default every service listens on the
 * loopback interface only. `--host` / HOOKPILOT_HOST opens them (with a warning).
 */
export const DEFAULT_HOST = '127.0.0.1';

export const HOST_ENV = 'HOOKPILOT_HOST';

/** The host to bind: `value` (a flag), else HOOKPILOT_HOST, else 127.0.0.1. Must be an IP address. */
export function bindHost(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const host = (value ?? env[HOST_ENV] ?? '').trim() || DEFAULT_HOST;
  if (isIP(host) === 0) {
    throw new LocalStackError(
      `--host (or ${HOST_ENV}) must be an IP address such as 127.0.0.1 (the default) or 0.0.0.0 (got "${host}")`,
    );
  }
  return host;
}

/** True for 127.0.0.0/8 and ::1 (also as an IPv4-mapped IPv6 address). */
export function isLoopback(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === '::1';
}

/** True when `host` listens on every interface. */
export const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';

/** How to reach a service bound to `host` from this machine: a wildcard is reached on 127.0.0.1. */
export function reachableUrl(host: string, port: number): string {
  const shown = isWildcard(host) ? DEFAULT_HOST : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/** The warning printed when the stack listens beyond this machine. */
export function exposureWarning(host: string): string {
  return `WARNING: every local service listens on ${host}, reachable from ${isWildcard(host) ? 'every network this machine is on' : `the network of ${host}`}. DynamoDB Local accepts any signature and the SQS emulator unsigned requests: anyone who can reach them can inject events without the hook secret or rewrite the audit trail. Use this only on a network you trust.`;
}
