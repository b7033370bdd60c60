import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApprovalRecord } from '../lambda/domain/approval.ts';
import { loadPolicy } from '../lambda/domain/policy-config.ts';
import { approverGroups } from '../lambda/policy/approval-rules.ts';
import type { AuditRecord } from '../lambda/ports.ts';
import { DynamoApprovalStore } from '../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../lambda/store/audit-log.ts';
import { localDynamo } from './resources.ts';
import { simApi } from './sim-api.ts';
import type { LocalStack } from './stack.ts';

/**
 * The built-in demo `npm start` plays once the stack is ready: four everyday situations acted out in the simulated org
 * the way Okta would see them, then — from the audit trail — what hookpilot made of each: the event, the recommendation
 * with its confidence and rationale, and the policy's decision with its reason.
 */
export interface DemoResult {
  readonly scenario: string;
  readonly userId: string;
  readonly correlationId?: string;
  readonly records: readonly AuditRecord[];
}

interface Scenario {
  readonly title: string;
  /** Changes the org; returns the user and the event type whose handling to show. */
  readonly act: (org: OrgApi) => Promise<{ userId: string; eventTypes: readonly string[]; what: string }>;
}

type SimUser = { id: string; status: string; profile: Record<string, unknown> & { login: string } };

class OrgApi {
  constructor(private readonly stack: LocalStack) {}

  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return simApi(this.stack.okta).call<T>(method, path, body);
  }

  /** An ACTIVE user matching a profile filter, who is no manager, admin or executive (a plain demo subject). */
  pick(filter: (u: SimUser) => boolean): SimUser {
    const state = this.stack.okta.sim.state;
    const managers = new Set(state.users().map((u) => String((u.profile as { managerId?: string }).managerId ?? '')));
    const groupName = (id: string) => String((state.group(id)?.profile as { name?: string } | undefined)?.name ?? '');
    const special = (id: string) =>
      state.userGroups(id).some((g) => ['Okta Admins', 'dept-executive'].includes(groupName(g)));
    const user = (state.users() as unknown as SimUser[]).find(
      (u) =>
        u.status === 'ACTIVE' &&
        filter(u) &&
        !managers.has(String(u.profile.employeeNumber ?? '')) &&
        state.roles(u.id).length === 0 &&
        !special(u.id),
    );
    if (!user) throw new Error('the simulated org has no suitable user for the demo');
    return user;
  }
}

const SCENARIOS: readonly Scenario[] = [
  {
    title: 'Joiner',
    act: async (org) => {
      const manager = org.pick((u) => u.profile.department === 'Sales');
      const login = `priya.shah.${Date.now().toString(36)}@acme-demo.example`;
      const user = await org.call<SimUser>('POST', '/api/v1/users?activate=true', {
        profile: {
          firstName: 'Priya',
          lastName: 'Shah',
          email: login,
          login,
          title: 'Account Executive',
          department: 'Sales',
          city: 'London',
          countryCode: 'GB',
          userType: 'Employee',
          managerId: manager.profile.employeeNumber,
        },
        credentials: { password: { value: `Demo-${Date.now()}-Pass!` } },
      });
      // Okta sends create and activate; whichever is handled first answers for the joiner.
      return {
        userId: user.id,
        eventTypes: ['user.lifecycle.create', 'user.lifecycle.activate'],
        what: 'Priya Shah joins Sales in London',
      };
    },
  },
  {
    title: 'Mover',
    act: async (org) => {
      const user = org.pick((u) => u.profile.department === 'Engineering');
      await org.call('POST', `/api/v1/users/${user.id}`, {
        profile: { department: 'Product', title: 'Product Manager' },
      });
      return {
        userId: user.id,
        eventTypes: ['user.account.update_profile'],
        what: `${String(user.profile.firstName)} ${String(user.profile.lastName)} moves from Engineering to Product`,
      };
    },
  },
  {
    title: 'Leaver',
    act: async (org) => {
      const user = org.pick((u) => u.profile.department === 'Marketing');
      await org.call('POST', `/api/v1/users/${user.id}/lifecycle/deactivate?sendEmail=false`);
      return {
        userId: user.id,
        eventTypes: ['user.lifecycle.deactivate'],
        what: `${String(user.profile.firstName)} ${String(user.profile.lastName)} (Marketing) is deactivated`,
      };
    },
  },
  {
    title: 'Failed sign-ins',
    act: async (org) => {
      const user = org.pick((u) => u.profile.department === 'Customer Support');
      await org.call('POST', `/__sim/users/${user.id}/sign-in-failures`, { count: 6, ipAddress: '203.0.113.66' });
      return {
        userId: user.id,
        eventTypes: ['user.session.start'],
        what: `6 failed sign-ins for ${String(user.profile.firstName)} ${String(user.profile.lastName)} from 203.0.113.66`,
      };
    },
  },
];

