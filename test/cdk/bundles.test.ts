import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildResult } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/config.ts';
import { NOTIFY_ENV } from '../../lambda/notify/config.ts';
import { APPROVER_TOKEN_ENV } from '../../lambda/okta/access-token-config.ts';
import { OKTA_ENV } from '../../lambda/okta/okta-config.ts';
import { bundle } from '../../lib/bundling.ts';
import { FUNCTIONS, type FunctionId, type FunctionSpec, type Uses } from '../../lib/manifest.ts';

type Bundle = BuildResult<{ metafile: true; write: false }>;

/** Each manifest function bundled with the stack's own esbuild options (metafile on, nothing written), in memory. */
const bundles = new Map<FunctionId, Bundle>();
let dir: string;
/** Bytes of the floor bundle: only the AWS clients a synchronous function must use (bench/cold-start-floor.ts). */
let floorBytes = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hookpilot-bundles-'));
  for (const id of Object.keys(FUNCTIONS) as FunctionId[]) {
    bundles.set(id, await bundle(FUNCTIONS[id].entry, join(dir, id, 'index.mjs')));
  }
  const floor = await bundle('bench/cold-start-floor.ts', join(dir, 'floor', 'index.mjs'));
  floorBytes = floor.outputFiles.find((f) => f.path.endsWith('.mjs'))?.contents.byteLength ?? 0;
  const sizes = [...bundles].map(([id, bundle]) => {
    const size = (suffix: string) => bundle.outputFiles.find((f) => f.path.endsWith(suffix))?.contents.byteLength ?? 0;
    return `  ${id.padEnd(16)} ${(size('.mjs') / 1024).toFixed(1).padStart(8)} KiB  (+ ${(size('.mjs.map') / 1024).toFixed(1)} KiB source map)`;
  });
  console.log(`bundle sizes (minified ESM, AWS SDK included):\n${sizes.join('\n')}`);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function bundleOf(id: FunctionId): Bundle {
  const bundle = bundles.get(id);
  if (!bundle) throw new Error(`${id} was not bundled`);
  return bundle;
}

const inputsOf = (id: FunctionId) => Object.keys(bundleOf(id).metafile.inputs);
/** The inputs that put code into the bundle (tree-shaking parses some files and then keeps nothing of them). */
const shippedOf = (id: FunctionId) =>
  Object.values(bundleOf(id).metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );

