import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApprovalsClient } from '../../cli/approvals-client.ts';
import { approvalEvent } from '../../lambda/domain/approval-events.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { localApproverToken } from '../../local/approver-login.ts';
import { runDemo } from '../../local/demo.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { newRequest } from '../support/approvals.ts';
import { emulators, testClients } from '../support/emulators.ts';
import { freshDelivery } from '../support/fixtures.ts';
import { drain, queueDepth } from '../support/queues.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

/** The acceptance scenarios, over HTTP, against the local stack (same handlers as Lambda). */
let stack: LocalStack;
let audit: DynamoAuditLog;
const { sqs, documents } = testClients();

beforeAll(async () => {
  delete process.env.HOOKPILOT_EVENT_HOOK_SECRET; // use the documented local default
  stack = await startLocalStack({
    port: 0,
    emulators: emulators(),
    prefix: `ls${randomUUID().slice(0, 6)}`,
    okta: { port: 0 },
    sweepIntervalSeconds: 1,
  });
  audit = new DynamoAuditLog(documents, stack.resources.tables.auditTable);
});

afterAll(async () => {
  await stack?.stop();
});

const deliver = (body: unknown, secret = stack.hookSecret, contentType = 'application/json') =>
  fetch(`${stack.url}/okta/events`, {
    method: 'POST',
    headers: { authorization: secret, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('the local stack', () => {
  it('runs the sweeper on its timer: a request past its expiry is expired and published on the approval queue', async () => {
    expect(stack.sweepIntervalSeconds).toBe(1);
    const store = new DynamoApprovalStore(documents, stack.resources.tables.approvalsTable);
    const record = newRequest(new Date(Date.now() - 100 * 3_600_000));
    await store.create(record, [approvalEvent('requested', record)]);
    await vi.waitFor(async () => expect((await store.get(record.approvalId))?.state).toBe('expired'), {
      timeout: 15_000,
      interval: 200,
    });
    const types = new Set<string>();
    await vi.waitFor(
      async () => {
        for (const m of await drain(sqs, stack.resources.queues.approvalQueue.url)) {
          const body = JSON.parse(m.Body ?? '{}') as { subject: string; type: string };
          if (body.subject === record.approvalId) types.add(body.type);
        }
        expect([...types].sort()).toEqual(['dev.hookpilot.approval.expired', 'dev.hookpilot.approval.requested']);
      },
      { timeout: 15_000, interval: 200 },
    );
  });

  it('uses the fixed, labelled local default secret when none is set', () => {
    expect(stack.hookSecretIsLocalDefault).toBe(true);
    expect(stack.hookSecret).toMatch(/local-only/);
  });

  it('answers the verification GET with the challenge', async () => {
    const response = await fetch(`${stack.url}/okta/events`, {
      headers: { 'x-okta-verification-challenge': 'pQ7vY2mR9sK4tW1xZ8bN3cF6hJ0kL5dA' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ verification: 'pQ7vY2mR9sK4tW1xZ8bN3cF6hJ0kL5dA' });
  });

  it('queues and audits a delivery once, routes it, and ignores the same delivery sent again', async () => {
    const delivery = freshDelivery('event-hook-delivery-user-lifecycle-create.json');
    const uuid = delivery.data.events[0]?.uuid ?? '';
    const first = await deliver(delivery);
    expect(first.status).toBe(204);
    expect(await first.text()).toBe('');

    await vi.waitFor(
      async () => {
        expect((await audit.byCorrelation(uuid)).map((r) => r.kind)).toEqual(['event.received', 'event.skipped']);
      },
      { timeout: 10_000, interval: 100 },
    );

    // Once the first message is deleted, count what the events worker has taken so far; then send the same delivery.
    const eventsQueue = stack.resources.queues.eventsQueue.url;
    await vi.waitFor(async () => expect(await queueDepth(sqs, eventsQueue)).toBe(0), { timeout: 10_000, interval: 50 });
    const takenBefore = stack.workers.eventsQueue?.received;
    expect(takenBefore).toBeGreaterThan(0);
    expect((await deliver(delivery)).status).toBe(204);
    // The receiver has decided by the time it answers. A copy it queued would now be waiting or in flight (counted by
    // the queue depth, read first) or already deleted, which the worker only does after counting it as received.
    expect(await queueDepth(sqs, eventsQueue)).toBe(0);
    expect(stack.workers.eventsQueue?.received).toBe(takenBefore);
    const records = await audit.byCorrelation(uuid);
    expect(records.map((r) => r.kind)).toEqual(['event.received', 'event.skipped']);
    // the fixture's user is not in the simulated org
    expect(records[1]?.summary).toBe('skipped: the user no longer exists in Okta');
  });

  it('audits an unrouted event as skipped, with the reason', async () => {
    const delivery = freshDelivery('event-hook-delivery-user-lifecycle-create.json');
    const event = delivery.data.events[0];
    if (!event) throw new Error('no event');
    event.eventType = 'user.session.end';
    expect((await deliver(delivery)).status).toBe(204);
    await vi.waitFor(
      async () => {
        const records = await audit.byCorrelation(event.uuid);
        expect(records[1]).toMatchObject({
          kind: 'event.skipped',
          summary: 'skipped: event type user.session.end is not routed',
        });
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('answers a wrong or missing secret with 401 and no detail', async () => {
    for (const secret of ['', 'wrong-secret-value-000000']) {
      const response = await deliver(freshDelivery(), secret);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: 'unauthorized' } });
    }
  });

  it('answers garbage with a 4xx that names the problem', async () => {
    const invalid = await deliver('{"eventType": ');
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as ErrorBody).error.message).toMatch(/^the body is not valid JSON/);

    const wrongType = await deliver('hello', stack.hookSecret, 'text/plain');
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as ErrorBody).error.message).toBe(
      'Content-Type must be application/json (got "text/plain")',
    );

    const notOkta = await deliver({ hello: 'world' });
    expect(notOkta.status).toBe(400);
    expect(((await notOkta.json()) as ErrorBody).error.message).toMatch(
      /^not an Okta event hook delivery: eventType: eventType must be "com.okta.event_hook"/,
    );
  });

  it('registers an event hook in the Okta simulator, which verifies it against the receiver', () => {
    const hooks = stack.okta.sim.state.eventHooks() as {
      id: string;
      status: string;
      verificationStatus: string;
      channel: { config: { uri: string } };
    }[];
    const hook = hooks.find((h) => h.id === stack.okta.eventHookId);
    expect(hook).toMatchObject({ status: 'ACTIVE', verificationStatus: 'VERIFIED' });
    expect(hook?.channel.config.uri).toBe(`${stack.url}/okta/events`);
  });

  it('delivers a change made in the simulated org to /okta/events, where it is queued, routed and audited', async () => {
    const user = stack.okta.sim.state
      .users()
      .find((u) => u.status === 'ACTIVE' && (u.profile as { department?: string }).department === 'Engineering');
    const id = String(user?.id);
    const response = await fetch(`${stack.okta.orgUrl}/api/v1/users/${id}`, {
      method: 'POST',
      headers: { authorization: `SSWS ${stack.okta.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ profile: { department: 'Product' } }),
    });
    expect(response.status).toBe(200);
    await stack.okta.sim.hooks.flush();
    const delivery = stack.okta.sim.hooks
      .deliveries()
      .find((d) => d.eventTypes.includes('user.account.update_profile'));
    expect(delivery).toMatchObject({ outcome: 'SUCCESS', status: 204 });
    const uuid = delivery?.eventUuids[0] ?? '';
    await vi.waitFor(
      async () => {
        const kinds = (await audit.byCorrelation(uuid)).map((r) => r.kind);
        expect(kinds.slice(0, 3)).toEqual(['event.received', 'event.accepted', 'recommendation.made']);
        expect(kinds.some((k) => k.startsWith('decision.'))).toBe(true);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect((await audit.bySubject(id)).find((r) => r.kind === 'event.accepted')?.summary).toBe(
      'accepted for recommendation (mover)',
    );
  });

  it('plays the demo: four situations, each shown with its recommendation and decisions', async () => {
    const lines: string[] = [];
    const results = await runDemo(stack, (line) => lines.push(line));
    expect(results.map((r) => r.scenario)).toEqual(['Joiner', 'Mover', 'Leaver', 'Failed sign-ins']);
    for (const result of results) {
      const kinds = result.records.map((r) => r.kind);
      expect(kinds, result.scenario).toContain('recommendation.made');
      expect(
        kinds.some((k) => k === 'decision.approval' || k === 'decision.auto'),
        result.scenario,
      ).toBe(true);
    }
    const text = lines.join('\n');
    expect(text).toMatch(/── Joiner: Priya Shah joins Sales in London/);
    expect(text).toMatch(
      /group\.add_member group dept-sales +confidence 1\.00 +risk low +→ needs approval \[mode-assisted\]/,
    );
    expect(text).toMatch(/why: /);
    expect(text).toMatch(/── Failed sign-ins: .*\n(.*\n)*.*user\.clear_sessions/);
  });

  it('ends the demo with the pending approvals and the commands to approve one; following them runs it once', async () => {
    const lines: string[] = [];
    await runDemo(stack, (line) => lines.push(line));
    const text = lines.join('\n');
    expect(text).toMatch(/── Waiting for a human: \d+ approval requests?/);
    const login = /npx hookpilot approvals login --as (\S+)/.exec(text)?.[1];
    const id = /npx hookpilot approvals approve (apr_\w+)/.exec(text)?.[1];
    const event = /npx hookpilot audit --event (\S+)/.exec(text)?.[1];
    expect([login, id, event].every(Boolean)).toBe(true);
    // … and the console page to decide it in the browser.
    expect(text).toContain(`in the browser: ${stack.url}/console/approvals/${id}`);

    // What `approvals login --as` and `approvals approve` do: a token from the simulator, then show → decide with the hash.
    const { accessToken } = await localApproverToken({
      simUrl: stack.okta.orgUrl,
      simToken: stack.okta.token,
      login: login as string,
    });
    const api = new ApprovalsClient(stack.url, accessToken);
    const shown = await api.show(id as string);
    expect(shown.caller.mayApprove).toBe(true);
    await expect(
      api.decide(id as string, { decision: 'approve', payloadHash: shown.payloadHash }),
    ).resolves.toMatchObject({
      state: 'approved',
      queued: true,
    });
    await vi.waitFor(async () => expect((await api.show(id as string)).approval.state).toBe('executed'), {
      timeout: 20_000,
      interval: 200,
    });
    const kinds = (await audit.byCorrelation(event as string)).map((r) => r.kind);
    for (const step of [
      'event.received',
      'recommendation.made',
      'decision.approval',
      'approval.requested',
      'approval.approve',
      'approval.approved',
      'action.executed',
      'approval.executed',
    ]) {
      expect(kinds, step).toContain(step);
    }
    expect(kinds.filter((k) => k === 'action.executed')).toHaveLength(1);
  });

  it('serves /health, and API Gateway’s 404 for unknown routes', async () => {
    expect(await (await fetch(`${stack.url}/health`)).json()).toEqual({ status: 'ok', service: 'hookpilot' });
    const missing = await fetch(`${stack.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Not Found' });
  });
});
