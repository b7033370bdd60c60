import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../lambda/console/security.ts';
import type { ApprovalRecord } from '../../lambda/domain/approval.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { ROUTES } from '../../lib/manifest.ts';
import { startGateway } from '../../local/gateway.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import type { LocalResources } from '../../local/resources.ts';
import { pendingRecord } from '../support/approval-fakes.ts';
import { consoleBrowser, formFields, signIn, statusText } from '../support/console.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { startTestSim, type TestSim } from '../support/okta-sim.ts';
import { groupNamed, handlerEnv, newUser } from '../support/okta-users.ts';
import { consumeAll, drain, queueDepth } from '../support/queues.ts';

/**
 * The approvals console over real HTTP: the local gateway in front of the real handler, sign-in through the Okta
 * simulator's authorization server (authorization code + PKCE, every redirect followed by hand), sessions and requests in
 * DynamoDB Local, the actions queue in the SQS emulator, and the executor acting on the simulator.
 */
const { sqs, documents } = testClients();
let okta: TestSim;
let resources: LocalResources;
let store: DynamoApprovalStore;
let audit: DynamoAuditLog;
let url = '';
let stopGateway: () => Promise<void>;
let executor: typeof import('../../lambda/handlers/executor.ts')['handler'];

const IT = 'sarah.mitchell@acme-demo.example'; // it-approvers
const SEC = 'nathan.cole@acme-demo.example'; // security-approvers
const NOBODY = 'priya.nair@acme-demo.example'; // no approver group

beforeAll(async () => {
  [resources, okta] = await Promise.all([freshResources({ visibilityTimeoutSeconds: 1 }), startTestSim()]);
  useLocalEnv(resources, {
    ...handlerEnv(okta),
    HOOKPILOT_AWS_REQUEST_TIMEOUT_MS: '1500',
    HOOKPILOT_APPROVALS_ISSUER: okta.sim.authorizationServers.issuer('default'),
    HOOKPILOT_APPROVALS_AUDIENCE: 'api://default',
    HOOKPILOT_CONSOLE_CLIENT_ID: 'hookpilot-console',
    HOOKPILOT_POLICY_FILE: 'policy/hookpilot.policy.json',
  });
  const consoleFn = await import('../../lambda/handlers/console.ts');
  ({ handler: executor } = await import('../../lambda/handlers/executor.ts'));
  const gateway = await startGateway({
    port: 0,
    routes: ROUTES.filter((r) => r.fn === 'console').map((r) => ({
      method: r.method,
      path: r.path,
      fn: { handler: consoleFn.handler, context: () => lambdaContext('console', 10, 1024) },
    })),
  });
  url = gateway.url;
  stopGateway = gateway.stop;
  store = new DynamoApprovalStore(documents, resources.tables.approvalsTable as string);
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
});

afterAll(async () => {
  await stopGateway?.();
  await okta?.stop();
});

beforeEach(async () => {
  await drain(sqs, resources.queues.actionsQueue.url);
});

const userId = (login: string) => String(okta.sim.state.user(login)?.id);

/** A pending request, stored as the events consumer stores it: adding a fresh user to dept-sales (low risk). */
async function request(
  options: Parameters<typeof pendingRecord>[0] & { subject?: { id: string } } = {},
  patch: Partial<ApprovalRecord> = {},
): Promise<ApprovalRecord> {
  const subject = options.subject ?? (await newUser(okta));
  const record = {
    ...pendingRecord({
      userId: subject.id,
      action: { type: 'group.add_member', params: { userId: subject.id, groupId: groupNamed(okta, 'dept-sales') } },
      ...options,
    }),
    ...patch,
  };
  const { created } = await store.create(record, []);
  expect(created).toBe(true);
  return record;
}

const pagePath = (record: ApprovalRecord) => `/console/approvals/${record.approvalId}`;

