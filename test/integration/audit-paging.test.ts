import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lambda/ports.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { emulatorEnv, type LocalResources } from '../../local/resources.ts';
import { ROOT } from '../../local/stack.ts';
import { seedAuditRecords } from '../support/audit-seed.ts';
import { emulators, freshResources, testClients } from '../support/emulators.ts';

/**
 * A busy day in the audit trail (issue 12.7: `audit --recent --limit 1000 --json` on ~108k records in one day partition
 * failed, because the query had no `Limit`). Here a few thousand records in one `byDay` partition, read with a small page
 * size while every Query request is counted: each request asks for at most a page, and a read stops as soon as it has
 * what it was asked for. The 100k+ case is measured by `npm run bench:audit` (speed is not asserted in tests).
 */
const SEEDED = 3_000;
const SUBJECTS = ['00u1busybusybusy0001', '00u1busybusybusy0002', '00u1busybusybusy0003'];
const { documents } = testClients();
let resources: LocalResources;
let records: AuditRecord[];

/** The `Limit` of every Query this client sends (the DynamoDB client's own middleware stack: a count, not a mock). */
const queryLimits: (number | undefined)[] = [];
documents.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'QueryCommand') queryLimits.push((args.input as { Limit?: number }).Limit);
    return next(args);
  },
  { step: 'initialize', name: 'countQueries' },
);
const countQueries = async <T>(fn: () => Promise<T>) => {
  queryLimits.length = 0;
  const result = await fn();
  return { result, limits: [...queryLimits] };
};

const table = () => resources.tables.auditTable;
const log = (pageSize: number) => new DynamoAuditLog(documents, table(), { pageSize });

beforeAll(async () => {
  resources = await freshResources();
  const to = new Date(Date.now() - 60_000);
  records = await seedAuditRecords(documents, table(), {
    count: SEEDED,
    from: new Date(to.getTime() - 50 * 60_000),
    to,
    subjects: SUBJECTS,
  });
}, 120_000);

const keys = (rs: readonly AuditRecord[]) => rs.map((r) => r.correlationId);
const window = () => ({ from: records[0]?.at ?? '', to: records.at(-1)?.at ?? '' });

describe('audit reads page with Limit and stop at the limit', () => {
  it('byTime: the newest n of a busy window in ceil(n / page) requests, none asking for more than a page', async () => {
    const { from, to } = window();
    const { result, limits } = await countQueries(() => log(100).byTime(from, to, { limit: 250, newestFirst: true }));
    expect(keys(result)).toEqual(keys(records.slice(-250).reverse()));
    expect(limits).toEqual([100, 100, 50]);
  });

  it('byTime: oldest first by default, and without a limit it pages through the whole window', async () => {
    const { from, to } = window();
    const first = await countQueries(() => log(100).byTime(from, to, { limit: 120 }));
    expect(keys(first.result)).toEqual(keys(records.slice(0, 120)));
    expect(first.limits).toEqual([100, 20]);

    const all = await countQueries(() => log(1000).byTime(from, to));
    expect(all.result).toHaveLength(SEEDED);
    expect(new Set(keys(all.result)).size).toBe(SEEDED);
    // 3 full pages; DynamoDB may need one more request to find that nothing follows the last one
    expect(all.limits.length).toBeGreaterThanOrEqual(Math.ceil(SEEDED / 1000));
    expect(all.limits.length).toBeLessThanOrEqual(Math.ceil(SEEDED / 1000) + 1);
    expect(all.limits.every((limit) => limit === 1000)).toBe(true);
  });

  it('bySubject: newest first, n records in pages', async () => {
    const mine = records.filter((r) => r.subjectUserId === SUBJECTS[1]);
    const { result, limits } = await countQueries(() => log(40).bySubject(SUBJECTS[1] as string, { limit: 100 }));
    expect(keys(result)).toEqual(keys(mine.slice(-100).reverse()));
    expect(limits).toEqual([40, 40, 20]);
  });

  it('byCorrelation: a correlation larger than a page is read whole, oldest first', async () => {
    const correlationId = randomUUID();
    const at = Date.now() - 3_600_000;
    const steps: AuditRecord[] = Array.from({ length: 30 }, (_, i) => ({
      correlationId,
      recordKey: `step:${String(i).padStart(2, '0')}`,
      kind: 'action.attempt_failed',
      at: new Date(at + i * 1000).toISOString(),
      actor: 'executor',
      summary: `attempt ${i}`,
    }));
    await log(10).append(steps);
    const whole = await countQueries(() => log(10).byCorrelation(correlationId));
    expect(whole.result.map((r) => r.recordKey)).toEqual(steps.map((s) => s.recordKey));
    expect(whole.limits.slice(0, 3)).toEqual([10, 10, 10]);
    const some = await countQueries(() => log(10).byCorrelation(correlationId, { limit: 5 }));
    expect(some.result).toHaveLength(5);
    expect(some.limits).toEqual([5]);
  });
});

/** Runs `npx hookpilot …` against DynamoDB Local as a deployed table (`--table`), as an operator would. */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/hookpilot.mjs', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...emulatorEnv(emulators()) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('npx hookpilot audit on a busy day', () => {
  it('--recent --limit 1000 --json: the latest 1000 records of the last hour, oldest first', async () => {
    const result = await cli('audit', '--recent', '--limit', '1000', '--json', '--table', table());
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout) as AuditRecord[];
    expect(keys(printed)).toEqual(keys(records.slice(-1000)));
    expect(printed[0]).toEqual(records.at(-1000));
  });

  it('--user --limit: the newest records about one user', async () => {
    const result = await cli('audit', '--user', SUBJECTS[0] as string, '--limit', '7', '--json', '--table', table());
    expect(result.status).toBe(0);
    const mine = records.filter((r) => r.subjectUserId === SUBJECTS[0]);
    expect(keys(JSON.parse(result.stdout) as AuditRecord[])).toEqual(keys(mine.slice(-7).reverse()));
  });

  it('a table that does not exist: one line naming the problem, exit 1, no stack trace', async () => {
    const result = await cli('audit', '--recent', '--table', `missing-${randomUUID().slice(0, 8)}`);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'hookpilot: the audit store (DynamoDB) is unavailable: the table does not exist (check --table and --region)\n',
    );
  });
});
