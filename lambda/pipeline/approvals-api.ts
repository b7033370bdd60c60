import { z } from 'zod';
import { APPROVAL_STATES, type ApprovalRecord, approvalPayload, payloadHash } from '../domain/approval.ts';
import { ActionSchema, describeAction } from '../domain/catalog.ts';
import type { PolicyConfig } from '../domain/policy-config.ts';
import { BadRequestError, ForbiddenError, MethodNotAllowedError, NotFoundError } from '../errors.ts';
import { approverGroups, describeOpenSlots } from '../policy/approval-rules.ts';
import type { HttpRequest, HttpResult } from '../ports.ts';
import {
  type ApproverPrincipal,
  type DecideApprovalDeps,
  decideApproval,
  parseDecisionBody,
  standingOf,
} from './decide-approval.ts';
import { decode, type GrantsApiDeps, grantsRoute, isGrantsPath, withoutVersion } from './grants-api.ts';

/**
 * The approvals API, protocol-neutral: `GET /approvals`, `GET /approvals/{id}`, `POST /approvals/{id}/decision`. Every
 * request is authenticated first (an Okta access token: 401 before anything is read), then the caller must be an
 * approver of some kind under the policy (403), then the route runs. The handler (`handlers/approvals-api.ts`) only
 * builds the dependencies.
 */

/** Verifies `Authorization: Bearer …` and names the approver (the Okta access token's `uid`, `sub`, `groups`). */
export interface ApproverVerifier {
  verify(authorizationHeader: string | undefined): Promise<ApproverPrincipal>;
}

export interface ApprovalsApiDeps extends DecideApprovalDeps {
  readonly verifier: ApproverVerifier;
  /** `GET /grants`, `POST /grants/{id}/end` (`grants-api.ts`); without it those paths are 404. */
  readonly grants?: Pick<GrantsApiDeps, 'store'>;
}

const ListQuerySchema = z.strictObject({
  status: z.enum(APPROVAL_STATES).optional(),
  subject: z
    .string()
    .regex(/^[A-Za-z0-9]{15,30}$/, 'expected an Okta user id')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).max(2048).optional(),
});

const ID = /^[A-Za-z0-9_:.-]{1,128}$/;

export function approvalsApi(deps: ApprovalsApiDeps): (request: HttpRequest) => Promise<HttpResult> {
  return async (request) => {
    if (deps.grants && isGrantsPath(request.path)) {
      const principal = await deps.verifier.verify(request.headers.authorization);
      requireApprover(principal, deps.policy);
      return grantsRoute(request, principal, { ...deps, store: deps.grants.store });
    }
    const route = routeOf(request);
    const principal = await deps.verifier.verify(request.headers.authorization);
    requireApprover(principal, deps.policy);
    if (route.kind === 'list') return list(request, deps);
    if (!ID.test(route.id)) throw new NotFoundError(`no approval request ${JSON.stringify(route.id.slice(0, 140))}`);
    if (route.kind === 'show') return show(route.id, principal, deps);
    const body = parseDecisionBody(request.body);
    const result = await decideApproval({ principal, approvalId: route.id, body }, deps);
    return {
      status: 200,
      body: {
        approvalId: result.approvalId,
        state: result.state,
        decision: result.decision,
        queued: result.queued,
        ...(result.stillRequired ? { stillRequired: result.stillRequired } : {}),
        ...(result.grantedDurationSeconds ? { grantedDurationSeconds: result.grantedDurationSeconds } : {}),
      },
    };
  };
}

type Route = { kind: 'list' } | { kind: 'show'; id: string } | { kind: 'decide'; id: string };

function routeOf(request: HttpRequest): Route {
  const path = request.path.replace(/\/+$/, '');
  const match = /^\/approvals(?:\/([^/]+)(\/decision)?)?$/.exec(path);
  if (!match) throw new NotFoundError('no such route');
  const id = request.pathParameters?.id ?? (match[1] ? decode(match[1]) : undefined);
  const want = id === undefined ? 'GET' : match[2] ? 'POST' : 'GET';
  if (request.method !== want) throw new MethodNotAllowedError([want]);
  if (id === undefined) return { kind: 'list' };
  return match[2] ? { kind: 'decide', id } : { kind: 'show', id };
}

