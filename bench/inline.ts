import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { placeRow, readExport } from '../cli/password-export.ts';
import type { Grant } from '../lambda/domain/grant.ts';
import { INLINE_HOOK_TYPE_NAMES, inlineHookPath, OKTA_INLINE_DEADLINE_MS } from '../lambda/okta/inline-types.ts';
import { DynamoGrantStore } from '../lambda/store/grant-store.ts';
import { DynamoLegacyHashStore } from '../lambda/store/legacy-hashes.ts';
import { ROOT } from '../lib/bundling.ts';
import { INLINE_FUNCTIONS } from '../lib/manifest.ts';
import { localDocuments } from '../local/resources.ts';
import { startLocalStack } from '../local/stack.ts';
import { ms, percentiles, timed } from './stats.ts';

/**
 * `npm run bench:inline`: latency of every inline hook against the local stack (the real handlers behind the local
 * gateway, auditing into DynamoDB Local), the requests Okta sends (cli/inline-requests/), sequentially — p50/p95/p99
 * beside Okta's 3 s deadline — then the cold-start import time of each inline bundle (bench/cold-start.ts).
 * 127.0.0.1 only; bounded: BENCH_INLINE_REQUESTS per hook (default 100, at most 1000).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const REQUESTS = Math.min(1000, Math.max(10, Number(process.env.BENCH_INLINE_REQUESTS ?? 100)));
const WARMUP = 5;

const stack = await startLocalStack({ port: 0, consumers: false, okta: { port: 0, registerHook: false } });
const rows: string[] = [];
try {
  await seedLegacyHashes();
  await seedGrants();
  const token = await oauthToken(stack.okta.sim.authorizationServers.issuer());
  for (const type of INLINE_HOOK_TYPE_NAMES) {
    const body = readFileSync(resolve(ROOT, 'cli', 'inline-requests', `${type}.json`), 'utf8');
    for (const [scheme, authorization] of [
      ['secret', stack.inlineHookSecret],
      ['oauth', `Bearer ${token}`],
    ] as const) {
      let n = 0;
      const call = async () => {
        const response = await fetch(`${stack.url}${inlineHookPath(type)}`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json', 'x-okta-request-id': `bench-${type}` },
          // Telephony: a new number and user each time, so the send path is measured, not the rate limits' refusal.
          body: type === 'telephony' ? distinctTelephony(body, `${scheme}${++n}`) : body,
        });
        if (response.status !== 200)
          throw new Error(`${type}: unexpected ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      };
      for (let i = 0; i < WARMUP; i++) await call();
      const samples: number[] = [];
      for (let i = 0; i < REQUESTS; i++) samples.push(await timed(call));
      const p = percentiles(samples);
      rows.push(
        `${type.padEnd(16)} ${scheme.padEnd(7)} ${ms(p.p50)} ${ms(p.p95)} ${ms(p.p99)} ${ms(p.max)}   ${((p.p99 / OKTA_INLINE_DEADLINE_MS) * 100).toFixed(1).padStart(5)}%`,
      );
    }
  }
} finally {
  await stack.stop();
}

console.log(
  `\nhookpilot inline hooks — ${REQUESTS} sequential requests per hook and scheme against the local stack (after ${WARMUP} warm-up), Node ${process.version}\n`,
);
console.log('hook             auth           p50        p95        p99        max   p99 / Okta’s 3000 ms');
for (const row of rows) console.log(row);
console.log(
  '\n(token and SAML: the request’s user holds an active group grant, read with one DynamoDB query; telephony: each request to a new number, sent through the local fake SMS gateway; password-import: the request’s user verified against its scrypt legacy hash, N=16384 r=8, from cli/examples/legacy-passwords.csv; the time budget is 2000 ms)',
);

// Cold start of each inline bundle, measured exactly as npm run bench:cold-start does.
const coldStart = spawnSync(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench', 'cold-start.ts')], {
  cwd: ROOT,
  encoding: 'utf8',
  env: { ...process.env, BENCH_FUNCTIONS: Object.values(INLINE_FUNCTIONS).join(',') },
  timeout: 600_000,
});
process.stdout.write(coldStart.stdout);
if (coldStart.status !== 0) {
  process.stderr.write(coldStart.stderr);
  process.exitCode = 1;
}

/** A client-credentials token as Okta fetches one for an OAuth-secured hook (the simulator's inline client). */
async function oauthToken(issuer: string): Promise<string> {
  const { LOCAL_INLINE_CLIENT_SECRET } = await import('../local/okta-sim/authorization-server.ts');
  const response = await fetch(`${issuer}/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'hookpilot-inline-hooks',
      client_secret: LOCAL_INLINE_CLIENT_SECRET,
      scope: 'hookpilot.inline',
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`the simulator refused the token request (${response.status})`);
  return body.access_token;
}

/** The telephony request with its own phone number and user id (`+1555…`, digits from `seed`). */
function distinctTelephony(body: string, seed: string): string {
  const request = JSON.parse(body) as {
    data: { userProfile?: { userId?: string }; messageProfile: { phoneNumber: string } };
  };
  const digits = String([...seed].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 10_000_000, 7)).padStart(7, '0');
  request.data.messageProfile.phoneNumber = `+1555${digits}`;
  if (request.data.userProfile) request.data.userProfile.userId = `00uBENCH${digits}`;
  return JSON.stringify(request);
}

/** The example export's hook rows in the stack's legacy-hash table, so password-import verifies a real hash. */
async function seedLegacyHashes(): Promise<void> {
  const rows = readExport(readFileSync(resolve(ROOT, 'cli', 'examples', 'legacy-passwords.csv'), 'utf8'), 'csv');
  const store = new DynamoLegacyHashStore(
    localDocuments(stack.endpoints.dynamodb),
    stack.resources.tables.legacyHashesTable,
  );
  const now = new Date().toISOString();
  await store.put(
    rows
      .map(({ line, row }) => placeRow(line, row))
      .flatMap((p) =>
        p.target === 'hook'
          ? [{ login: p.profile.login, hash: p.hash, importId: 'bench', sunset: '2099-01-01', importedAt: now }]
          : [],
      ),
  );
}

/** An active group grant for the token and SAML requests' users, so those hooks' one grants query finds something. */
async function seedGrants(): Promise<void> {
  const store = new DynamoGrantStore(localDocuments(stack.endpoints.dynamodb), stack.resources.tables.grantsTable);
  for (const type of ['token', 'saml'] as const) {
    const request = JSON.parse(readFileSync(resolve(ROOT, 'cli', 'inline-requests', `${type}.json`), 'utf8')) as {
      data: { context: { user: { id: string } } };
    };
    const userId = request.data.context.user.id;
    const groupId = '00gBENCHgrant000001';
    const grantedAt = new Date();
    const grant: Grant = {
      grantId: `bench-inline-${type}`,
      state: 'active',
      subjectUserId: userId,
      action: { type: 'group.add_member', params: { userId, groupId } },
      inverse: { type: 'group.remove_member', params: { userId, groupId } },
      grantedAt: grantedAt.toISOString(),
      durationSeconds: 3600,
      expiresAt: new Date(grantedAt.getTime() + 3600_000).toISOString(),
      durationReason: 'bench',
      approvers: [],
      correlationId: 'bench-inline',
      version: 0,
    };
    // The local stack's tables may outlive a run: a grant from an earlier one is renewed (a conditional update).
    const existing = await store.get(grant.grantId);
    const stored = existing
      ? await store.update({ ...grant, version: existing.version + 1 }, existing.version)
      : await store.create(grant);
    if (!stored) throw new Error(`could not seed the grant ${grant.grantId}`);
  }
}
