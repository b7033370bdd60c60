import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENV } from '../lambda/config.ts';
import { INLINE_CONFIG_ENV } from '../lambda/domain/inline-config.ts';
import { POLICY_ENV } from '../lambda/domain/policy-config.ts';
import { APPROVER_TOKEN_ENV } from '../lambda/okta/access-token-config.ts';
import { INLINE_ENV } from '../lambda/okta/inline-config-env.ts';
import { OKTA_ENV } from '../lambda/okta/okta-config.ts';
import { bundle, ROOT } from '../lib/bundling.ts';
import {
  FUNCTIONS,
  type FunctionId,
  type FunctionSpec,
  QUEUES,
  type QueueId,
  RESOURCE_ENV,
  TABLES,
  type TableId,
} from '../lib/manifest.ts';

/**
 * Cold start of every function: each manifest entry is bundled exactly as the stack bundles it (lib/bundling.ts), beside
 * a floor bundle holding only the AWS clients a synchronous function must use (bench/cold-start-floor.ts). For each it
 * prints the minified size, the median time to import the bundle in a fresh Node process (module evaluation: what a
 * Lambda cold start pays before the first event), and both as ratios to the floor. Synchronous functions (the manifest's
 * `synchronous`) are held to 1.25× the floor on both.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const TARGET = 1.25;
const FLOOR = 'floor';
/** `BENCH_FUNCTIONS=inlineToken,inlineSaml`: only these functions (beside the floor), e.g. from `npm run bench:inline`. */
const ONLY = process.env.BENCH_FUNCTIONS?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);

/** Settings every handler reads at import (no AWS call is made: nothing is invoked). */
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  // Every table and queue of the manifest, so a function that gains one needs no change here.
  ...Object.fromEntries(Object.keys(TABLES).map((id) => [RESOURCE_ENV[id as TableId], `bench-${id}`])),
  ...Object.fromEntries(
    Object.keys(QUEUES).map((id) => [
      RESOURCE_ENV[id as QueueId],
      `https://sqs.us-east-1.amazonaws.com/123456789012/${id}`,
    ]),
  ),
  [APPROVER_TOKEN_ENV.issuer]: 'https://acme-demo.okta.com/oauth2/default',
  [APPROVER_TOKEN_ENV.audience]: 'api://default',
  [ENV.eventHookSecret]: 'bench-secret-0123456789abcdef',
  [OKTA_ENV.orgUrl]: 'https://acme-demo.okta.com',
  [OKTA_ENV.apiToken]: 'bench-token-0123456789',
  [POLICY_ENV.file]: join(ROOT, 'policy', 'hookpilot.policy.json'),
  [INLINE_ENV.secret]: 'bench-inline-secret-0123456789abcdef',
  [INLINE_CONFIG_ENV.file]: join(ROOT, 'policy', 'inline-hooks.json'),
};

const dir = mkdtempSync(join(tmpdir(), 'hookpilot-cold-start-'));
try {
  const entries: [string, string][] = [
    [FLOOR, 'bench/cold-start-floor.ts'],
    ...Object.entries(FUNCTIONS)
      .filter(([id]) => ONLY === undefined || ONLY.includes(id))
      .map(([id, spec]): [string, string] => [id, spec.entry]),
  ];
  const files = new Map<string, { url: string; bytes: number }>();
  for (const [id, entry] of entries) {
    const result = await bundle(entry, join(dir, id, 'index.mjs'));
    mkdirSync(join(dir, id), { recursive: true });
    for (const file of result.outputFiles) writeFileSync(file.path, file.contents);
    const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
    files.set(id, { url: pathToFileURL(join(dir, id, 'index.mjs')).href, bytes: code?.contents.byteLength ?? 0 });
  }

  // Interleaved runs (floor, a, b, …, floor, a, b, …) so that a noisy moment on a shared machine hits every bundle.
  const samples = new Map<string, number[]>(entries.map(([id]) => [id, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [id] of entries) samples.get(id)?.push(importMs(files.get(id)?.url ?? ''));
  }

  const floor = { kib: kib(files.get(FLOOR)?.bytes ?? 0), ms: median(samples.get(FLOOR) ?? []) };
  console.log(
    `\nhookpilot cold start — bundles as the stack builds them; median of ${RUNS} imports in fresh Node ${process.version} processes\n`,
  );
  console.log('function          sync   bundle KiB   ×floor   import ms   ×floor   target (sync: ≤ 1.25× both)');
  let missed = 0;
  for (const [id] of entries) {
    const spec: FunctionSpec | undefined = id === FLOOR ? undefined : FUNCTIONS[id as FunctionId];
    const size = kib(files.get(id)?.bytes ?? 0);
    const ms = median(samples.get(id) ?? []);
    const sizeRatio = size / floor.kib;
    const msRatio = ms / floor.ms;
    const sync = spec?.synchronous === true;
    const verdict = !sync ? '' : sizeRatio <= TARGET && msRatio <= TARGET ? 'met' : 'MISSED';
    if (verdict === 'MISSED') missed += 1;
    console.log(
      `${id.padEnd(17)} ${(id === FLOOR ? '' : sync ? 'yes' : 'no').padEnd(5)} ${size.toFixed(0).padStart(11)} ${sizeRatio.toFixed(2).padStart(7)}× ${ms.toFixed(1).padStart(10)} ${msRatio.toFixed(2).padStart(7)}×   ${verdict}`,
    );
  }
  console.log(
    `\n(floor = ${FLOOR}: DynamoDBDocumentClient + SQSClient + SecretsManagerClient only; import ms = evaluating the bundle, Node start-up excluded)`,
  );
  if (missed > 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Milliseconds to import the bundle at `url` in a fresh Node process. */
function importMs(url: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status !== 0) throw new Error(`importing ${url} failed: ${result.stderr}`);
  return Number(result.stdout);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function kib(bytes: number): number {
  return bytes / 1024;
}
