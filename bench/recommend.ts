/**
 * `npm run bench:recommend`: what a recommendation costs. (1) The context hookpilot builds — characters and estimated
 * tokens — for a typical user and for a user in 500 groups, before and after trimming to the policy's budget. (2) Over
 * 100 mixed events from the simulated org (joiners, movers, leavers, failed sign-ins, and the noise around them): how
 * many reach the model, how many Okta reads they take. Figures only; nothing is asserted.
 */
import { readFileSync } from 'node:fs';
import type { ActionMessage } from '../lambda/domain/action-message.ts';
import { approvalEventSource } from '../lambda/domain/approval-events.ts';
import { parsePolicy } from '../lambda/domain/policy-config.ts';
import type { LogEvent } from '../lambda/okta/event-hook.ts';
import { OktaSdkAdapter } from '../lambda/okta/okta-sdk-adapter.ts';
import { ApprovalRequests } from '../lambda/pipeline/approvals.ts';
import { routeEvent } from '../lambda/pipeline/event-routes.ts';
import { processEvent } from '../lambda/pipeline/process-event.ts';
import { chooseRecommender } from '../lambda/recommend/choose.ts';
import { buildContext } from '../lambda/recommend/context.ts';
import { LLM_ENV } from '../lambda/recommend/llm-env.ts';
import { buildMessages } from '../lambda/recommend/prompt.ts';
import { DynamoActionLedger } from '../lambda/store/action-ledger.ts';
import { DynamoApprovalStore } from '../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../lambda/store/audit-log.ts';
import { SqsQueue } from '../lambda/store/sqs-queue.ts';
import { ROOT } from '../lib/root.ts';
import { startDynamoLocal } from '../local/dynamodb-local.ts';
import { type OktaSim, startOktaSim } from '../local/okta-sim/index.ts';
import { startOpenAiStub } from '../local/openai-stub/index.ts';
import { createResources, localDocuments, localSqs } from '../local/resources.ts';
import { simApi } from '../local/sim-api.ts';
import { startSqsEmulator } from '../local/sqs-emulator.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const policy = parsePolicy(JSON.parse(readFileSync(`${ROOT}/policy/hookpilot.policy.json`, 'utf8')), 'policy');
const UNLIMITED = { users: 1e9, groups: 1e9, apps: 1e9, roles: 1e9, logs: 1e9, oauth: 1e9, eventHooks: 1e9 };

// A seed like the bundled one, with 500 more groups that one Sales user in London belongs to.
const seed = JSON.parse(readFileSync(`${ROOT}/local/okta-sim/seed-org.json`, 'utf8')) as {
  users: { id: string; status: string; profile: Record<string, unknown> }[];
  groups: { id: string; type: string; profile: { name: string }; members: string[] }[];
};
const heavy = seed.users.find(
  (u) => u.status === 'ACTIVE' && u.profile.department === 'Sales' && u.profile.city === 'London',
);
const typical = seed.users.find(
  (u) => u.status === 'ACTIVE' && u.profile.department === 'Engineering' && u.id !== heavy?.id,
);
if (!heavy || !typical) throw new Error('seed changed: no suitable users');
for (let i = 0; i < 500; i++) {
  seed.groups.push({
    id: `00gBENCH${String(i).padStart(12, '0')}`,
    type: 'OKTA_GROUP',
    profile: { name: `project-${i}-${['alpha', 'beta', 'gamma', 'delta'][i % 4]}-contributors` },
    members: [heavy.id],
  });
}

