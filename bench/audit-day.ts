import { spawnSync } from 'node:child_process';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startFauxqs } from 'fauxqs';
import { DynamoAuditLog } from '../lambda/store/audit-log.ts';
import { startDynamoLocal } from '../local/dynamodb-local.ts';
import { createResources, emulatorEnv, localDocuments } from '../local/resources.ts';
import { ROOT } from '../local/stack.ts';
import { seedAuditRecords } from '../test/support/audit-seed.ts';
import { percentiles } from './stats.ts';

/**
 * A busy day in the audit trail (issue 12.7): seeds RECORDS records into today's `byDay` partition of a fresh audit table
 * on DynamoDB Local, then times `npx hookpilot audit … --json` (a real CLI process, the table named with `--table` as for
 * a deployed stack), and, for comparison, one Query page without `Limit` (what the CLI used to send). 127.0.0.1 only.
 *
 *   npm run bench:audit              # 108,000 records
 *   npm run bench:audit -- 20000     # another count
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const RECORDS = Math.min(500_000, Math.max(1_000, Number(process.argv[2] ?? 108_000) || 108_000));
const RUNS = 3;
const SUBJECTS = Array.from({ length: 200 }, (_, i) => `00u1bench${String(i).padStart(11, '0')}`);

const [dynamo, sqs] = await Promise.all([
  startDynamoLocal({ maxHeapMb: 1024 }),
  startFauxqs({ port: 0, logger: false }),
]);
try {
  const endpoints = { dynamodb: dynamo.endpoint, sqs: sqs.address };
  const { tables } = await createResources(endpoints, { prefix: 'bench' });
  const documents = localDocuments(endpoints.dynamodb);
  const now = new Date();
  const midnight = new Date(`${now.toISOString().slice(0, 10)}T00:00:00.000Z`);
  const to = new Date(now.getTime() - 1000);
  // the whole day so far, and at least the last hour's worth of it inside one partition
  const from = new Date(Math.max(midnight.getTime(), to.getTime() - 23 * 3_600_000));

  const seedStart = performance.now();
  await seedAuditRecords(documents, tables.auditTable, {
    count: RECORDS,
    from,
    to,
    subjects: SUBJECTS,
    concurrency: 16,
  });
  const seedSeconds = (performance.now() - seedStart) / 1000;
  console.log(
    `seeded ${RECORDS.toLocaleString('en')} records into the ${now.toISOString().slice(0, 10)} partition in ${seedSeconds.toFixed(1)} s (${Math.round(RECORDS / seedSeconds).toLocaleString('en')}/s, BatchWriteItem × 16)`,
  );
  const inLastHour = Math.round(
    (RECORDS * Math.min(3_600_000, to.getTime() - from.getTime())) / (to.getTime() - from.getTime()),
  );
  console.log(`≈ ${inLastHour.toLocaleString('en')} of them in the last hour\n`);

  const cli = (args: string[]) => {
    const start = performance.now();
    const result = spawnSync(process.execPath, ['bin/hookpilot.mjs', ...args, '--json', '--table', tables.auditTable], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...emulatorEnv(endpoints) },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    const ms = performance.now() - start;
    if (result.status !== 0) throw new Error(`hookpilot ${args.join(' ')} failed: ${result.stderr}`);
    return { ms, count: (JSON.parse(result.stdout) as unknown[]).length };
  };

  console.log(
    'npx hookpilot … --json --table <t>               records   p50 (ms)   max (ms)   (whole process, incl. tsx start)',
  );
  for (const args of [
    ['audit', '--recent', '--limit', '1000'],
    ['audit', '--recent', '1440', '--limit', '1000'],
    ['audit', '--recent', '1440', '--limit', '10000'],
    ['audit', '--user', SUBJECTS[0] as string, '--limit', '1000'],
  ]) {
    const runs = Array.from({ length: RUNS }, () => cli(args));
    const { p50, max } = percentiles(runs.map((r) => r.ms));
    console.log(
      `  ${args.join(' ').padEnd(46)} ${String(runs[0]?.count).padStart(8)} ${p50.toFixed(0).padStart(10)} ${max.toFixed(0).padStart(10)}`,
    );
  }
  const baseline = cli(['audit', '--event', 'no-such-event']);
  console.log(
    `  ${'audit --event <none> (start-up floor)'.padEnd(46)} ${String(baseline.count).padStart(8)} ${baseline.ms.toFixed(0).padStart(10)}`,
  );

  // The read alone, in this process: what the CLI spends on DynamoDB.
  const log = new DynamoAuditLog(documents, tables.auditTable);
  const reads = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const got = await log.byTime(new Date(to.getTime() - 3_600_000).toISOString(), to.toISOString(), {
      limit: 1000,
      newestFirst: true,
    });
    reads.push({ ms: performance.now() - start, count: got.length });
  }
  console.log(
    `  ${'(in process) byTime last hour, limit 1000'.padEnd(46)} ${String(reads[0]?.count).padStart(8)} ${percentiles(
      reads.map((r) => r.ms),
    )
      .p50.toFixed(0)
      .padStart(10)}`,
  );

  // What the CLI used to send: the same query without Limit. One page only (DynamoDB returns ≤ 1 MB per page).
  const start = performance.now();
  const page = await documents.send(
    new QueryCommand({
      TableName: tables.auditTable,
      IndexName: 'byDay',
      KeyConditionExpression: '#day = :d AND #at BETWEEN :f AND :t',
      ExpressionAttributeNames: { '#day': 'day', '#at': 'at' },
      ExpressionAttributeValues: {
        ':d': now.toISOString().slice(0, 10),
        ':f': from.toISOString(),
        ':t': to.toISOString(),
      },
    }),
  );
  const pageMs = performance.now() - start;
  const perPage = page.Items?.length ?? 0;
  console.log(
    `\nwithout Limit (before): one page = ${perPage} records in ${pageMs.toFixed(0)} ms; the whole day is ≈ ${Math.ceil(RECORDS / Math.max(1, perPage))} such pages (≈ ${((Math.ceil(RECORDS / Math.max(1, perPage)) * pageMs) / 1000).toFixed(0)} s)`,
  );
  documents.destroy();
} finally {
  await sqs.stop();
  await dynamo.stop();
}
