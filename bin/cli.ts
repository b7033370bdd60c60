import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Command, InvalidArgumentError } from 'commander';
import { VERIFICATION_HEADER } from '../lambda/okta/event-hook-request.ts';
import type { AuditRecord } from '../lambda/ports.ts';
import { DynamoAuditLog } from '../lambda/store/audit-log.ts';
import { registerActCommand } from '../local/cli/act-command.ts';
import { registerPasswordsCommands } from '../local/cli/passwords-command.ts';
import { registerSimCommands } from '../local/cli/sim-commands.ts';
import { CliError, defaultUrl, requireLocalState } from '../local/cli/state.ts';
import { LOCAL_DEFAULT_HOOK_SECRET, localDocuments } from '../local/resources.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const defaultSecret = () => process.env.HOOKPILOT_EVENT_HOOK_SECRET || LOCAL_DEFAULT_HOOK_SECRET;
const fail = (message: string): never => {
  throw new CliError(message);
};

const program = new Command('hookpilot')
  .description('hookpilot: Okta hook middleware. Commands for trying it locally and inspecting what it did.')
  .showHelpAfterError();

program
  .command('deliver')
  .description('POST Okta event hook deliveries (JSON files in Okta’s envelope) to /okta/events, as Okta would')
  .argument('<files...>', 'delivery files, e.g. test/fixtures/okta/event-hook-delivery-user-lifecycle-create.json')
  .option('--url <url>', 'hookpilot base URL (default: the running local stack)')
  .option('--secret <secret>', 'the event hook secret (default: HOOKPILOT_EVENT_HOOK_SECRET, else the local default)')
  .option('--fresh', 'give every event a new uuid, so a file can be replayed as new events')
  .option('--json', 'print results as JSON')
  .action(async (files: string[], options: { url?: string; secret?: string; fresh?: boolean; json?: boolean }) => {
    const url = `${(options.url ?? defaultUrl()).replace(/\/$/, '')}/okta/events`;
    const results = [];
    for (const file of files) {
      let body: { data?: { events?: { uuid?: string }[] } };
      try {
        body = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        return fail(`cannot read ${file}: ${(error as Error).message}`);
      }
      if (options.fresh) for (const event of body.data?.events ?? []) event.uuid = randomUUID();
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization: options.secret ?? defaultSecret(), 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      } catch {
        return fail(`nothing answers at ${url}: is the local stack running (npm start)?`);
      }
      const text = await response.text();
      const result = {
        file,
        status: response.status,
        events: (body.data?.events ?? []).map((e) => e.uuid),
        body: text || undefined,
      };
      results.push(result);
      if (!options.json) process.stdout.write(`POST ${url} ${file} → ${response.status}${text ? ` ${text}` : ''}\n`);
    }
    if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    if (results.some((r) => r.status >= 300)) process.exitCode = 1;
  });

program
  .command('verify')
  .description('Send Okta’s one-time verification GET to /okta/events and check the echo')
  .option('--url <url>', 'hookpilot base URL (default: the running local stack)')
  .action(async (options: { url?: string }) => {
    const url = `${(options.url ?? defaultUrl()).replace(/\/$/, '')}/okta/events`;
    const challenge = randomUUID();
    const response = await fetch(url, { headers: { [VERIFICATION_HEADER]: challenge } }).catch(() =>
      fail(`nothing answers at ${url}`),
    );
    const body = (await response.json().catch(() => undefined)) as { verification?: string } | undefined;
    if (response.status !== 200 || body?.verification !== challenge) {
      return fail(`verification failed: ${response.status} ${JSON.stringify(body)}`);
    }
    process.stdout.write(`verified: ${url} echoed the challenge\n`);
  });

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};

program
  .command('audit')
  .description('Read the audit trail: by originating event, by Okta user, or the most recent records')
  .option('--event <uuid>', 'every record caused by one Okta event (its uuid)')
  .option('--user <id>', 'records about one Okta user, newest first')
  .option('--recent [minutes]', 'records of the last N minutes (default 60)', positiveInt)
  .option('--limit <n>', 'at most n records', positiveInt, 100)
  .option('--table <name>', 'a deployed audit table (uses your AWS credentials) instead of the local stack')
  .option('--json', 'print records as JSON')
  .action(
    async (options: {
      event?: string;
      user?: string;
      recent?: number | true;
      limit: number;
      table?: string;
      json?: boolean;
    }) => {
      const audit = auditLog(options.table);
      let records: AuditRecord[];
      if (options.event) records = await audit.byCorrelation(options.event);
      else if (options.user) records = await audit.bySubject(options.user, { limit: options.limit });
      else {
        const minutes = options.recent === undefined || options.recent === true ? 60 : options.recent;
        const to = new Date();
        records = await audit.byTime(new Date(to.getTime() - minutes * 60_000).toISOString(), to.toISOString(), {
          limit: options.limit,
        });
      }
      records = records.slice(0, options.limit);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return;
      }
      if (records.length === 0) process.stdout.write('no audit records\n');
      for (const r of records) {
        process.stdout.write(
          `${r.at}  ${r.kind.padEnd(16)} ${r.correlationId}  ${r.subjectUserId ?? '-'}  ${r.summary}\n`,
        );
      }
    },
  );

function auditLog(table: string | undefined): DynamoAuditLog {
  if (table) return new DynamoAuditLog(DynamoDBDocumentClient.from(new DynamoDBClient({})), table);
  const state = requireLocalState();
  return new DynamoAuditLog(
    localDocuments(state.endpoints.dynamodb),
    state.resources.tables.auditTable ?? 'hookpilot-audit',
  );
}

registerSimCommands(program);
registerActCommand(program);
registerPasswordsCommands(program);

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  process.stderr.write(`hookpilot: ${error.message}\n`);
  process.exitCode = 1;
}
