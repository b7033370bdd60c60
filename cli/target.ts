import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { DynamoAuditLog, type DynamoAuditLogOptions } from '../lambda/store/audit-log.ts';
import { DEFAULT_PORT } from '../local/defaults.ts';
import { localDocuments } from '../local/resources.ts';
import { type LocalState, localState } from '../local/state.ts';
import { CliError } from './output.ts';

/**
 * Where a command acts, found one way for every command: an explicit flag, else its environment variable, else the
 * local stack that `npm start` is running (it describes itself in `.hookpilot/local-stack.json`). A deployed stack is
 * named by its CloudFormation outputs: `--url` is `ApiUrl`, `--table` is `AuditTableName`.
 */
export const TARGET_ENV = { url: 'HOOKPILOT_URL', table: 'HOOKPILOT_AUDIT_TABLE', region: 'AWS_REGION' } as const;

export interface TargetOptions {
  readonly url?: string;
  readonly table?: string;
  readonly region?: string;
}

const FLAGS = {
  url: [
    '--url <url>',
    `hookpilot's base URL, e.g. a deployed stack's ApiUrl output (or ${TARGET_ENV.url}; default: the running local stack)`,
  ],
  table: [
    '--table <name>',
    `a deployed stack's audit table, its AuditTableName output (or ${TARGET_ENV.table}; uses your AWS credentials; default: the running local stack)`,
  ],
  region: ['--region <region>', `the deployed stack's AWS region (or ${TARGET_ENV.region}, or your AWS profile's)`],
} as const satisfies Record<keyof TargetOptions, readonly [string, string]>;

/** Adds the target flags a command understands, worded the same on every command. */
export function targetOptions(command: Command, ...flags: (keyof TargetOptions)[]): Command {
  for (const flag of flags) command.option(FLAGS[flag][0], FLAGS[flag][1]);
  return command;
}

/** The running local stack, or a one-line explanation of how to start it. */
export function localStack(): LocalState {
  const state = localState();
  if (!state) throw new CliError('the local stack is not running: start it with npm start (in another terminal)');
  return state;
}

/** hookpilot's base URL (no trailing slash): `--url`, `HOOKPILOT_URL`, the local stack, else the local default port. */
export function hookpilotUrl(options: TargetOptions): string {
  const explicit = options.url ?? env(TARGET_ENV.url);
  if (explicit !== undefined) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch {
      throw new CliError(`--url must be an http(s) URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError('--url must be an http(s) URL');
    return url.href.replace(/\/+$/, '');
  }
  return localState()?.url ?? `http://127.0.0.1:${env('HOOKPILOT_PORT') ?? DEFAULT_PORT}`;
}

export interface AuditTarget {
  readonly log: DynamoAuditLog;
  /** Where the records come from, for messages: `table X (deployed)` or `the local stack`. */
  readonly where: string;
  close(): void;
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The audit trail to read: a deployed table (`--table` / `HOOKPILOT_AUDIT_TABLE`), else the running local stack's. */
export function auditTarget(options: TargetOptions, logOptions: DynamoAuditLogOptions = {}): AuditTarget {
  const table = options.table ?? env(TARGET_ENV.table);
  if (table !== undefined) {
    if (!TABLE_NAME.test(table))
      throw new CliError('--table must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)');
    if (options.region !== undefined && !REGION.test(options.region)) {
      throw new CliError('--region must be an AWS region such as eu-west-1');
    }
    const client = new DynamoDBClient({
      ...(options.region ? { region: options.region } : {}),
      maxAttempts: 3,
      requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000, throwOnRequestTimeout: true },
    });
    return {
      log: new DynamoAuditLog(DynamoDBDocumentClient.from(client), table, logOptions),
      where: `table ${table}`,
      close: () => client.destroy(),
    };
  }
  const state = localState();
  if (!state) {
    throw new CliError(
      `no audit trail to read: the local stack is not running (start it with npm start), and no --table (or ${TARGET_ENV.table}) names a deployed one`,
    );
  }
  const documents = localDocuments(state.endpoints.dynamodb);
  return {
    log: new DynamoAuditLog(documents, state.resources.tables.auditTable ?? 'hookpilot-audit', logOptions),
    where: 'the local stack',
    close: () => documents.destroy(),
  };
}

/** An environment variable's value, or undefined when unset or blank. */
const env = (name: string): string | undefined => process.env[name]?.trim() || undefined;