describe('signing in', () => {
  it('an approver signs in with Okta (code + PKCE) and lands on the page they asked for, with a hardened cookie', async () => {
    const record = await request();
    const start = await fetch(`${url}${pagePath(record)}`, { redirect: 'manual' });
    // No session: to sign-in, keeping the page.
    expect(start.status).toBe(303);
    expect(start.headers.get('location')).toBe(`/console/login?return=${encodeURIComponent(pagePath(record))}`);

    const browser = consoleBrowser(url);
    const login = await browser.get(`/console/login?return=${encodeURIComponent(pagePath(record))}`);
    const authorize = new URL(login.headers.get('location') as string);
    expect(authorize.origin).toBe(okta.sim.orgUrl);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: 'hookpilot-console',
      response_type: 'code',
      redirect_uri: `${url}/console/callback`,
      code_challenge_method: 'S256',
      scope: 'openid profile hookpilot.approvals',
    });
    const signInCookie = login.headers.getSetCookie().join('\n');
    expect(signInCookie).toMatch(
      /^__Host-hookpilot-signin=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/,
    );

    const { browser: signedIn, landed, location } = await signIn(url, IT, pagePath(record));
    expect(location).toBe(pagePath(record));
    expect(landed.status).toBe(200);
    const page = await landed.text();
    expect(page).toContain('Signed in as Sarah Mitchell (sarah.mitchell@acme-demo.example)');
    expect(signedIn.jar.get('__Host-hookpilot-session')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signedIn.jar.has('__Host-hookpilot-signin')).toBe(false);
  });

  it('the session cookie is HttpOnly, Secure, SameSite=Lax, lives as long as the access token, and the table holds only its hash', async () => {
    const browser = consoleBrowser(url);
    const start = await browser.get('/console/login');
    const authorize = new URL(start.headers.get('location') as string);
    const chosen = new URLSearchParams(authorize.searchParams);
    chosen.set('login', SEC);
    const consent = await fetch(`${authorize.origin}${authorize.pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: chosen.toString(),
    });
    const callback = new URL(consent.headers.get('location') as string);
    const back = await browser.get(`${callback.pathname}${callback.search}`);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/console/approvals');
    const session = back.headers.getSetCookie().find((c) => c.startsWith('__Host-hookpilot-session='));
    expect(session).toMatch(/; Path=\/; Max-Age=(3[45]\d\d|3600); HttpOnly; Secure; SameSite=Lax$/);
    const id = browser.jar.get('__Host-hookpilot-session') as string;
    const stored = await documents.send(
      new (await import('@aws-sdk/lib-dynamodb')).GetCommand({
        TableName: resources.tables.consoleSessionsTable,
        Key: { pk: `session#${hashToken(id)}` },
      }),
    );
    expect(stored.Item).toMatchObject({ userId: userId(SEC), login: SEC });
    expect(JSON.stringify(stored.Item)).not.toContain(id);
    // No token is kept: only its id.
    expect(Object.keys(stored.Item ?? {})).not.toContain('accessToken');
    // The callback is single use: replaying it finds no sign-in.
    const replay = await browser.get(`${callback.pathname}${callback.search}`);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('Sign-in expired');
  });

  it('a callback without the sign-in cookie (another browser) is refused and signs nobody in', async () => {
    const browser = consoleBrowser(url);
    const start = await browser.get('/console/login');
    const authorize = new URL(start.headers.get('location') as string);
    const chosen = new URLSearchParams(authorize.searchParams);
    chosen.set('login', IT);
    const consent = await fetch(`${authorize.origin}${authorize.pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: chosen.toString(),
    });
    const callback = new URL(consent.headers.get('location') as string);
    const stranger = consoleBrowser(url);
    const response = await stranger.get(`${callback.pathname}${callback.search}`);
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie().some((c) => c.startsWith('__Host-hookpilot-session='))).toBe(false);
  });

  it("Okta's token endpoint failing at the callback is a 503 page saying to try again, and signs nobody in", async () => {
    const browser = consoleBrowser(url);
    const start = await browser.get('/console/login');
    const authorize = new URL(start.headers.get('location') as string);
    const chosen = new URLSearchParams(authorize.searchParams);
    chosen.set('login', IT);
    const consent = await fetch(`${authorize.origin}${authorize.pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: chosen.toString(),
    });
    const callback = new URL(consent.headers.get('location') as string);
    const injected = okta.sim.faults.add({ method: 'POST', path: '/oauth2/*/v1/token', status: 503 });
    try {
      const response = await browser.get(`${callback.pathname}${callback.search}`);
      expect(injected.matched).toBe(1);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('the Okta authorization server answered HTTP 503; try again');
      expect(response.headers.getSetCookie().some((c) => c.startsWith('__Host-hookpilot-session='))).toBe(false);
    } finally {
      okta.sim.faults.remove(injected.id);
    }
  });

  it('Okta refusing the sign-in (access_denied at the callback) is a 401 page, and signs nobody in', async () => {
    const browser = consoleBrowser(url);
    const start = await browser.get('/console/login');
    const state = new URL(start.headers.get('location') as string).searchParams.get('state') as string;
    const response = await browser.get(
      `/console/callback?error=access_denied&error_description=${encodeURIComponent('<b>not assigned</b>')}&state=${state}`,
    );
    expect(response.status).toBe(401);
    const page = await response.text();
    expect(page).toContain('Okta did not sign you in (access_denied)');
    expect(page).not.toContain('<b>not assigned</b>');
    expect(browser.jar.has('__Host-hookpilot-session')).toBe(false);
  });

  it('someone who is not an approver is told so, and gets no session', async () => {
    const browser = consoleBrowser(url);
    const start = await browser.get('/console/login');
    const authorize = new URL(start.headers.get('location') as string);
    const chosen = new URLSearchParams(authorize.searchParams);
    chosen.set('login', NOBODY);
    const consent = await fetch(`${authorize.origin}${authorize.pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: chosen.toString(),
    });
    const callback = new URL(consent.headers.get('location') as string);
    const response = await browser.get(`${callback.pathname}${callback.search}`);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('you are not an approver');
    expect(browser.jar.has('__Host-hookpilot-session')).toBe(false);
  });

  it('an expired session sends the approver back to sign-in, keeping the page they were on', async () => {
    const record = await request();
    const { browser } = await signIn(url, IT);
    const id = browser.jar.get('__Host-hookpilot-session') as string;
    await documents.send(
      new UpdateCommand({
        TableName: resources.tables.consoleSessionsTable,
        Key: { pk: `session#${hashToken(id)}` },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString() },
      }),
    );
    const response = await browser.get(`${pagePath(record)}?x=1`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(
      `/console/login?return=${encodeURIComponent(`${pagePath(record)}?x=1`)}`,
    );
    // A decision posted with the expired session changes nothing and also goes to sign-in.
    const post = await browser.post(`${pagePath(record)}/decision`, {
      csrf: 'x',
      decision: 'approve',
      payloadHash: record.payloadHash,
    });
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe(`/console/login?return=${encodeURIComponent(pagePath(record))}`);
    expect((await store.get(record.approvalId))?.state).toBe('pending');
  });

  it('signing out ends the session (CSRF-checked)', async () => {
    const { browser, landed } = await signIn(url, IT);
    const { csrf } = formFields(await landed.text());
    const refused = await browser.post('/console/logout', { csrf: 'wrong' });
    expect(refused.status).toBe(403);
    expect((await browser.get('/console/approvals')).status).toBe(200);
    const out = await browser.post('/console/logout', { csrf });
    expect(out.status).toBe(200);
    expect(await out.text()).toContain('You are signed out');
    expect(browser.jar.has('__Host-hookpilot-session')).toBe(false);
    const after = await browser.get('/console/approvals');
    expect(after.status).toBe(303);
  });
});