/** Listing and reading requests is for approvers: anyone holding an approver group the policy names. */
export function requireApprover(principal: ApproverPrincipal, policy: PolicyConfig): void {
  const groups = allApproverGroups(policy);
  if (!principal.groups.some((g) => groups.has(g))) {
    throw new ForbiddenError(
      `you are not an approver: the policy's approver groups are ${[...groups].join(', ')}`,
      'not_an_approver',
    );
  }
}

function allApproverGroups(policy: PolicyConfig): Set<string> {
  const { approvers, critical, escalationGroup } = policy.approvals;
  return new Set([
    ...(escalationGroup ? [escalationGroup] : []),
    ...Object.values(approvers.byRisk).flat(),
    ...Object.values(approvers.byAction).flatMap((g) => g ?? []),
    ...critical.groupSlots.flat(),
  ]);
}

async function list(request: HttpRequest, deps: ApprovalsApiDeps): Promise<HttpResult> {
  const parsed = ListQuerySchema.safeParse(request.query ?? {});
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({
      path: i.path.join('.') || '(query)',
      message: i.code === 'unrecognized_keys' ? `unknown parameter(s): ${i.keys.join(', ')}` : i.message,
    }));
    throw new BadRequestError(
      `the query is not valid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      'invalid_query',
      details,
    );
  }
  const q = parsed.data;
  const page = await deps.store.list({
    ...(q.status ? { state: q.status } : {}),
    ...(q.subject ? { subjectUserId: q.subject } : {}),
    limit: q.limit ?? 50,
    ...(q.cursor ? { cursor: q.cursor } : {}),
  });
  const now = deps.clock();
  return {
    status: 200,
    body: {
      items: page.items.map((r) => summary(r, deps.policy, now)),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    },
  };
}

async function show(id: string, principal: ApproverPrincipal, deps: ApprovalsApiDeps): Promise<HttpResult> {
  const record = await deps.store.get(id);
  if (!record) throw new NotFoundError(`no approval request ${id}`);
  return { status: 200, body: approvalView(record, principal, deps.policy, deps.clock()) };
}

/**
 * `GET /approvals/{id}`'s body: the request, what the caller must check and the hash they submit, what is still
 * required, and whether the caller may approve or reject (and if not, why). The console renders the same view.
 */
export function approvalView(record: ApprovalRecord, principal: ApproverPrincipal, policy: PolicyConfig, now: Date) {
  const standing = standingOf(record, principal, policy, now);
  const approve = standing.mayDecide && !standing.refusal;
  return {
    approval: withoutVersion(record),
    description: describe(record),
    /** What the approver must check, and the hash of it they submit with their decision. */
    payload: approvalPayload(record),
    payloadHash: payloadHash(record),
    expired: record.state === 'pending' && now.getTime() >= Date.parse(record.requestExpiresAt),
    stillRequired: {
      text: record.state === 'pending' ? describeOpenSlots(standing.progress.open) : 'nothing: it is decided',
      slots: record.state === 'pending' ? standing.progress.open : [],
      approvedBy: standing.progress.filled,
    },
    caller: {
      userId: principal.userId,
      login: principal.login,
      mayApprove: approve,
      mayReject: standing.mayDecide,
      ...(standing.refusal ? { reason: standing.refusal.message, code: standing.refusal.code } : {}),
    },
  };
}
export type ApprovalView = ReturnType<typeof approvalView>;

/** The stored request as the API shows it (the internal version counter is left out). */
/** The action in words (with Okta ids; the console puts names in). */
export function describe(record: ApprovalRecord): string {
  const parsed = ActionSchema.safeParse(record.message.action);
  return parsed.success ? describeAction(parsed.data) : record.message.action.type;
}

/** One row of `GET /approvals` (the console's list shows the same). */
export function summary(record: ApprovalRecord, policy: PolicyConfig, now: Date) {
  return {
    approvalId: record.approvalId,
    state: record.state,
    expired: record.state === 'pending' && now.getTime() >= Date.parse(record.requestExpiresAt),
    actionType: record.message.action.type,
    description: describe(record),
    risk: record.risk,
    confidence: record.confidence,
    subjectUserId: record.subjectUserId,
    requestedAt: record.requestedAt,
    requestExpiresAt: record.requestExpiresAt,
    approverGroups: approverGroups(policy, record.risk, record.message.action.type),
    approvals: `${record.decisions.filter((d) => d.outcome === 'approve').length} of ${Math.max(record.required.approvals, record.required.groupSlots.length)}`,
    ...(record.durationSeconds ? { durationSeconds: record.durationSeconds } : {}),
  };
}