export async function runDemo(
  stack: LocalStack,
  print: (line: string) => void,
  options: { timeoutMs?: number } = {},
): Promise<DemoResult[]> {
  const client = localDynamo(stack.endpoints.dynamodb);
  const audit = new DynamoAuditLog(DynamoDBDocumentClient.from(client), stack.resources.tables.auditTable);
  const org = new OrgApi(stack);
  const names = nameResolver(stack);
  const results: DemoResult[] = [];
  try {
    print(
      `\nhookpilot demo — ${SCENARIOS.length} situations in the simulated org (${stack.recommender}; mode ${stack.mode}); --no-demo skips it`,
    );
    for (const scenario of SCENARIOS) {
      const since = new Date(Date.now() - 1000).toISOString();
      const { userId, eventTypes, what } = await scenario.act(org);
      const handled = await waitForHandling(audit, userId, eventTypes, since, options.timeoutMs ?? 30_000);
      results.push({ scenario: scenario.title, userId, ...handled });
      print(`\n── ${scenario.title}: ${what}`);
      for (const line of describe(handled.records, names)) print(`   ${line}`);
    }
    const asked = results.flatMap((r) => r.records.filter((x) => x.kind === 'decision.approval'));
    if (asked.length > 0) {
      const store = new DynamoApprovalStore(
        DynamoDBDocumentClient.from(client),
        stack.resources.tables.approvalsTable as string,
      );
      const pending = await waitForRequests(store, asked.length, options.timeoutMs ?? 30_000);
      for (const line of approvalLines(pending, stack, names)) print(line);
    }
    print('\nSee everything with: npx hookpilot audit --recent    (or --user <id> / --event <uuid>)');
  } finally {
    client.destroy();
  }
  return results;
}

/**
 * Waits until the audit trail shows one of these events about the user handled: skipped, or recommended with every
 * proposal decided. Of several (a burst, or a joiner's two events), the one that led to decisions is shown; when none
 * does, the first handled one after a short settling time.
 */
async function waitForHandling(
  audit: DynamoAuditLog,
  userId: string,
  eventTypes: readonly string[],
  since: string,
  timeoutMs: number,
): Promise<{ correlationId?: string; records: AuditRecord[] }> {
  const SETTLE_MS = 4_000;
  const deadline = Date.now() + timeoutMs;
  let firstComplete: number | undefined;
  let best: { correlationId?: string; records: AuditRecord[] } = { records: [] };
  while (Date.now() < deadline) {
    const routed = (await audit.bySubject(userId, { since })).filter(
      (r) => r.recordKey === 'routed' && eventTypes.includes(String(r.eventType)),
    );
    const complete: { correlationId: string; records: AuditRecord[] }[] = [];
    for (const r of routed) {
      const records = await audit.byCorrelation(r.correlationId);
      const recommendation = records.find((x) => x.recordKey === 'recommendation');
      const proposals = (recommendation?.detail as { proposals?: unknown[] } | undefined)?.proposals?.length ?? 0;
      const decisions = records.filter((x) => x.recordKey.startsWith('decision:')).length;
      if (r.kind === 'event.skipped' || (recommendation && decisions >= proposals)) {
        complete.push({ correlationId: r.correlationId, records });
      }
    }
    const decided = complete.find((c) =>
      c.records.some((x) => x.kind.startsWith('decision.') && x.kind !== 'decision.duplicate'),
    );
    if (decided) return decided;
    const recommended = complete.find((c) => c.records.some((x) => x.kind === 'recommendation.made'));
    best = recommended ?? complete[0] ?? best;
    if (complete.length > 0) firstComplete ??= Date.now();
    if (firstComplete !== undefined && Date.now() - firstComplete > SETTLE_MS) return best;
    await new Promise((r) => setTimeout(r, 250));
  }
  return best;
}

function nameResolver(stack: LocalStack) {
  const state = stack.okta.sim.state;
  const groups = new Map(state.groups().map((g) => [String(g.id), String((g.profile as { name?: string }).name)]));
  const apps = new Map(state.apps().map((a) => [String(a.id), String(a.label)]));
  return (params: Record<string, unknown>) => {
    if (typeof params.groupId === 'string') return `group ${groups.get(params.groupId) ?? params.groupId}`;
    if (typeof params.appId === 'string') return `app ${apps.get(params.appId) ?? params.appId}`;
    if (typeof params.roleType === 'string') return `role ${params.roleType}`;
    if (params.attributes) return JSON.stringify(params.attributes);
    return '';
  };
}

const OUTCOME: Record<string, string> = {
  'decision.auto': 'runs automatically',
  'decision.approval': 'needs approval',
  'decision.drop': 'dropped',
  'decision.observed': 'observed only',
  'decision.duplicate': 'already decided',
};

