import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { LOCAL_DEFAULT_HOOK_SECRET } from '../local/resources.ts';
import { CliError, print, printJson } from './output.ts';
import { hookpilotUrl, type TargetOptions, targetOptions } from './target.ts';

/** `hookpilot deliver <files…>`: POST event hook deliveries to `/okta/events` exactly as Okta would. */
export function deliver(program: Command): void {
  const command = program
    .command('deliver')
    .description('POST Okta event hook deliveries (JSON files in Okta’s envelope) to /okta/events, as Okta would')
    .argument('<files...>', 'delivery files, e.g. test/fixtures/okta/event-hook-delivery-user-lifecycle-create.json')
    .option('--secret <secret>', 'the event hook secret (default: HOOKPILOT_EVENT_HOOK_SECRET, else the local default)')
    .option('--fresh', 'give every event a new uuid, so a file can be replayed as new events')
    .option('--json', 'print [{file, status, events, body}] as JSON');
  targetOptions(command, 'url').action(
    async (files: string[], options: TargetOptions & { secret?: string; fresh?: boolean; json?: boolean }) => {
      const url = `${hookpilotUrl(options)}/okta/events`;
      const secret = options.secret ?? (process.env.HOOKPILOT_EVENT_HOOK_SECRET || LOCAL_DEFAULT_HOOK_SECRET);
      const results = [];
      for (const file of files) {
        let body: { data?: { events?: { uuid?: string }[] } };
        try {
          body = JSON.parse(readFileSync(file, 'utf8'));
        } catch (error) {
          const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not a JSON file';
          throw new CliError(`cannot read ${file}: ${reason}`);
        }
        if (options.fresh) for (const event of body.data?.events ?? []) event.uuid = randomUUID();
        let response: Response;
        try {
          response = await fetch(url, {
            method: 'POST',
            headers: { authorization: secret, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
        } catch {
          throw new CliError(`nothing answers at ${url}: is the local stack running (npm start)?`);
        }
        const text = await response.text();
        const result = {
          file,
          status: response.status,
          events: (body.data?.events ?? []).map((e) => e.uuid),
          body: text || undefined,
        };
        results.push(result);
        if (!options.json) print(`POST ${url} ${file} → ${response.status}${text ? ` ${text}` : ''}`);
      }
      if (options.json) printJson(results);
      const refused = results.filter((r) => r.status >= 300).length;
      if (refused > 0) throw new CliError(`${refused} of ${results.length} deliveries were not accepted`);
    },
  );
}
