/**
 * `npm run bench:console`: how fast the approvals console answers on this machine, over real HTTP through the local
 * stack (gateway → the console handler → DynamoDB Local, the Okta simulator for names). After one sign-in through the
 * simulator (authorization code + PKCE), it times warm GETs of the list page and of request pages, and approvals
 * (POST → 303), against a floor: `GET /health` through the same gateway. Figures only; nothing is asserted. Everything
 * is local (127.0.0.1) and bounded (BENCH_CONSOLE requests, default 40).
 */
import { approvalIdFor, payloadHash } from '../lambda/domain/approval.ts';
import { DEFAULT_POLICY } from '../lambda/domain/policy-config.ts';
import { approvalRequirement } from '../lambda/policy/approval-rules.ts';
import { DynamoApprovalStore } from '../lambda/store/approval-store.ts';
import { localDocuments } from '../local/resources.ts';
import { startLocalStack } from '../local/stack.ts';
import { ms, percentiles, timed } from './stats.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.HOOKPILOT_SWEEP_INTERVAL_SECONDS = '0';
const N = Number(process.env.BENCH_CONSOLE ?? 40);
const APPROVER = 'sarah.mitchell@acme-demo.example'; // it-approvers in the bundled org

const stack = await startLocalStack({ port: 0, okta: { port: 0, registerHook: false }, consumers: false });
try {
  const base = stack.url;
  const store = new DynamoApprovalStore(
    localDocuments(stack.endpoints.dynamodb),
    stack.resources.tables.approvalsTable,
  );
  // Subjects: active users other than the approver (nobody decides on their own request).
  const users = stack.okta.sim.state
    .users()
    .filter((u) => u.status === 'ACTIVE' && (u.profile as { login?: string }).login !== APPROVER);
  const group = String(stack.okta.sim.state.group('dept-sales')?.id);
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    const user = users[(i + 5) % users.length] as { id: string };
    const actionId = `bench-console-${i}-${Date.now()}`;
    const message = {
      schemaVersion: 1 as const,
      actionId,
      action: { type: 'group.add_member', params: { userId: user.id, groupId: group } },
      origin: { kind: 'recommendation' as const, correlationId: `bench-${actionId}` },
      decidedAt: new Date().toISOString(),
    };
    const core = { approvalId: approvalIdFor(actionId), message };
    await store.create(
      {
        ...core,
        state: 'pending',
        payloadHash: payloadHash(core),
        risk: 'low',
        confidence: 0.7,
        rationale: '7 of 10 peers hold it',
        evidence: ['peers: 7/10'],
        rule: 'mode-assisted',
        reason: 'assisted mode',
        correlationId: message.origin.correlationId,
        eventType: 'user.lifecycle.create',
        subjectUserId: user.id,
        requestedAt: new Date().toISOString(),
        requestExpiresAt: new Date(Date.now() + 72 * 3600_000).toISOString(),
        required: approvalRequirement(DEFAULT_POLICY, 'low', 'group.add_member'),
        decisions: [],
        version: 0,
      },
      [],
    );
    ids.push(core.approvalId);
  }

  // Sign in as a browser would (every redirect by hand), keeping the session cookie.
  let cookie = '';
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      if (!/Max-Age=0/.test(line)) cookie = [cookie, pair].filter(Boolean).join('; ');
    }
    return response;
  };
  const get = (path: string) =>
    fetch(`${base}${path}`, { redirect: 'manual', headers: { cookie } }).then(async (r) => {
      keep(r);
      await r.arrayBuffer();
      return r;
    });
  const signInMs = await timed(async () => {
    const start = keep(await fetch(`${base}/console/login`, { redirect: 'manual' }));
    const authorize = new URL(start.headers.get('location') as string);
    const form = new URLSearchParams(authorize.searchParams);
    form.set('login', APPROVER);
    const consent = await fetch(`${authorize.origin}${authorize.pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const callback = new URL(consent.headers.get('location') as string);
    const back = await get(`${callback.pathname}${callback.search}`);
    if (back.status !== 303) throw new Error(`sign-in failed: the callback answered ${back.status}`);
  });
  const page = await (await fetch(`${base}/console/approvals/${ids[0]}`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('no CSRF token on the request page: not signed in?');

  // Warm-up (first Okta name lookups, JWKS, module init), then the measured rounds.
  await get('/console/approvals');
  await get(`/console/approvals/${ids[1]}`);
  const floor: number[] = [];
  const list: number[] = [];
  const show: number[] = [];
  const approve: number[] = [];
  for (let i = 0; i < N; i++) floor.push(await timed(() => get('/health')));
  for (let i = 0; i < N; i++) list.push(await timed(() => get('/console/approvals')));
  for (const id of ids) show.push(await timed(() => get(`/console/approvals/${id}`)));
  for (const id of ids) {
    const hash = (await store.get(id))?.payloadHash as string;
    approve.push(
      await timed(async () => {
        const r = await fetch(`${base}/console/approvals/${id}/decision`, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            cookie,
            'content-type': 'application/x-www-form-urlencoded',
            origin: new URL(base).origin,
          },
          body: new URLSearchParams({ csrf, payloadHash: hash, decision: 'approve' }).toString(),
        });
        await r.arrayBuffer();
        if (r.status !== 303) throw new Error(`approve answered ${r.status}`);
      }),
    );
  }
  const approved = (await Promise.all(ids.map((id) => store.get(id)))).filter((r) => r?.state === 'approved').length;

  const line = (label: string, samples: number[]) => {
    const p = percentiles(samples);
    const f = percentiles(floor);
    console.log(
      `${label.padEnd(34)} p50 ${ms(p.p50)}  p95 ${ms(p.p95)}  max ${ms(p.max)}   (${(p.p50 / f.p50).toFixed(1)}× the floor's p50)`,
    );
  };
  console.log(
    `\nhookpilot console benchmark — Node ${process.version}, ${N} requests, local stack (DynamoDB Local, Okta simulator)\n`,
  );
  console.log(`sign-in round trip (5 hops)        ${ms(signInMs)}`);
  line('floor: GET /health', floor);
  line('GET /console/approvals (25 rows)', list);
  line('GET /console/approvals/{id}', show);
  line('POST …/decision (approve → 303)', approve);
  console.log(`\n${approved} of ${N} requests approved through the console.`);
} finally {
  await stack.stop();
}
