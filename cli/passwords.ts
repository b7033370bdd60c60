import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import type { LegacyHashRecord } from '../lambda/domain/legacy-hash.ts';
import type { LegacyHashStore } from '../lambda/ports.ts';
import { DynamoLegacyHashStore } from '../lambda/store/legacy-hashes.ts';
import { localDocuments } from '../local/resources.ts';
import { CliError, print } from './output.ts';
import { type ExportProfile, ExportRowError, type Placement, placeRow, readExport } from './password-export.ts';
import { localStack } from './target.ts';

/** Where users are created in Okta (the local simulator, or an org with an API token). */
export interface OktaTarget {
  readonly orgUrl: string;
  readonly token: string;
}

export interface ImportOptions {
  readonly importId: string;
  /** ISO date (YYYY-MM-DD): after it, `passwords pending` lists who never signed in. */
  readonly sunset: string;
  readonly now: Date;
  /** Undefined: do not touch Okta, only store the hashes the hook needs. */
  readonly okta?: OktaTarget;
  readonly dryRun?: boolean;
}

export interface ImportRowResult {
  readonly login: string;
  readonly target: Placement['target'];
  /** `created`: new Okta user; `exists`: the login was in Okta already; `stored`: hash kept for the hook. */
  readonly outcome: 'created' | 'exists' | 'stored' | 'skipped' | 'failed' | 'planned';
  readonly oktaUserId?: string;
  readonly reason?: string;
}

/**
 * Imports the placed rows: Okta-compatible hashes go onto new Okta users (`credentials.password.hash`); the rest become
 * Okta users with `credentials.password.hook` and a legacy-hash record for the password import hook. Never prints or
 * returns a hash. A user already in Okta keeps its credentials (a hash can only be set on a STAGED user).
 */
export async function importPasswords(
  placements: readonly Placement[],
  store: Pick<LegacyHashStore, 'put'>,
  options: ImportOptions,
): Promise<ImportRowResult[]> {
  const results: ImportRowResult[] = [];
  const records: LegacyHashRecord[] = [];
  for (const p of placements) {
    if (p.target === 'unsupported') {
      results.push({ login: p.profile.login, target: p.target, outcome: 'skipped', reason: p.reason });
      continue;
    }
    if (options.dryRun) {
      results.push({ login: p.profile.login, target: p.target, outcome: 'planned' });
      continue;
    }
    let oktaUserId: string | undefined;
    let outcome: ImportRowResult['outcome'] = p.target === 'hook' ? 'stored' : 'created';
    if (options.okta) {
      const password = p.target === 'okta' ? { hash: p.hash } : { hook: { type: 'default' } };
      const created = await createOktaUser(options.okta, p.profile, password);
      if (created.status === 'failed') {
        results.push({ login: p.profile.login, target: p.target, outcome: 'failed', reason: created.reason });
        continue;
      }
      oktaUserId = created.id;
      if (created.status === 'exists') outcome = p.target === 'hook' ? 'stored' : 'exists';
    }
    if (p.target === 'hook') {
      records.push({
        login: p.profile.login,
        hash: p.hash,
        importId: options.importId,
        sunset: options.sunset,
        importedAt: options.now.toISOString(),
        ...(oktaUserId ? { oktaUserId } : {}),
      });
    }
    results.push({ login: p.profile.login, target: p.target, outcome, ...(oktaUserId ? { oktaUserId } : {}) });
  }
  if (records.length > 0) await store.put(records);
  return results;
}

const OKTA_TIMEOUT_MS = 15_000;

async function createOktaUser(
  okta: OktaTarget,
  profile: ExportProfile,
  password: unknown,
): Promise<{ status: 'created' | 'exists'; id?: string } | { status: 'failed'; reason: string }> {
  const base = okta.orgUrl.replace(/\/$/, '');
  const headers = {
    authorization: `SSWS ${okta.token}`,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  let response: Response;
  try {
    response = await fetch(`${base}/api/v1/users?activate=true`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ profile, credentials: { password } }),
      signal: AbortSignal.timeout(OKTA_TIMEOUT_MS),
    });
  } catch {
    throw new CliError(`Okta does not answer at ${base}`);
  }
  const body = (await response.json().catch(() => ({}))) as {
    id?: string;
    errorCode?: string;
    errorSummary?: string;
    errorCauses?: { errorSummary?: string }[];
  };
  if (response.ok) return { status: 'created', id: body.id };
  const causes = (body.errorCauses ?? []).map((c) => c.errorSummary ?? '').join('; ');
  if (response.status === 400 && /already exists/i.test(causes)) {
    const found = await fetch(`${base}/api/v1/users/${encodeURIComponent(profile.login)}`, {
      headers,
      signal: AbortSignal.timeout(OKTA_TIMEOUT_MS),
    }).catch(() => {
      throw new CliError(`Okta does not answer at ${base}`);
    });
    const user = (await found.json().catch(() => ({}))) as { id?: string };
    return { status: 'exists', id: found.ok ? user.id : undefined };
  }
  if (response.status === 401 || response.status === 403)
    throw new CliError(`Okta refused the API token (${response.status})`);
  return {
    status: 'failed',
    reason: `Okta ${response.status} ${body.errorCode ?? ''}: ${causes || body.errorSummary || ''}`.trim(),
  };
}