describe('pages', () => {
  it('the list shows pending requests first, with names, expiry and a link whose text is the action in words', async () => {
    const subject = await newUser(okta, 'ACTIVE', { firstName: 'Lena', lastName: 'Listed' });
    const record = await request({ subject, expiresInMs: 3 * 3600_000 });
    const { browser } = await signIn(url, IT);
    const response = await browser.get(`/console/approvals?subject=${encodeURIComponent(subject.login)}`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(
      `<a href="/console/approvals/${record.approvalId}">add user Lena Listed (${subject.login}) to group “dept-sales”</a>`,
    );
    expect(page).toMatch(/expires <time [^>]+>in 3 h<\/time>/);
    // Filtering by risk leaves the low-risk request out; by state keeps it.
    const high = await (await browser.get(`/console/approvals?subject=${subject.id}&risk=high`)).text();
    expect(high).not.toContain(record.approvalId);
    const pending = await (await browser.get(`/console/approvals?subject=${subject.id}&state=pending`)).text();
    expect(pending).toContain(record.approvalId);
    // A bad filter is a 400 naming it.
    const bad = await browser.get('/console/approvals?state=bogus');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('the filter state is not valid');
    const unknown = await browser.get('/console/approvals?subject=nobody.at.all%40example.com');
    expect(unknown.status).toBe(400);
  });

  it('opens on pending requests: one from yesterday is on the first page under a page of newer decided ones', async () => {
    const subject = await newUser(okta);
    const yesterday = await request({ subject, now: new Date(Date.now() - 86_400_000), expiresInMs: 3 * 86_400_000 });
    const decided: ApprovalRecord[] = [];
    for (let i = 0; i < 26; i += 1) {
      decided.push(
        await request(
          { subject, now: new Date(Date.now() - 60_000 + i * 1000) },
          { state: 'rejected', decidedAt: new Date().toISOString() },
        ),
      );
    }
    const { browser } = await signIn(url, SEC);
    const ids = (page: string) =>
      [...page.matchAll(/<a href="\/console\/approvals\/(apr_[0-9a-f]+)">/g)].map((m) => m[1]);
    const first = await (await browser.get(`/console/approvals?subject=${subject.id}`)).text();
    expect(ids(first)).toEqual([yesterday.approvalId]);
    expect(first).toContain('<option value="pending" selected>pending</option>');
    expect(first).toContain('Signed in as Nathan Cole (nathan.cole@acme-demo.example)');
    // "All states" is explicit (`state=`), newest first, and its next-page link keeps it.
    const all = await (await browser.get(`/console/approvals?subject=${subject.id}&state=`)).text();
    expect(all).toContain('<option value="" selected>all states</option>');
    expect(ids(all)).toHaveLength(25);
    expect(ids(all)[0]).toBe(decided.at(-1)?.approvalId);
    expect(ids(all)).not.toContain(yesterday.approvalId);
    const next = /<a href="([^"]+)">Next page<\/a>/.exec(all)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toMatch(/[?&]state=&|[?&]state=$/);
    const second = await (await browser.get(next as string)).text();
    expect(ids(second)).toEqual([decided[0]?.approvalId, yesterday.approvalId]);
  });

  it('a risk filter that empties a page says so and links to the next page', async () => {
    const subject = await newUser(okta);
    for (let i = 0; i < 26; i += 1) await request({ subject, now: new Date(Date.now() - 60_000 + i * 1000) });
    const { browser } = await signIn(url, IT);
    const page = await (await browser.get(`/console/approvals?subject=${subject.id}&risk=critical`)).text();
    expect(page).toContain('None on this page: 25 of another risk filtered out; later pages may match');
    expect(page).toMatch(/<a href="[^"]*cursor=[^"]*">next page →<\/a>/);
  });

  it('/console/ goes to the list (through the gateway’s catch-all route)', async () => {
    const response = await fetch(`${url}/console/`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/console/approvals');
  });

  it('pages through the store with its cursor', async () => {
    const subject = await newUser(okta);
    for (let i = 0; i < 27; i += 1) await request({ subject });
    const { browser } = await signIn(url, IT);
    const first = await (await browser.get(`/console/approvals?subject=${subject.id}`)).text();
    expect(first.match(/<tr>\s*<td><a href/g)).toHaveLength(25);
    const next = /<a href="([^"]+)">Next page<\/a>/.exec(first)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toMatch(/cursor=/);
    const second = await (await browser.get(next as string)).text();
    expect(second.match(/<tr>\s*<td><a href/g)).toHaveLength(2);
    expect(second).toContain('First page');
  });

  it('the request page says what would run, with names, why, the event, the rule, and what is still required', async () => {
    const subject = await newUser(okta, 'ACTIVE', { firstName: 'Rita', lastName: 'Requested' });
    const record = await request({ subject, risk: 'critical' });
    const { browser } = await signIn(url, IT);
    const response = await browser.get(pagePath(record));
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(`<h1>add user Rita Requested (${subject.login}) to group “dept-sales”</h1>`);
    expect(page).toContain('peers in the same team hold it');
    expect(page).toContain('<li>12 of 15 peers are members</li>');
    expect(page).toContain('<code>mode-assisted</code> — assisted mode: a human decides');
    expect(page).toContain(`<code>user.lifecycle.create</code>`);
    expect(page).toContain(record.correlationId);
    expect(page).toContain(
      'Still required:</strong> one more approver from security-approvers, and one from it-approvers',
    );
    expect(page).toContain(`name="payloadHash" value="${record.payloadHash}"`);
    expect(page).toMatch(/<label for="reason">Reason<\/label>/);
    expect(page).toMatch(/<button type="submit" name="decision" value="approve" class="approve">Approve<\/button>/);
    // Security headers on every page.
    expect(response.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(page).not.toMatch(/<script/i);
  });

  it('an unknown request is a 404 page', async () => {
    const { browser } = await signIn(url, IT);
    const response = await browser.get('/console/approvals/apr_doesnotexist');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });
});