function describe(records: readonly AuditRecord[], name: (params: Record<string, unknown>) => string): string[] {
  if (records.length === 0) return ['(not handled within the time allowed — see npx hookpilot audit --recent)'];
  const lines: string[] = [];
  const routed = records.find((r) => r.recordKey === 'routed');
  if (routed) lines.push(`event       ${routed.eventType} → ${routed.summary}`);
  const recommendation = records.find((r) => r.recordKey === 'recommendation');
  if (recommendation) {
    const d = recommendation.detail as {
      recommender?: string;
      assessment?: string;
      fallback?: { reason: string };
      model?: string;
    };
    lines.push(
      `recommended ${d.recommender ?? '?'}${d.model ? ` (${d.model})` : ''}${d.fallback ? ` — model failed (${d.fallback.reason}), rules answered` : ''}: ${d.assessment ?? ''}`,
    );
  }
  for (const r of records.filter((x) => x.kind === 'recommendation.rejected')) lines.push(`  ✗ ${r.summary}`);
  for (const r of records.filter((x) => x.recordKey.startsWith('decision:'))) {
    const d = r.detail as {
      action?: { type: string; params: Record<string, unknown> };
      confidence?: number;
      risk?: string;
      rule?: string;
      reason?: string;
      rationale?: string;
      outcome?: string;
    };
    const action = d.action ? `${d.action.type} ${name(d.action.params)}`.trim() : '?';
    const observed = r.kind === 'decision.observed' ? ` (would: ${d.outcome})` : '';
    lines.push(
      `  • ${action.padEnd(44)} confidence ${(d.confidence ?? 0).toFixed(2)}  risk ${String(d.risk ?? '-').padEnd(8)} → ${OUTCOME[r.kind] ?? r.kind}${observed}${d.rule ? ` [${d.rule}]` : ''}`,
    );
    if (d.rationale) lines.push(`      why: ${d.rationale.slice(0, 160)}`);
  }
  if (recommendation && !records.some((r) => r.recordKey.startsWith('decision:'))) lines.push('  (no action proposed)');
  return lines;
}

/** The pending requests, once as many as the demo's decisions asked for exist (the consumer stores them just after). */
async function waitForRequests(store: DynamoApprovalStore, expected: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let pending: ApprovalRecord[] = [];
  while (Date.now() < deadline) {
    pending = (await store.list({ state: 'pending', limit: 100 })).items;
    if (pending.length >= expected) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return pending;
}

const RISK_ORDER = ['low', 'medium', 'high', 'critical'];

/**
 * The end of the demo: what waits for a human, and the exact commands to approve one — signed in (locally) as a member
 * of the policy's approver groups for it who is not its subject.
 */
function approvalLines(
  pending: readonly ApprovalRecord[],
  stack: LocalStack,
  name: (params: Record<string, unknown>) => string,
): string[] {
  if (pending.length === 0) return ['\n── No approval request is waiting (see npx hookpilot approvals list)'];
  const state = stack.okta.sim.state;
  const login = (id: string | undefined) =>
    id ? String((state.user(id)?.profile as { login?: string } | undefined)?.login ?? id) : '-';
  const lines = [`\n── Waiting for a human: ${pending.length} approval request${pending.length === 1 ? '' : 's'}`];
  for (const r of pending) {
    lines.push(
      `   ${r.approvalId}  ${r.risk.padEnd(8)} ${`${r.message.action.type} ${name(r.message.action.params)}`.padEnd(44)} for ${login(r.subjectUserId)}`,
    );
  }
  const policy = loadPolicy();
  const sorted = [...pending].sort(
    (a, b) =>
      RISK_ORDER.indexOf(a.risk) - RISK_ORDER.indexOf(b.risk) ||
      Number(a.required.approvals) - Number(b.required.approvals),
  );
  for (const request of sorted) {
    const groups = approverGroups(policy, request.risk, request.message.action.type);
    const approver = state
      .users()
      .find(
        (u) =>
          u.status === 'ACTIVE' &&
          u.id !== request.subjectUserId &&
          state
            .userGroups(String(u.id))
            .some((g) => groups.includes(String((state.group(g)?.profile as { name?: string } | undefined)?.name))),
      );
    if (!approver || request.required.approvals > 1) continue;
    const who = String((approver.profile as { login?: string }).login);
    lines.push(
      '',
      `   Approve one as ${who} (in ${groups.join(' or ')}; a LOCAL-ONLY sign-in to the simulator)`,
      `   in the browser: ${stack.url}/console/approvals/${request.approvalId}   (pick ${who} on the sign-in page)`,
      '   or with the CLI:',
      `     npx hookpilot approvals login --as ${who}`,
      `     npx hookpilot approvals show ${request.approvalId}`,
      `     npx hookpilot approvals approve ${request.approvalId}`,
      `     npx hookpilot audit --event ${request.correlationId}     # event → recommendation → decision → approval → execution`,
      '   Or reject it: npx hookpilot approvals reject <id> --reason "…"   (all of them: npx hookpilot approvals list)',
    );
    return lines;
  }
  lines.push(
    '',
    '   npx hookpilot approvals list   (log in first: npx hookpilot approvals login --as <an approver’s login>)',
  );
  return lines;
}
