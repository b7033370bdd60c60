import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { VERIFICATION_HEADER } from '../lambda/okta/event-hook-request.ts';
import { CliError, print, printJson } from './output.ts';
import { hookpilotUrl, type TargetOptions, targetOptions } from './target.ts';

/** `hookpilot verify`: Okta's one-time verification handshake against `/okta/events`. */
export function verify(program: Command): void {
  const command = program
    .command('verify')
    .description('Send Okta’s one-time verification GET to /okta/events and check the echo')
    .option('--json', 'print {url, verified} as JSON');
  targetOptions(command, 'url').action(async (options: TargetOptions & { json?: boolean }) => {
    const url = `${hookpilotUrl(options)}/okta/events`;
    const challenge = randomUUID();
    let response: Response;
    try {
      response = await fetch(url, { headers: { [VERIFICATION_HEADER]: challenge } });
    } catch {
      throw new CliError(`nothing answers at ${url}: is the local stack running (npm start)?`);
    }
    const body = (await response.json().catch(() => undefined)) as
      | { verification?: unknown; error?: { code?: unknown } }
      | undefined;
    if (response.status !== 200 || body?.verification !== challenge) {
      const code = typeof body?.error?.code === 'string' ? ` ${body.error.code.slice(0, 40)}` : '';
      throw new CliError(`verification failed: ${url} answered ${response.status}${code}, not the challenge`);
    }
    if (options.json) printJson({ url, verified: true });
    else print(`verified: ${url} echoed the challenge`);
  });
}