/** The parsed file: placements, or a CliError naming the line and column of the first malformed row. */
export function placementsOf(file: string): Placement[] {
  const ext = extname(file).toLowerCase();
  const format = ext === '.csv' ? 'csv' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : undefined;
  if (!format) throw new CliError(`${file}: expected a .csv or .jsonl export`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return readExport(text, format).map(({ line, row }) => placeRow(line, row));
  } catch (error) {
    if (error instanceof ExportRowError) throw new CliError(`${file} ${error.message}`);
    throw error;
  }
}

function storeFor(table: string | undefined): DynamoLegacyHashStore {
  if (table) {
    // Bounded like every CLI call to a deployed table: a hung request is an error, not a wait.
    const client = new DynamoDBClient({
      maxAttempts: 3,
      requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000, throwOnRequestTimeout: true },
    });
    return new DynamoLegacyHashStore(DynamoDBDocumentClient.from(client), table);
  }
  const state = localStack();
  const name = state.resources.tables.legacyHashesTable;
  if (!name) throw new CliError('the running local stack has no legacy-hash table: restart it (npm start)');
  return new DynamoLegacyHashStore(localDocuments(state.endpoints.dynamodb), name);
}

const DAY_MS = 86_400_000;

export function passwords(program: Command): void {
  const group = program
    .command('passwords')
    .description('Migrate passwords off a legacy store: Okta-compatible hashes into Okta, the rest to the import hook');

  group
    .command('import')
    .description('Load a legacy password export (.csv or .jsonl; columns in docs/password-import.md)')
    .argument('<file>', 'the export')
    .option('--sunset <date>', 'after this date (YYYY-MM-DD) `passwords pending` lists who never migrated', '')
    .option('--import-id <id>', 'names this import (default: file name and date)')
    .option(
      '--hash-table <name>',
      "a deployed stack's legacy-hash table (uses your AWS credentials) instead of the local stack",
    )
    .option('--okta-url <url>', 'the Okta org (default: the local simulator); the API token from OKTA_API_TOKEN')
    .option('--no-okta', 'do not create Okta users: only store the hashes the hook verifies')
    .option('--dry-run', 'say where each user would go, change nothing')
    .option('--json', 'print results as JSON')
    .action(async (file: string, options: Record<string, string | boolean | undefined>) => {
      const now = new Date();
      const sunset = (options.sunset as string) || new Date(now.getTime() + 60 * DAY_MS).toISOString().slice(0, 10);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(sunset) || Number.isNaN(Date.parse(sunset))) {
        throw new CliError('--sunset: expected a date as YYYY-MM-DD');
      }
      const placements = placementsOf(file);
      let okta: OktaTarget | undefined;
      if (options.okta !== false && !options.dryRun) {
        if (options.oktaUrl) {
          const token = process.env.OKTA_API_TOKEN?.trim();
          if (!token) throw new CliError('--okta-url needs the API token in OKTA_API_TOKEN');
          okta = { orgUrl: options.oktaUrl as string, token };
        } else {
          const state = localStack();
          okta = { orgUrl: state.okta.orgUrl, token: state.okta.token };
        }
      }
      const store = options.dryRun ? { put: async () => undefined } : storeFor(options.hashTable as string | undefined);
      const importId =
        (options.importId as string | undefined) ??
        `${basename(file, extname(file))}-${now.toISOString().slice(0, 10)}`;
      const results = await importPasswords(placements, store, {
        importId,
        sunset,
        now,
        okta,
        dryRun: !!options.dryRun,
      });
      if (options.json) {
        print(JSON.stringify({ importId, sunset, results }, null, 2));
      } else {
        for (const r of results) {
          print(`${r.login.padEnd(36)} ${r.target.padEnd(11)} ${r.outcome}${r.reason ? `: ${r.reason}` : ''}`);
        }
        const count = (t: string) => results.filter((r) => r.target === t).length;
        print(
          `import ${importId}: ${count('okta')} hash(es) into Okta, ${count('hook')} kept for the password import hook, ${count('unsupported')} unsupported; sunset ${sunset}`,
        );
      }
      if (results.some((r) => r.outcome === 'failed')) process.exitCode = 1;
    });

  group
    .command('pending')
    .description('Users whose legacy hash is still waiting after their import’s sunset (they never signed in)')
    .option('--at <date>', 'as of this date (default: today)')
    .option(
      '--hash-table <name>',
      "a deployed stack's legacy-hash table (uses your AWS credentials) instead of the local stack",
    )
    .option('--json', 'print as JSON')
    .action(async (options: { at?: string; hashTable?: string; json?: boolean }) => {
      const at = options.at ?? new Date().toISOString().slice(0, 10);
      if (Number.isNaN(Date.parse(at))) throw new CliError('--at: expected a date as YYYY-MM-DD');
      const pending = (await storeFor(options.hashTable).pastSunset(at)).map((r) => ({
        login: r.login,
        importId: r.importId,
        sunset: r.sunset,
        oktaUserId: r.oktaUserId ?? null,
      }));
      if (options.json) print(JSON.stringify(pending, null, 2));
      else {
        if (pending.length === 0) print(`nobody is pending past the sunset (as of ${at})`);
        for (const p of pending)
          print(`${p.login.padEnd(36)} ${p.importId}  sunset ${p.sunset}  ${p.oktaUserId ?? '-'}`);
      }
    });
}
