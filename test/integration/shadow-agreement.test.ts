import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgreementReport, agreementReport, readHumanDecisions } from '../../eval/agreement.ts';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { approvalIdFor } from '../../lambda/domain/approval.ts';
import { approvalEventSource } from '../../lambda/domain/approval-events.ts';
import { type Calibration, parseCalibration } from '../../lambda/domain/calibration.ts';
import { type PolicyConfig, parsePolicy } from '../../lambda/domain/policy-config.ts';
import { logger } from '../../lambda/log.ts';
import type { LogEvent } from '../../lambda/okta/event-hook.ts';
import { OktaSdkAdapter } from '../../lambda/okta/okta-sdk-adapter.ts';
import { ApprovalRequests } from '../../lambda/pipeline/approvals.ts';
import { type ApproverPrincipal, decideApproval } from '../../lambda/pipeline/decide-approval.ts';
import { processEvent } from '../../lambda/pipeline/process-event.ts';
import type { AuditRecord } from '../../lambda/ports.ts';
import { RULES_IDENTITY, RulesRecommender } from '../../lambda/recommend/rules-recommender.ts';
import { DynamoActionLedger } from '../../lambda/store/action-ledger.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import { emulatorEnv, type LocalResources } from '../../local/resources.ts';
import { ROOT } from '../../local/stack.ts';
import { emulators, freshResources, testClients } from '../support/emulators.ts';
import { startTestSim, type TestSim } from '../support/okta-sim.ts';
import { groupNamed, newUser, simSettings } from '../support/okta-users.ts';

/**
 * Shadow agreement after the demo's flow: the four demo situations (joiner, mover, leaver, failed sign-ins) through the
 * real events-consumer use case in assisted mode (rules recommender, the Okta simulator, DynamoDB Local, the SQS
 * emulator), a few approvals and rejections by simulated approvers through the real decision use case, then
 * `hookpilot eval --from-audit` and `hookpilot calibrate` as a user runs them against the audit table (`--table`, the
 * deployed-table path, here pointed at DynamoDB Local).
 */
const { sqs, documents } = testClients();
let okta: TestSim;
let resources: LocalResources;
let audit: DynamoAuditLog;
let store: DynamoApprovalStore;
let policy: PolicyConfig;
const started = new Date(Date.now() - 1000).toISOString();

/** A calibration fitted for the rules recommender: everything it says is taken down a notch (0.9 → 0.75). */
const CALIBRATION: Calibration = parseCalibration(
  {
    version: 1,
    fittedFor: RULES_IDENTITY,
    fittedAt: '2026-11-29T10:00:00.000Z',
    source: { kind: 'samples', description: 'test', samples: 200 },
    method: 'isotonic',
    minSamples: 30,
    pooled: {
      samples: 200,
      points: [
        { confidence: 0.5, precision: 0.5, count: 100 },
        { confidence: 1, precision: 0.8, count: 100 },
      ],
    },
  },
  'test',
);

beforeAll(async () => {
  const rateLimits = { users: 100_000, groups: 100_000, apps: 100_000, roles: 100_000, logs: 100_000 };
  [resources, okta] = await Promise.all([
    freshResources({ visibilityTimeoutSeconds: 1 }),
    startTestSim({ rateLimits }),
  ]);
  logger.setLogLevel('SILENT');
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  store = new DynamoApprovalStore(documents, resources.tables.approvalsTable as string);
  policy = parsePolicy(
    JSON.parse(readFileSync(`${ROOT}/policy/hookpilot.policy.json`, 'utf8')),
    'policy/hookpilot.policy.json',
  );
});

afterAll(async () => {
  await okta?.stop();
});

const publish = () => ({
  outbox: store,
  audit,
  approvalQueue: new SqsQueue(sqs, resources.queues.approvalQueue.url, 'approval'),
  source: approvalEventSource('test'),
});

