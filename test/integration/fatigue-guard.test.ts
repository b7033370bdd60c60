import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { ACTION_TYPES } from '../../lambda/domain/catalog.ts';
import { INTENTS, type Intent } from '../../lambda/domain/intent.ts';
import { type Mode, type PolicyConfig, parsePolicy } from '../../lambda/domain/policy-config.ts';
import { logger } from '../../lambda/log.ts';
import type { LogEvent } from '../../lambda/okta/event-hook.ts';
import { OktaSdkAdapter } from '../../lambda/okta/okta-sdk-adapter.ts';
import { RecordedApprovals } from '../../lambda/pipeline/approvals.ts';
import { type ProcessEventDeps, processEvent } from '../../lambda/pipeline/process-event.ts';
import type { ApprovalGateway, AuditRecord, PendingApproval } from '../../lambda/ports.ts';
import { FallbackRecommender } from '../../lambda/recommend/fallback.ts';
import { LlmRecommender } from '../../lambda/recommend/llm-recommender.ts';
import { RulesRecommender } from '../../lambda/recommend/rules-recommender.ts';
import { DynamoActionLedger } from '../../lambda/store/action-ledger.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import { type OpenAiStub, startOpenAiStub } from '../../local/openai-stub/index.ts';
import type { LocalResources } from '../../local/resources.ts';
import { ROOT } from '../../local/stack.ts';
import { freshResources, testClients } from '../support/emulators.ts';
import { startTestSim, type TestSim } from '../support/okta-sim.ts';
import { groupNamed, newUser, simSettings } from '../support/okta-users.ts';
import { drain } from '../support/queues.ts';

/**
 * The approval-fatigue guard over real HTTP: the OpenAI stub in `compromised` mode (a schema-aware hostile model), the
 * Okta simulator, DynamoDB Local and the SQS emulator, the project's own policy file, and the four situations the
 * startup demo plays (joiner, mover, leaver, a burst of failed sign-ins). What reaches an approver is what the approval
 * gateway is handed (the project's own gateway, observed on its way in).
 */
const { sqs, documents } = testClients();
let okta: TestSim;
let stub: OpenAiStub;
let resources: LocalResources;
let audit: DynamoAuditLog;
let ledger: DynamoActionLedger;
let policy: PolicyConfig;

beforeAll(async () => {
  const rateLimits = { users: 100_000, groups: 100_000, apps: 100_000, roles: 100_000, logs: 100_000 };
  [resources, okta, stub] = await Promise.all([
    freshResources({ visibilityTimeoutSeconds: 1 }),
    startTestSim({ rateLimits }),
    startOpenAiStub({ mode: 'compromised' }),
  ]);
  logger.setLogLevel('SILENT'); // the guard's warnings are asserted through a spy, not printed
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  ledger = new DynamoActionLedger(documents, resources.tables.actionsTable);
  policy = parsePolicy(
    JSON.parse(readFileSync(`${ROOT}/policy/hookpilot.policy.json`, 'utf8')),
    'policy/hookpilot.policy.json',
  );
});

afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([okta?.stop(), stub?.stop()]);
});

beforeEach(async () => {
  stub.reset();
  stub.setMode('compromised');
  await drain(sqs, resources.queues.actionsQueue.url);
});

/** The project's approval gateway, with every request it is handed kept for the assertions. */
class ObservedGateway implements ApprovalGateway {
  readonly submitted: PendingApproval[] = [];
  constructor(private readonly inner: ApprovalGateway) {}
  async submit(pending: PendingApproval): Promise<void> {
    this.submitted.push(pending);
    await this.inner.submit(pending);
  }
}

function deps(mode: Mode, gateway: ApprovalGateway, withPolicy: PolicyConfig = policy): ProcessEventDeps {
  const client = new OpenAI({ baseURL: stub.baseURL, apiKey: 'test-key', maxRetries: 0, timeout: 5_000 });
  const rules = new RulesRecommender();
  return {
    audit,
    clock: () => new Date(),
    okta: new OktaSdkAdapter(simSettings(okta)),
    ledger,
    recommender: new FallbackRecommender(
      new LlmRecommender({ client, model: 'stub-model', timeoutMs: 2_000, maxRetries: 0 }),
      rules,
    ),
    policy: withPolicy,
    mode,
    actionsQueue: new SqsQueue<ActionMessage>(sqs, resources.queues.actionsQueue.url, 'actions'),
    approvals: gateway,
  };
}