const [dynamo, sqsServer, stub] = await Promise.all([startDynamoLocal(), startSqsEmulator(), startOpenAiStub()]);
const sim: OktaSim = await startOktaSim({ seed, rateLimits: UNLIMITED });
try {
  const okta = new OktaSdkAdapter({
    orgUrl: sim.orgUrl,
    credentials: async () => ({ kind: 'apiToken', apiToken: sim.token }),
    requestTimeoutMs: 10_000,
    maxRateLimitWaitMs: 0,
  });
  const endpoints = { dynamodb: dynamo.endpoint, sqs: sqsServer.endpoint };
  const resources = await createResources(endpoints, { prefix: 'bench' });
  const documents = localDocuments(dynamo.endpoint);
  const audit = new DynamoAuditLog(documents, resources.tables.auditTable);

  // (1) Context size
  console.log(`\nhookpilot recommendation benchmark — Node ${process.version}\n`);
  console.log(
    'context (what the model is shown)            groups  chars (JSON)  ≈tokens   prompt chars  ≈prompt tokens  trimmed',
  );
  const event = (userId: string): LogEvent => ({
    uuid: `bench-${userId}`,
    published: new Date().toISOString(),
    eventType: 'user.lifecycle.create',
    target: [{ id: userId, type: 'User' }],
  });
  for (const [label, user, maxChars] of [
    ['typical user (Engineering)', typical, policy.context.maxChars],
    ['user in 500+ groups, untrimmed', heavy, 400_000],
    ['user in 500+ groups, trimmed to the budget', heavy, policy.context.maxChars],
  ] as const) {
    const p = { ...policy, context: { ...policy.context, maxChars } };
    const context = await buildContext(
      { intent: 'joiner', event: event(user.id), subjectUserId: user.id, policy: p },
      { okta, audit },
    );
    if (!context) throw new Error('no context');
    const chars = JSON.stringify(context).length;
    const prompt = buildMessages(context, p).reduce((n, m) => n + String(m.content).length, 0);
    console.log(
      `${label.padEnd(45)} ${String(context.groups.length).padStart(6)} ${String(chars).padStart(13)} ${String(Math.round(chars / 4)).padStart(8)} ${String(prompt).padStart(14)} ${String(Math.round(prompt / 4)).padStart(15)}  ${context.truncated.join('; ') || '-'}`,
    );
  }
  console.log(`(budget: policy context.maxChars = ${policy.context.maxChars}; tokens estimated as characters / 4)`);

  // (2) 100 mixed events: act in the org, then feed the System Log events through the pipeline with a model configured.
  const api = simApi(sim);
  // A refusal (say, an operation the user's status no longer allows) just means fewer events: ignore it.
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body).catch(() => undefined);
  const before = sim.logs.all().length;
  const active = () =>
    sim.state.users().filter((u) => u.status === 'ACTIVE') as unknown as {
      id: string;
      profile: Record<string, unknown>;
    }[];
  let n = 0;
  while (sim.logs.all().length - before < 100) {
    n += 1;
    const pick = active()[(n * 7) % active().length];
    if (!pick) break;
    switch (n % 6) {
      case 0:
        await call('POST', '/api/v1/users?activate=true', {
          profile: {
            firstName: 'Bench',
            lastName: `${n}`,
            email: `bench${n}@acme-demo.example`,
            login: `bench${n}@acme-demo.example`,
            department: 'Sales',
            city: 'London',
          },
          credentials: { password: { value: `Bench-${n}-Passw0rd!` } },
        });
        break;
      case 1:
        await call('POST', `/api/v1/users/${pick.id}`, { profile: { title: `${String(pick.profile.title)} II` } });
        break;
      case 2:
        sim.failSignIn(pick.id, { count: 3 });
        break;
      case 3:
        sim.signIn(pick.id);
        break;
      case 4:
        await call('POST', `/api/v1/users/${pick.id}`, { profile: { nickName: `n${n}` } });
        break;
      default:
        if (n % 12 === 5) await call('POST', `/api/v1/users/${pick.id}/lifecycle/deactivate`);
        else sim.signIn(pick.id);
    }
  }
  const events = sim.logs.all().slice(before, before + 100) as unknown as LogEvent[];
  // The model the way the consumer gets it (its client, retry caps and rules fallback), pointed at the stub.
  Object.assign(process.env, {
    [LLM_ENV.baseUrl]: stub.baseURL,
    [LLM_ENV.apiKey]: 'bench',
    [LLM_ENV.model]: 'bench',
    [LLM_ENV.timeoutMs]: '5000',
    [LLM_ENV.maxRetries]: '0',
  });
  const { recommender: llm } = chooseRecommender();
  const sqs = localSqs(sqsServer.endpoint);
  const clock = () => new Date();
  const approvals = new DynamoApprovalStore(documents, resources.tables.approvalsTable);
  const deps = {
    audit,
    clock,
    okta,
    ledger: new DynamoActionLedger(documents, resources.tables.actionsTable),
    recommender: llm,
    policy,
    mode: 'observe' as const,
    actionsQueue: new SqsQueue<ActionMessage>(sqs, resources.queues.actionsQueue.url, 'actions'),
    approvals: new ApprovalRequests({
      store: approvals,
      clock,
      policy,
      publish: {
        outbox: approvals,
        audit,
        approvalQueue: new SqsQueue(sqs, resources.queues.approvalQueue.url, 'approval'),
        source: approvalEventSource('bench'),
      },
    }),
  };
  stub.reset();
  const oktaBefore = sim.requests().length;
  const byType = new Map<string, { events: number; routed: number }>();
  let skipped = 0;
  const started = performance.now();
  for (const e of events) {
    const row = byType.get(e.eventType) ?? { events: 0, routed: 0 };
    row.events += 1;
    if (routeEvent(e).accepted) row.routed += 1;
    byType.set(e.eventType, row);
    const outcome = await processEvent(
      { schemaVersion: 1, event: JSON.parse(JSON.stringify(e)), delivery: { receivedAt: new Date().toISOString() } },
      deps,
    );
    if (outcome.status === 'skipped') skipped += 1;
  }
  const elapsed = performance.now() - started;
  const modelCalls = stub.requests().length;
  const oktaReads = sim.requests().length - oktaBefore;
  console.log(
    `\n${events.length} mixed events from the simulated org (observe mode; a model configured, answered by the local stub):`,
  );
  for (const [type, row] of [...byType].sort((a, b) => b[1].events - a[1].events)) {
    console.log(`  ${type.padEnd(36)} ${String(row.events).padStart(3)} event(s), ${row.routed} routed by type`);
  }
  console.log(
    `  → model calls: ${modelCalls} per ${events.length} events (${skipped} skipped without one: unrouted types, successful sign-ins, profile changes that do not move anyone, the second event of a joiner)`,
  );
  console.log(
    `  → Okta reads: ${oktaReads} (${(oktaReads / Math.max(1, events.length - skipped)).toFixed(1)} per event that reached the recommender; peers are cached for 5 minutes)`,
  );
  console.log(`  → ${(elapsed / events.length).toFixed(1)} ms per event on average (local emulators and stub)`);
  sqs.destroy();
} finally {
  await Promise.all([sim.stop(), stub.stop(), sqsServer.stop()]);
  await dynamo.stop();
}
