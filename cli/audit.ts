import type { Command } from 'commander';
import type { AuditRecord } from '../lambda/ports.ts';
import { positiveInt } from './options.ts';
import { CliError, print, printJson } from './output.ts';
import { auditTarget, type TargetOptions, targetOptions } from './target.ts';

/** The most records one command returns: a bigger export is DynamoDB's job (export to S3), not a terminal's. */
export const MAX_AUDIT_LIMIT = 10_000;

interface AuditOptions extends TargetOptions {
  event?: string;
  user?: string;
  recent?: number | true;
  limit: number;
  json?: boolean;
}

/**
 * `hookpilot audit`: read the audit trail of the local stack or a deployed one. Every query asks DynamoDB for pages of
 * at most `--limit` records and stops there, so it answers in about a second even on a day of 100k+ records.
 */
export function audit(program: Command): void {
  const command = program
    .command('audit')
    .description('Read the audit trail: by originating event, by Okta user, or the most recent records')
    .option('--event <uuid>', 'every record caused by one Okta event (its uuid) or one action (its id), oldest first')
    .option('--user <id>', 'records about one Okta user, newest first')
    .option(
      '--recent [minutes]',
      'the latest records of the last N minutes (default 60), oldest first; what audit shows without an option',
      positiveInt(366 * 24 * 60),
    )
    .option('--limit <n>', `at most n records (up to ${MAX_AUDIT_LIMIT})`, positiveInt(MAX_AUDIT_LIMIT), 100)
    .option('--json', 'print the records as a JSON array');
  targetOptions(command, 'table', 'region').action(async (options: AuditOptions) => {
    const chosen = [options.event, options.user, options.recent].filter((o) => o !== undefined).length;
    if (chosen > 1) throw new CliError('give one of --event, --user or --recent');
    const target = auditTarget(options);
    let records: AuditRecord[];
    try {
      if (options.event) records = await target.log.byCorrelation(options.event, { limit: options.limit });
      else if (options.user) records = await target.log.bySubject(options.user, { limit: options.limit });
      else {
        const minutes = options.recent === undefined || options.recent === true ? 60 : options.recent;
        const to = new Date();
        const from = new Date(to.getTime() - minutes * 60_000);
        const newest = await target.log.byTime(from.toISOString(), to.toISOString(), {
          limit: options.limit,
          newestFirst: true,
        });
        records = newest.reverse();
      }
    } finally {
      target.close();
    }
    if (options.json) return printJson(records);
    if (records.length === 0) return print(`no audit records (${target.where})`);
    for (const r of records) {
      print(`${r.at}  ${r.kind.padEnd(23)} ${r.correlationId}  ${r.subjectUserId ?? '-'}  ${r.summary}`);
    }
  });
}