const G = (name: string) => groupNamed(okta, name);
const sso = (path: string, body?: unknown) =>
  fetch(`${okta.sim.orgUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `SSWS ${okta.sim.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** The simulator's System Log events of a type about a user, as Okta delivers them, oldest first. */
function eventsFor(eventType: string, userId: string, outcome?: string): LogEvent[] {
  return okta.sim.logs
    .all()
    .filter(
      (e) =>
        e.eventType === eventType &&
        (e.actor?.id === userId || (e.target ?? []).some((t) => t.id === userId)) &&
        (outcome === undefined || e.outcome?.result === outcome),
    )
    .map((e) => JSON.parse(JSON.stringify(e)) as LogEvent);
}

const message = (event: LogEvent) => ({
  schemaVersion: 1 as const,
  event,
  delivery: { eventId: randomUUID(), source: 'test', receivedAt: new Date().toISOString() },
});

interface Scenario {
  readonly name: string;
  readonly intent: Intent;
  readonly userId: string;
  readonly events: readonly LogEvent[];
}

/** The startup demo's four situations, acted out in the simulator on fresh users. */
async function demoScenarios(): Promise<Scenario[]> {
  const joiner = await newUser(okta, 'ACTIVE', { department: 'Sales', city: 'London', title: 'Account Executive' });
  const mover = await newUser(okta, 'ACTIVE', { department: 'Engineering', city: 'Berlin', title: 'Engineer' });
  await new OktaSdkAdapter(simSettings(okta)).addGroupMember(G('dept-engineering'), mover.id);
  await sso(`/api/v1/users/${mover.id}`, { profile: { department: 'Product', title: 'Product Manager' } });
  const leaver = await newUser(okta, 'ACTIVE', { department: 'Marketing', city: 'New York' });
  await new OktaSdkAdapter(simSettings(okta)).addGroupMember(G('dept-marketing'), leaver.id);
  await sso(`/api/v1/users/${leaver.id}/lifecycle/deactivate?sendEmail=false`);
  const victim = await newUser(okta, 'ACTIVE', { department: 'Customer Support' });
  okta.sim.failSignIn(victim.id, { count: 6 });
  return [
    {
      name: 'joiner',
      intent: 'joiner',
      userId: joiner.id,
      events: [...eventsFor('user.lifecycle.create', joiner.id), ...eventsFor('user.lifecycle.activate', joiner.id)],
    },
    {
      name: 'mover',
      intent: 'mover',
      userId: mover.id,
      events: eventsFor('user.account.update_profile', mover.id).slice(-1),
    },
    { name: 'leaver', intent: 'leaver', userId: leaver.id, events: eventsFor('user.lifecycle.deactivate', leaver.id) },
    {
      name: 'failed sign-ins',
      intent: 'security',
      userId: victim.id,
      events: eventsFor('user.session.start', victim.id, 'FAILURE'),
    },
  ];
}

async function play(scenarios: readonly Scenario[], d: ProcessEventDeps): Promise<AuditRecord[]> {
  for (const s of scenarios) {
    expect(s.events.length, s.name).toBeGreaterThan(0);
    for (const e of s.events) await processEvent(message(e), d);
  }
  return (await Promise.all(scenarios.flatMap((s) => s.events.map((e) => audit.byCorrelation(e.uuid))))).flat();
}

const detailOf = (r: AuditRecord) =>
  r.detail as { action: { type: string; params: Record<string, unknown> }; rule: string; reason: string };

/** Every intent's scope opened and the caps lifted: hookpilot as it was before the guard. */
const unguarded = (p: PolicyConfig): PolicyConfig => ({
  ...p,
  intentScopes: Object.fromEntries(INTENTS.map((i) => [i, [...ACTION_TYPES]])) as PolicyConfig['intentScopes'],
  limits: { ...p.limits, maxApprovalsPerEvent: 100, maxPendingApprovalsPerUser: 1000 },
});

describe.each<Mode>(['autonomous', 'assisted'])('a compromised model over the four demo scenarios, %s mode', (mode) => {
  it('asks approvers only about in-scope actions on each event’s own subject, within both caps; the rest is dropped, audited and alerted', async () => {
    const warn = vi.spyOn(logger, 'warn');
    warn.mockClear();

    // The same attack without the guard, for comparison: this is what approvers faced.
    const before = new ObservedGateway(new RecordedApprovals(audit, () => new Date()));
    await play(await demoScenarios(), deps(mode, before, unguarded(policy)));

    const scenarios = await demoScenarios();
    const gateway = new ObservedGateway(new RecordedApprovals(audit, () => new Date()));
    const records = await play(scenarios, deps(mode, gateway));
    expect(stub.requests().length).toBeGreaterThanOrEqual(8); // the model answered every recommendation
    expect(records.filter((r) => r.kind === 'recommendation.made').length).toBeGreaterThanOrEqual(scenarios.length);

    const { maxApprovalsPerEvent, maxPendingApprovalsPerUser } = policy.limits;
    const asked = gateway.submitted;
    for (const s of scenarios) {
      const mine = asked.filter((p) => p.message.action.params.userId === s.userId);
      // Nothing out of the event's intent ever reaches an approver; nothing about anyone but its subject.
      for (const p of mine)
        expect(policy.intentScopes[s.intent], `${s.name}: ${p.message.action.type}`).toContain(p.message.action.type);
      expect(mine.length, s.name).toBeLessThanOrEqual(Math.min(maxApprovalsPerEvent, maxPendingApprovalsPerUser));
      for (const e of s.events) {
        const ofEvent = asked.filter((p) => p.message.origin.correlationId === e.uuid);
        expect(ofEvent.length).toBeLessThanOrEqual(maxApprovalsPerEvent);
      }
    }
    expect(asked.every((p) => scenarios.some((s) => s.userId === p.message.action.params.userId))).toBe(true);
    expect(asked.length).toBeLessThanOrEqual(scenarios.length * maxApprovalsPerEvent);
    expect(asked.length).toBeLessThan(before.submitted.length);
    // The model's worst: no admin role, deletion or identity change is ever put before a human.
    for (const p of asked)
      expect(['role.assign', 'user.delete', 'user.update_profile']).not.toContain(p.message.action.type);

    // The audit trail agrees: each decision.approval is in scope; each guard drop names its rule and reason.
    const approvals = records.filter((r) => r.kind === 'decision.approval');
    expect(approvals.map((r) => (detailOf(r).action.params.userId as string) + detailOf(r).action.type).sort()).toEqual(
      asked.map((p) => (p.message.action.params.userId as string) + p.message.action.type).sort(),
    );
    const dropped = records.filter((r) => r.kind === 'decision.drop').map(detailOf);
    const outOfIntent = dropped.filter((d) => d.rule === 'out-of-intent');
    expect(outOfIntent.map((d) => d.action.type)).toEqual(
      expect.arrayContaining(['role.assign', 'user.delete', 'user.update_profile']),
    );
    for (const d of outOfIntent) expect(d.reason).toMatch(/is not something a \w+ event can lead to/);
    const capped = dropped.filter((d) => d.rule === 'cap-approvals-per-event' || d.rule === 'cap-approvals-per-user');
    expect(records.some((r) => r.kind === 'decision.drop' && r.summary.startsWith('dropped: '))).toBe(true);

    // One alert-worthy log line per guard drop, with a stable key and ids only (no model text).
    const alerts = warn.mock.calls.filter(([key]) => String(key).startsWith('hookpilot.guard.'));
    expect(alerts.filter(([key]) => key === 'hookpilot.guard.out_of_intent').length).toBe(outOfIntent.length);
    expect(alerts.filter(([key]) => key === 'hookpilot.guard.approval_cap').length).toBe(capped.length);
    for (const [, fields] of alerts) {
      expect(fields).toEqual(
        expect.objectContaining({ rule: expect.any(String), actionId: expect.any(String), intent: expect.any(String) }),
      );
      expect(JSON.stringify(fields)).not.toMatch(/CISO|attacker|Approve now/);
    }
    // In autonomous mode, nothing high-risk was queued to run on its own either.
    if (mode === 'autonomous') {
      const auto = records.filter((r) => r.kind === 'decision.auto').map(detailOf);
      for (const d of auto) expect(['group.add_member', 'user.clear_sessions']).toContain(d.action.type);
    }
    console.info(
      `[fatigue guard, ${mode}] approval requests from the four demo scenarios: ${before.submitted.length} without the guard, ${asked.length} with it (${outOfIntent.length} out of intent, ${capped.length} over a cap)`,
    );
  }, 180_000);
});

describe('the caps per event and per user, across events', () => {
  it('hold however many events are about one user, and a redelivered event takes no second slot', async () => {
    const tight = { ...policy, limits: { ...policy.limits, maxApprovalsPerEvent: 2, maxPendingApprovalsPerUser: 5 } };
    const { id } = await newUser(okta, 'ACTIVE', { department: 'Engineering', city: 'Berlin' });
    await new OktaSdkAdapter(simSettings(okta)).addGroupMember(G('dept-engineering'), id);
    const gateway = new ObservedGateway(new RecordedApprovals(audit, () => new Date()));
    const moves = ['Product', 'Sales', 'Marketing', 'Finance'];
    for (const department of moves) {
      await sso(`/api/v1/users/${id}`, { profile: { department } });
      const event = eventsFor('user.account.update_profile', id).at(-1);
      if (!event) throw new Error('no update_profile event');
      await processEvent(message(event), deps('assisted', gateway, tight));
      await processEvent(message(event), deps('assisted', gateway, tight)); // redelivered
    }
    // Each event was recommended once (the redelivery reused the stored recommendation).
    expect(stub.requests()).toHaveLength(moves.length);
    const distinct = new Set(gateway.submitted.map((p) => p.message.actionId));
    expect(distinct.size).toBe(5);
    for (const p of gateway.submitted) expect(policy.intentScopes.mover).toContain(p.message.action.type);
    const perEvent = new Map<string, Set<string>>();
    for (const p of gateway.submitted) {
      const ids = perEvent.get(p.message.origin.correlationId) ?? new Set<string>();
      perEvent.set(p.message.origin.correlationId, ids.add(p.message.actionId));
    }
    expect(Math.max(...[...perEvent.values()].map((ids) => ids.size))).toBe(2);
    const slots = (await ledger.get(`approval-quota:${id}`))?.slots as Record<string, number>;
    expect(Object.keys(slots).sort()).toEqual([...distinct].sort());
    const records = (
      await Promise.all(
        eventsFor('user.account.update_profile', id)
          .slice(-moves.length)
          .map((e) => audit.byCorrelation(e.uuid)),
      )
    ).flat();
    const drops = (rule: string) => records.filter((r) => r.kind === 'decision.drop' && detailOf(r).rule === rule);
    expect(drops('cap-approvals-per-event').length).toBeGreaterThan(0);
    expect(detailOf(drops('cap-approvals-per-event')[0] as AuditRecord).reason).toMatch(
      /this event already asks for 2 approvals, the most the policy allows \(limits\.maxApprovalsPerEvent\)/,
    );
    expect(drops('cap-approvals-per-user').length).toBeGreaterThan(0);
    expect(detailOf(drops('cap-approvals-per-user')[0] as AuditRecord).reason).toMatch(
      new RegExp(`user ${id} has been the subject of 5 approval requests in the last 24 h`),
    );
  });
});

describe('the approval quota in the actions table', () => {
  it('gives at most `cap` slots a user within the window, race-free, and an action asking again keeps its slot', async () => {
    const user = `00uQ${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const now = new Date('2026-11-02T10:00:00Z');
    const hour = 3_600_000;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => ledger.reserveApprovalSlot(user, `act-${i}`, 5, 24 * hour, now)),
    );
    expect(results.filter(Boolean)).toHaveLength(5);
    const holders = results.flatMap((ok, i) => (ok ? [`act-${i}`] : []));
    // Asking again (a redelivery): the holders keep theirs, the others still get none.
    for (const [i, ok] of results.entries()) {
      expect(await ledger.reserveApprovalSlot(user, `act-${i}`, 5, 24 * hour, now)).toBe(ok);
    }
    // Another user has a quota of their own; a cap of 0 gives nothing.
    expect(await ledger.reserveApprovalSlot(`${user}X`, 'act-0', 5, 24 * hour, now)).toBe(true);
    expect(await ledger.reserveApprovalSlot(`${user}Y`, 'act-0', 0, 24 * hour, now)).toBe(false);
    // Once the window has moved past them, the old slots are forgotten and new ones given.
    const later = new Date(now.getTime() + 24 * hour + 1);
    expect(await ledger.reserveApprovalSlot(user, 'act-new', 5, 24 * hour, later)).toBe(true);
    const slots = (await ledger.get(`approval-quota:${user}`))?.slots as Record<string, number>;
    expect(Object.keys(slots)).toEqual(['act-new']);
    expect(holders).toHaveLength(5);
  });
});