describe('function bundles', () => {
  const synchronous = (Object.keys(FUNCTIONS) as FunctionId[]).filter((id) => {
    const spec: FunctionSpec = FUNCTIONS[id];
    return spec.synchronous === true;
  });

  it('mark the event hook receiver and health as synchronous (held to the cold-start floor)', () => {
    expect(synchronous).toEqual(expect.arrayContaining(['eventHook', 'health']));
  });

  it.each(synchronous)('keep the Okta SDK, the OpenAI client and zod’s full build out of %s (synchronous)', (id) => {
    const inputs = inputsOf(id);
    expect(inputs.filter((path) => path.includes('node_modules/@okta/'))).toEqual([]);
    expect(inputs.filter((path) => path.includes('node_modules/openai/'))).toEqual([]);
    expect(inputs.filter((path) => /node_modules\/zod\/(v4\/classic|v3)\//.test(path))).toEqual([]);
    // zod/mini is tree-shaken only when imported as a namespace (`import * as z`): `import { z }` keeps all of it,
    // every locale included (400 KiB).
    expect(shippedOf(id).filter((path) => /node_modules\/zod\/v4\/locales\/(?!en\.js$)/.test(path))).toEqual([]);
  });

  // Size is deterministic, so it is asserted here; import time is measured by `npm run bench:cold-start`.
  it.each(synchronous)('keep %s (synchronous) within 1.25× the size of the AWS-client floor', (id) => {
    const bytes = bundleOf(id).outputFiles.find((f) => f.path.endsWith('.mjs'))?.contents.byteLength ?? 0;
    expect(floorBytes).toBeGreaterThan(100 * 1024); // (control) the floor was bundled
    expect(bytes / floorBytes).toBeLessThanOrEqual(1.25);
  });

  it('(control) zod’s builds are told apart by path: the receiver carries zod/mini, the consumer the full build', () => {
    expect(inputsOf('eventHook').some((path) => path.startsWith('node_modules/zod/v4/mini/'))).toBe(true);
    expect(inputsOf('eventsConsumer').some((path) => path.startsWith('node_modules/zod/v4/classic/'))).toBe(true);
  });

  it.each(Object.keys(FUNCTIONS) as FunctionId[])('%s carries the Okta SDK only if it uses Okta', (id) => {
    const uses: Uses = FUNCTIONS[id].uses;
    const okta = inputsOf(id).some((path) => path.includes('node_modules/@okta/okta-sdk-nodejs/'));
    expect(okta).toBe(uses.okta !== undefined);
  });

  it.each(Object.keys(FUNCTIONS) as FunctionId[])('%s carries the openai SDK only if it uses a model', (id) => {
    const spec: FunctionSpec = FUNCTIONS[id];
    const uses: Uses = spec.uses;
    const openai = inputsOf(id).some((path) => path.includes('node_modules/openai/'));
    // A synchronous function that uses a model (the registration risk screen) calls it with plain fetch.
    expect(openai).toBe(uses.model !== undefined && spec.synchronous !== true);
  });

  it('(control) list node_modules inputs by path, and include the pinned AWS SDK rather than the runtime one', () => {
    const inputs = inputsOf('eventHook');
    expect(inputs.some((path) => path.startsWith('node_modules/@aws-sdk/client-sqs/'))).toBe(true);
    expect(inputs.some((path) => path.startsWith('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
    expect(inputs.some((path) => path.startsWith('node_modules/@aws-sdk/client-secrets-manager/'))).toBe(true);
  });

  it.each(Object.keys(FUNCTIONS) as FunctionId[])('%s is one ESM file with a source map', (id) => {
    const names = bundleOf(id).outputFiles.map((f) => basename(f.path));
    expect(names.sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = bundleOf(id).outputFiles.find((f) => f.path.endsWith('.mjs'))?.text ?? '';
    expect(code.startsWith('import { createRequire')).toBe(true);
    expect(code).toContain('//# sourceMappingURL=index.mjs.map');
  });
});

/** Writes a bundle to disk and calls its handler with `event` in a fresh Node process (no AWS credentials). */
function invoke(id: FunctionId, env: Record<string, string>, event: unknown): { statusCode: number; body?: string } {
  const target = join(dir, id);
  mkdirSync(target, { recursive: true });
  for (const file of bundleOf(id).outputFiles) writeFileSync(file.path, file.contents);
  const url = pathToFileURL(join(target, 'index.mjs')).href;
  const script = `const { handler } = await import(${JSON.stringify(url)});
process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)}, {})));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: target,
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (result.status !== 0) throw new Error(`${id} bundle failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as { statusCode: number; body?: string };
}

const httpEvent = (method: string, path: string, headers: Record<string, string>) => ({
  rawPath: path,
  headers,
  requestContext: { http: { method } },
  isBase64Encoded: false,
});

describe('bundled handlers load and answer as ESM', () => {
  it('health', () => {
    const result = invoke('health', {}, httpEvent('GET', '/health', {}));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '{}')).toEqual({ status: 'ok', service: 'hookpilot' });
  });

  it('event hook receiver: verification challenge, and 401 for a wrong secret', () => {
    const secret = 'bundle-test-secret-0123456789abcdef';
    const env = {
      AWS_REGION: 'us-east-1',
      [ENV.auditTable]: 'audit',
      [ENV.idempotencyTable]: 'idempotency',
      [ENV.eventsQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/events',
      [ENV.eventHookSecret]: secret,
    };
    const verification = invoke(
      'eventHook',
      env,
      httpEvent('GET', '/okta/events', { authorization: secret, 'x-okta-verification-challenge': 'challenge-1' }),
    );
    expect(verification.statusCode).toBe(200);
    expect(JSON.parse(verification.body ?? '{}')).toEqual({ verification: 'challenge-1' });
    const wrong = invoke(
      'eventHook',
      env,
      httpEvent('POST', '/okta/events', { authorization: 'wrong', 'content-type': 'application/json' }),
    );
    expect(wrong.statusCode).toBe(401);
  });

  it('executor: the CommonJS Okta SDK loads in the ESM bundle (the createRequire banner), and an empty batch succeeds', () => {
    const env = {
      AWS_REGION: 'us-east-1',
      [ENV.auditTable]: 'audit',
      [ENV.actionsTable]: 'actions',
      [ENV.actionsQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/actions',
      [ENV.approvalsTable]: 'approvals',
      [ENV.grantsTable]: 'grants',
      [ENV.approvalQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/approval',
      [OKTA_ENV.orgUrl]: 'https://acme-demo.okta.com',
      [OKTA_ENV.apiToken]: 'bundle-test-token-0123456789',
    };
    const result = invoke('executor', env, { Records: [] }) as unknown as { batchItemFailures: unknown[] };
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('notifier: the bundle (with standardwebhooks, CommonJS) loads as ESM, and an empty batch succeeds', () => {
    const env = {
      AWS_REGION: 'us-east-1',
      [ENV.approvalsTable]: 'approvals',
      [ENV.idempotencyTable]: 'idempotency',
      [ENV.notificationsQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/notifications',
      [OKTA_ENV.orgUrl]: 'https://acme-demo.okta.com',
      [OKTA_ENV.apiToken]: 'bundle-test-token-0123456789',
      [NOTIFY_ENV.channels]: 'teams,webhook',
      [ENV.consoleUrl]: 'https://console.example.com',
      [NOTIFY_ENV.config]: JSON.stringify({
        teams: { approvers: 'https://teams.example.com/workflows/1' },
        webhooks: [{ name: 'ops', url: 'https://ops.example.com/hook', secrets: [`whsec_${'A'.repeat(32)}`] }],
      }),
    };
    const result = invoke('notifier', env, { Records: [] }) as unknown as { batchItemFailures: unknown[] };
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('approvals API: jose loads in the bundle, and a call without a valid token is 401 with a Bearer challenge', () => {
    const env = {
      AWS_REGION: 'us-east-1',
      [ENV.auditTable]: 'audit',
      [ENV.actionsQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/actions',
      [ENV.approvalsTable]: 'approvals',
      [ENV.grantsTable]: 'grants',
      [ENV.approvalQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/approval',
      [APPROVER_TOKEN_ENV.issuer]: 'https://acme-demo.okta.com/oauth2/default',
      [APPROVER_TOKEN_ENV.audience]: 'api://default',
    };
    const missing = invoke('approvalsApi', env, httpEvent('GET', '/approvals', {})) as {
      statusCode: number;
      headers?: Record<string, string>;
    };
    expect(missing.statusCode).toBe(401);
    expect(missing.headers?.['www-authenticate']).toMatch(/^Bearer realm="hookpilot"/);
    const notJwt = invoke('approvalsApi', env, httpEvent('GET', '/approvals', { authorization: 'Bearer not-a-jwt' }));
    expect(notJwt.statusCode).toBe(401);
    expect(JSON.parse(notJwt.body ?? '{}').error.message).toBe('the access token is not a JWT');
  });
});
