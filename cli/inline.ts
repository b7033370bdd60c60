import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { INLINE_HOOK_TYPE_NAMES, type InlineHookType, inlineHookPath } from '../lambda/okta/inline-types.ts';
import { ROOT } from '../lib/root.ts';
import { LOCAL_INLINE_CLIENT_SECRET } from '../local/okta-sim/authorization-server.ts';
import { LOCAL_DEFAULT_INLINE_HOOK_SECRET } from '../local/resources.ts';
import { CliError, print, printJson } from './output.ts';
import { hookpilotUrl, localStack, type TargetOptions, targetOptions } from './target.ts';

/** The request each type sends by default: Okta's documented shapes with invented data (cli/inline-requests/). */
const DEFAULT_REQUESTS = resolve(ROOT, 'cli', 'inline-requests');

function hookType(value: string): InlineHookType {
  if (!(INLINE_HOOK_TYPE_NAMES as string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${INLINE_HOOK_TYPE_NAMES.join(', ')}`);
  }
  return value as InlineHookType;
}

interface InlineOptions extends TargetOptions {
  readonly file?: string;
  readonly secret?: string;
  readonly oauth?: boolean;
  readonly json?: boolean;
}

/**
 * `hookpilot inline <type>`: POST an inline hook request to `/okta/inline/<type>` as Okta would (JSON, the header secret
 * or an OAuth access token, an `x-okta-request-id`) and print the answer.
 */
export function inline(program: Command): void {
  const command = program
    .command('inline')
    .description('POST an Okta inline hook request to /okta/inline/<type>, as Okta would, and print the answer')
    .argument('<type>', INLINE_HOOK_TYPE_NAMES.join(' | '), hookType)
    .option(
      '--file <request.json>',
      'the request to send (default: a realistic one in cli/inline-requests/<type>.json)',
    )
    .option(
      '--secret <secret>',
      'the inline hooks secret (default: HOOKPILOT_INLINE_HOOK_SECRET, else the local default)',
    )
    .option(
      '--oauth',
      "send an OAuth access token instead (local stack: the Okta simulator's hookpilot-inline-hooks client)",
    )
    .option('--json', 'print {type, url, status, ms, body} as JSON');
  targetOptions(command, 'url').action(async (type: InlineHookType, options: InlineOptions) => {
    const url = `${hookpilotUrl(options)}${inlineHookPath(type)}`;
    const file = options.file ?? resolve(DEFAULT_REQUESTS, `${type}.json`);
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not a JSON file';
      throw new CliError(`cannot read ${file}: ${reason}`);
    }
    const authorization = options.oauth
      ? `Bearer ${await localInlineToken()}`
      : (options.secret ?? (process.env.HOOKPILOT_INLINE_HOOK_SECRET?.trim() || LOCAL_DEFAULT_INLINE_HOOK_SECRET));
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization,
          accept: 'application/json',
          'content-type': 'application/json',
          'x-okta-request-id': `cli-${randomUUID()}`,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new CliError(`nothing answers at ${url}: is the local stack running (npm start)?`);
    }
    const ms = Math.round(performance.now() - started);
    const text = await response.text();
    let answer: unknown = text || undefined;
    try {
      answer = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: shown as text
    }
    if (options.json) printJson({ type, url, status: response.status, ms, body: answer });
    else {
      print(`POST ${url} → ${response.status} (${ms} ms; Okta waits at most 3000 ms)`);
      if (answer !== undefined) print(typeof answer === 'string' ? answer : JSON.stringify(answer, null, 2));
    }
    if (response.status >= 300) throw new CliError(`the ${type} hook answered ${response.status}`);
  });
}

/** A client-credentials token from the local Okta simulator, as Okta fetches one for an OAuth-secured hook. */
async function localInlineToken(): Promise<string> {
  const issuer = `${localStack().okta.orgUrl}/oauth2/default`;
  let response: Response;
  try {
    response = await fetch(`${issuer}/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'hookpilot-inline-hooks',
        client_secret: LOCAL_INLINE_CLIENT_SECRET,
        scope: 'hookpilot.inline',
      }),
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    throw new CliError(`the Okta simulator's token endpoint does not answer (${issuer}/v1/token)`);
  }
  const token = ((await response.json().catch(() => ({}))) as { access_token?: unknown }).access_token;
  if (!response.ok || typeof token !== 'string') {
    throw new CliError(`the Okta simulator refused the token request (${response.status})`);
  }
  return token;
}