const sso = (path: string, body?: unknown) =>
  fetch(`${okta.sim.orgUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `SSWS ${okta.sim.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

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

/** The startup demo's four situations, acted out in the simulator, through the events consumer's use case. */
async function playDemo(): Promise<AuditRecord[]> {
  const G = (name: string) => groupNamed(okta, name);
  const joiner = await newUser(okta, 'ACTIVE', { department: 'Sales', city: 'London', title: 'Account Executive' });
  const mover = await newUser(okta, 'ACTIVE', { department: 'Engineering', city: 'Berlin', title: 'Engineer' });
  await new OktaSdkAdapter(simSettings(okta)).addGroupMember(G('dept-engineering'), mover.id);
  await sso(`/api/v1/users/${mover.id}`, { profile: { department: 'Product', title: 'Product Manager' } });
  const leaver = await newUser(okta, 'ACTIVE', { department: 'Marketing', city: 'New York' });
  await new OktaSdkAdapter(simSettings(okta)).addGroupMember(G('dept-marketing'), leaver.id);
  await sso(`/api/v1/users/${leaver.id}/lifecycle/deactivate?sendEmail=false`);
  const victim = await newUser(okta, 'ACTIVE', { department: 'Customer Support' });
  okta.sim.failSignIn(victim.id, { count: 6 });
  const events = [
    ...eventsFor('user.lifecycle.create', joiner.id),
    ...eventsFor('user.lifecycle.activate', joiner.id),
    ...eventsFor('user.account.update_profile', mover.id).slice(-1),
    ...eventsFor('user.lifecycle.deactivate', leaver.id),
    ...eventsFor('user.session.start', victim.id, 'FAILURE'),
  ];
  const approvals = new ApprovalRequests({ store, clock: () => new Date(), policy, publish: publish() });
  const deps = {
    audit,
    clock: () => new Date(),
    okta: new OktaSdkAdapter(simSettings(okta)),
    ledger: new DynamoActionLedger(documents, resources.tables.actionsTable),
    recommender: new RulesRecommender(),
    policy,
    mode: 'assisted' as const,
    calibration: CALIBRATION,
    actionsQueue: new SqsQueue<ActionMessage>(sqs, resources.queues.actionsQueue.url, 'actions'),
    approvals,
  };
  for (const event of events) {
    await processEvent(
      {
        schemaVersion: 1,
        event,
        delivery: { eventId: randomUUID(), source: 'test', receivedAt: new Date().toISOString() },
      },
      deps,
    );
  }
  return (await Promise.all(events.map((e) => audit.byCorrelation(e.uuid)))).flat();
}

const approver = (login: string, groups: string[]): ApproverPrincipal => ({
  userId: String(okta.sim.state.user(login)?.id),
  login,
  groups,
});
const IT = () => approver('sarah.mitchell@acme-demo.example', ['it-approvers']);
const SEC = () => approver('nathan.cole@acme-demo.example', ['security-approvers']);

interface Asked {
  actionId: string;
  type: string;
  risk: string;
  confidence: number;
  calibratedConfidence?: number;
}

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/hookpilot.mjs', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    // As a user with a deployed table runs it: the table and region by flag; the SDK reaches DynamoDB Local through the
    // standard endpoint variable and the emulator's credentials. Nothing else from this process's environment.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...emulatorEnv(emulators()) },
  });