describe('deciding', () => {
  it('approve with a reason: 303 back with a message, the action runs once, and the page shows the history and Okta’s request id', async () => {
    const record = await request();
    const { browser } = await signIn(url, IT);
    const page = await (await browser.get(pagePath(record))).text();
    const { csrf, payloadHash } = formFields(page);
    const posted = await browser.post(`${pagePath(record)}/decision`, {
      csrf,
      payloadHash: payloadHash as string,
      decision: 'approve',
      reason: 'joined Sales this week',
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe(pagePath(record));
    const after = await (await browser.get(pagePath(record))).text();
    expect(statusText(after)).toBe('You approved this request. It is approved; the action is queued and runs once.');
    // The message is shown once.
    expect(statusText(await (await browser.get(pagePath(record))).text())).toBe('');
    expect(await queueDepth(sqs, resources.queues.actionsQueue.url)).toBe(1);
    const stored = await store.get(record.approvalId);
    expect(stored?.decisions).toMatchObject([
      { outcome: 'approve', approverId: userId(IT), approverLogin: IT, reason: 'joined Sales this week' },
    ]);

    await consumeAll(sqs, resources.queues.actionsQueue.url, {
      handler: executor as never,
      context: () => lambdaContext('executor', 60, 512),
    });
    const executed = await store.get(record.approvalId);
    expect(executed?.state).toBe('executed');
    const oktaRequestId = executed?.outcome?.oktaRequestId;
    expect(oktaRequestId).toBeTruthy();
    const final = await (await browser.get(pagePath(record))).text();
    expect(final).toContain(`<dt>Okta request id</dt><dd><code>${oktaRequestId}</code></dd>`);
    expect(final).toMatch(
      /<strong>approval\.approve<\/strong> — sarah\.mitchell@acme-demo\.example \([^)]+\) approved group\.add_member/,
    );
    expect(final).toContain('<strong>action.executed</strong>');
    // Nobody decides twice: the buttons say why.
    expect(final).toMatch(/Already decided: approved by sarah\.mitchell@acme-demo\.example/);
    expect(final).toMatch(/value="approve" class="approve" disabled/);
    expect((await audit.byCorrelation(record.correlationId)).filter((r) => r.kind === 'action.executed')).toHaveLength(
      1,
    );
  });

  it('reject needs a reason (the message names it), then is recorded', async () => {
    const record = await request();
    const { browser } = await signIn(url, SEC);
    const { csrf, payloadHash } = formFields(await (await browser.get(pagePath(record))).text());
    await browser.post(`${pagePath(record)}/decision`, {
      csrf,
      payloadHash: payloadHash as string,
      decision: 'reject',
    });
    expect(statusText(await (await browser.get(pagePath(record))).text())).toBe(
      'Not recorded: a rejection needs a reason.',
    );
    expect((await store.get(record.approvalId))?.state).toBe('pending');
    await browser.post(`${pagePath(record)}/decision`, {
      csrf,
      payloadHash: payloadHash as string,
      decision: 'reject',
      reason: 'not in Sales',
    });
    expect((await store.get(record.approvalId))?.state).toBe('rejected');
    expect(await queueDepth(sqs, resources.queues.actionsQueue.url)).toBe(0);
  });

  it('a time-bound grant can be shortened (approve-for-less), never lengthened', async () => {
    const record = await request({ durationSeconds: 8 * 3600 });
    const { browser } = await signIn(url, SEC);
    const page = await (await browser.get(pagePath(record))).text();
    expect(page).toContain('<label for="duration">Grant for</label>');
    expect(page).toContain('<option value="28800" selected>8 h (as requested)</option>');
    const { csrf, payloadHash } = formFields(page);
    const longer = await browser.post(`${pagePath(record)}/decision`, {
      csrf,
      payloadHash: payloadHash as string,
      decision: 'approve',
      durationSeconds: String(9 * 3600),
    });
    expect(longer.status).toBe(303);
    expect(statusText(await (await browser.get(pagePath(record))).text())).toContain('never lengthen it');
    await browser.post(`${pagePath(record)}/decision`, {
      csrf,
      payloadHash: payloadHash as string,
      decision: 'approve',
      durationSeconds: '3600',
    });
    expect(await store.get(record.approvalId)).toMatchObject({ state: 'approved', grantedDurationSeconds: 3600 });
  });

  it('a payload hash that no longer matches is refused with a clear message', async () => {
    const record = await request();
    const { browser } = await signIn(url, IT);
    const { csrf } = formFields(await (await browser.get(pagePath(record))).text());
    await browser.post(`${pagePath(record)}/decision`, { csrf, payloadHash: 'a'.repeat(64), decision: 'approve' });
    expect(statusText(await (await browser.get(pagePath(record))).text())).toBe(
      'Not recorded: the action changed since this page was shown. Check what it shows now, then decide again.',
    );
    expect((await store.get(record.approvalId))?.state).toBe('pending');
    expect(await queueDepth(sqs, resources.queues.actionsQueue.url)).toBe(0);
  });

  it('the subject sees why they cannot decide, and a forced POST is refused by the API’s rule', async () => {
    const record = await request({ subject: { id: userId(IT) } });
    const { browser } = await signIn(url, IT);
    const page = await (await browser.get(pagePath(record))).text();
    expect(page).toContain(
      '<p class="why" id="why-not">You are the subject of this request: nobody decides on an action that concerns themselves.</p>',
    );
    expect(page).toMatch(/value="approve" class="approve" disabled aria-describedby="why-not">Approve<\/button>/);
    expect(page).toMatch(/value="reject" class="reject" disabled[^>]*>Reject<\/button>/);
    const { csrf, payloadHash } = formFields(page);
    await browser.post(`${pagePath(record)}/decision`, {
      csrf,
      payloadHash: payloadHash as string,
      decision: 'approve',
    });
    expect(statusText(await (await browser.get(pagePath(record))).text())).toBe(
      'Not recorded: you are the subject of this request: nobody decides on an action that concerns themselves.',
    );
    expect((await store.get(record.approvalId))?.state).toBe('pending');
    expect(await queueDepth(sqs, resources.queues.actionsQueue.url)).toBe(0);
  });

  it('an expired request says when it expired, and cannot be decided', async () => {
    const record = await request({ now: new Date(Date.now() - 3 * 3600_000), expiresInMs: 3600_000 });
    const { browser } = await signIn(url, IT);
    const page = await (await browser.get(pagePath(record))).text();
    expect(page).toMatch(/Expired 2 h ago \(/);
    expect(page).toMatch(/value="approve" class="approve" disabled/);
  });
});

describe('forged requests', () => {
  it('a cross-site POST (other Origin, Sec-Fetch-Site cross-site, or no/wrong CSRF token) is a 403 and changes nothing', async () => {
    const record = await request();
    const { browser } = await signIn(url, IT);
    const { csrf, payloadHash } = formFields(await (await browser.get(pagePath(record))).text());
    const form = { csrf, payloadHash: payloadHash as string, decision: 'approve' };
    const attempts = [
      await browser.post(`${pagePath(record)}/decision`, form, { origin: 'https://evil.example' }),
      await browser.post(`${pagePath(record)}/decision`, form, { 'sec-fetch-site': 'cross-site', origin: '' }),
      await browser.post(`${pagePath(record)}/decision`, { ...form, csrf: '' }),
      await browser.post(`${pagePath(record)}/decision`, { ...form, csrf: `${csrf.slice(0, -1)}x` }),
    ];
    for (const response of attempts) {
      expect(response.status).toBe(403);
      expect(await response.text()).toMatch(/refused: the form/);
    }
    expect((await store.get(record.approvalId))?.decisions).toEqual([]);
    expect(await queueDepth(sqs, resources.queues.actionsQueue.url)).toBe(0);
  });
});

describe('untrusted text', () => {
  it('profile fields, rationale and evidence holding markup render as text', async () => {
    const subject = await newUser(okta, 'ACTIVE', {
      firstName: '<script>alert(1)</script>',
      lastName: '"><img src=x onerror=alert(2)>',
    });
    const record = await request(
      { subject },
      { rationale: '</p><script>alert(3)</script>', evidence: ['"><img src=y onerror=alert(4)>'] },
    );
    const { browser } = await signIn(url, IT);
    for (const path of [pagePath(record), `/console/approvals?subject=${subject.id}`]) {
      const page = await (await browser.get(path)).text();
      expect(page).not.toMatch(/<script/i);
      expect(page).not.toMatch(/<img/i);
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    }
    const page = await (await browser.get(pagePath(record))).text();
    expect(page).toContain('&lt;/p&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(page).toContain('<li>&quot;&gt;&lt;img src=y onerror=alert(4)&gt;</li>');
  });
});