describe('shadow agreement after the demo and a few decisions', () => {
  let asked: Asked[];
  const decided: {
    actionId: string;
    verdict: 'approved' | 'rejected';
    risk: string;
    confidence: number;
    type: string;
  }[] = [];

  beforeAll(async () => {
    const records = await playDemo();
    asked = records
      .filter((r) => r.kind === 'decision.approval')
      .map((r) => r.detail as unknown as Asked & { action: { type: string } })
      .map((d) => ({ ...d, type: d.action.type }));
    expect(asked.length).toBeGreaterThanOrEqual(6);

    // Low- and medium-risk ones: IT approves two and rejects one. High-risk ones: security approves one, rejects one.
    const plain = asked.filter((a) => a.risk === 'low' || a.risk === 'medium');
    const high = asked.filter((a) => a.risk === 'high');
    const plan: [Asked | undefined, 'approve' | 'reject', () => ApproverPrincipal][] = [
      [plain[0], 'approve', IT],
      [plain[1], 'approve', IT],
      [plain[2], 'reject', IT],
      [high[0] ?? plain[3], 'approve', high[0] ? SEC : IT],
      [high[1] ?? plain[4], 'reject', high[1] ? SEC : IT],
    ];
    const deps = {
      store,
      actionsQueue: new SqsQueue<ActionMessage>(sqs, resources.queues.actionsQueue.url, 'actions'),
      audit,
      policy,
      clock: () => new Date(),
      publish: publish(),
    };
    for (const [request, decision, who] of plan) {
      if (!request) throw new Error('the demo raised fewer approval requests than the test decides');
      const approvalId = approvalIdFor(request.actionId);
      const record = await store.get(approvalId);
      if (!record) throw new Error(`no request ${approvalId}`);
      await decideApproval(
        {
          principal: who(),
          approvalId,
          body: {
            decision,
            payloadHash: record.payloadHash,
            ...(decision === 'reject' ? { reason: 'not needed for this role' } : {}),
          },
        },
        deps,
      );
      decided.push({
        actionId: request.actionId,
        verdict: decision === 'approve' ? 'approved' : 'rejected',
        risk: request.risk,
        confidence: request.confidence,
        type: request.type,
      });
    }
  });

  it('records the stated and the calibrated confidence, and who recommended, on the decision and the request', async () => {
    const first = asked[0];
    if (!first) throw new Error('nothing asked');
    // 0.5 → 0.5 and 1 → 0.8, linear between: the rules' confidence c becomes 0.2 + 0.6c.
    expect(first.calibratedConfidence).toBeCloseTo(0.2 + 0.6 * first.confidence, 4);
    const request = await store.get(approvalIdFor(first.actionId));
    expect(request?.confidence).toBe(first.confidence);
    expect(request?.calibratedConfidence).toBe(first.calibratedConfidence);
    expect(request?.calibrationNote).toMatch(/^calibration: stated .* \(the pooled mapping, fitted for rules\/prompt /);
  });

  it('joins every human decision to its recommendation and reports agreement and what would have run alone', async () => {
    const read = await readHumanDecisions(audit, { from: started, to: new Date().toISOString(), limit: 10_000 });
    expect(read.unjoined).toEqual([]);
    expect(read.decisions.map((d) => [d.actionId, d.verdict]).sort()).toEqual(
      decided.map((d) => [d.actionId, d.verdict]).sort(),
    );
    for (const d of read.decisions) {
      expect(d).toMatchObject({ recommender: 'rules', model: RULES_IDENTITY.model });
      expect(d.promptVersion).toBe(RULES_IDENTITY.promptVersion);
    }

    const report = agreementReport(read, {
      policy,
      window: { from: started, to: new Date().toISOString() },
      source: 'test',
    });
    expect(report.overall).toMatchObject({ decided: 5, approved: 3, rejected: 2, expired: 0, agreement: 3 / 5 });
    // The policy file: autonomous runs low-risk actions from 0.8 (user.delete disabled, medium never): what would have run
    // alone is exactly the low-risk decisions at 0.8 or more.
    const alone = (d: (typeof decided)[number]) => d.risk === 'low' && d.confidence >= 0.8;
    expect(report.autonomous.approvedWouldAuto).toBe(
      decided.filter((d) => d.verdict === 'approved' && alone(d)).length,
    );
    expect(report.autonomous.rejectedWouldAuto).toBe(
      decided.filter((d) => d.verdict === 'rejected' && alone(d)).length,
    );
    const buckets = report.byConfidence.filter((b) => b.count > 0);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(5);
    for (const type of new Set(decided.map((d) => d.type))) {
      expect(report.byActionType[type]?.decided).toBe(decided.filter((d) => d.type === type).length);
    }

    // With the calibration (0.9 → 0.74 < 0.8) nothing the rules say at 0.9 would run alone any more.
    const calibrated = agreementReport(read, {
      policy,
      calibration: CALIBRATION,
      window: { from: started, to: new Date().toISOString() },
      source: 'test',
    });
    const aloneCalibrated = (d: (typeof decided)[number]) => d.risk === 'low' && 0.2 + 0.6 * d.confidence >= 0.8;
    expect(calibrated.autonomous.approvedWouldAuto).toBe(
      decided.filter((d) => d.verdict === 'approved' && aloneCalibrated(d)).length,
    );
  });

  it('hookpilot eval --from-audit --table reads the same from the audit table; --export-decisions feeds calibrate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookpilot-shadow-'));
    const exported = join(dir, 'decisions.jsonl');
    const table = resources.tables.auditTable;
    const run = cli(
      'eval',
      '--from-audit',
      '--since',
      '1h',
      '--table',
      table,
      '--region',
      'us-east-1',
      '--export-decisions',
      exported,
      '--json',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as AgreementReport;
    expect(report.overall).toMatchObject({ decided: 5, approved: 3, rejected: 2 });
    expect(report.recommenders).toEqual([{ ...RULES_IDENTITY, count: 5 }]);
    expect(readFileSync(exported, 'utf8').trim().split('\n')).toHaveLength(5);

    const text = cli('eval', '--from-audit', '--since', '1h', '--table', table, '--region', 'us-east-1');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('5 decided (3 approved, 2 rejected), 0 expired; agreement 60.0 %');
    console.info(text.stdout);

    const out = join(dir, 'calibration.json');
    const fit = cli('calibrate', '--from-decisions', exported, '--out', out, '--min-samples', '1');
    expect(fit.stderr).toBe('');
    expect(fit.status).toBe(0);
    const calibration = parseCalibration(JSON.parse(readFileSync(out, 'utf8')), out);
    expect(calibration.fittedFor).toEqual(RULES_IDENTITY);
    expect(calibration.source).toMatchObject({ kind: 'audit', samples: 5 });
    expect(calibration.pooled?.samples).toBe(5);
  });

  it('refuses a bad --since with one line naming it, and reads nothing', () => {
    const bad = cli('eval', '--from-audit', '--since', 'last week', '--table', resources.tables.auditTable);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe(
      'hookpilot: --since: expected an ISO-8601 time (2026-11-01 or 2026-11-01T09:00:00Z) or a duration (90m, 24h, 7d)',
    );
  });
});
