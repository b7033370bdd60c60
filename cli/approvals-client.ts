import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ROOT } from '../lib/root.ts';

/**
 * What `hookpilot approvals …` needs besides its command wiring: a small client of the approvals API (any hookpilot
 * URL, with an approver's Okta access token), where a local login keeps its token, and how a request is told in words.
 * No SDK: the API is three routes of JSON.
 */

/** An approver's token kept by `approvals login --as` (LOCAL ONLY: the simulator's users). */
export interface StoredToken {
  readonly accessToken: string;
  readonly expiresAt: string;
  readonly login: string;
  readonly userId: string;
  /** The hookpilot URL the token was obtained for (a token is used only there). */
  readonly url: string;
  readonly issuer: string;
}

export const TOKEN_FILE = resolve(ROOT, '.hookpilot', 'approver-token.json');
export const TOKEN_ENV = 'HOOKPILOT_TOKEN';

/** Something the user can fix, in one line (the command prints it and exits 1). */
export class ApprovalsCliError extends Error {
  override readonly name = 'ApprovalsCliError';
}

/** An error answer of the API: its status, code and message (never a stack). */
export class ApiError extends ApprovalsCliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function saveToken(token: StoredToken, file = TOKEN_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(token, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function forgetToken(file = TOKEN_FILE): void {
  rmSync(file, { force: true });
}

export function storedToken(file = TOKEN_FILE): StoredToken | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const token = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredToken>;
    return typeof token.accessToken === 'string' && typeof token.expiresAt === 'string' && typeof token.url === 'string'
      ? (token as StoredToken)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The token to send: `--token`, else `HOOKPILOT_TOKEN`, else the one `approvals login --as` stored for this URL (only if
 * it has not expired).
 */
export function tokenFor(url: string, explicit: string | undefined, now = new Date(), file = TOKEN_FILE): string {
  const given = explicit?.trim() || process.env[TOKEN_ENV]?.trim();
  if (given) return given.replace(/^Bearer\s+/i, '');
  const stored = storedToken(file);
  if (stored && stored.url === url) {
    if (Date.parse(stored.expiresAt) > now.getTime()) return stored.accessToken;
    throw new ApprovalsCliError(
      `the token of ${stored.login} expired at ${stored.expiresAt}: log in again (npx hookpilot approvals login --as ${stored.login})`,
    );
  }
  throw new ApprovalsCliError(
    `no approver token for ${url}: pass --token (or set ${TOKEN_ENV}) with an Okta access token; against the local stack, npx hookpilot approvals login --as <login>`,
  );
}

export interface ListQuery {
  readonly status?: string;
  readonly subject?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface ApprovalSummary {
  approvalId: string;
  state: string;
  expired: boolean;
  actionType: string;
  description: string;
  risk: string;
  confidence: number;
  subjectUserId?: string;
  requestedAt: string;
  requestExpiresAt: string;
  approverGroups: string[];
  approvals: string;
  durationSeconds?: number;
}

export interface ApprovalView {
  approval: {
    approvalId: string;
    state: string;
    message: { actionId: string; action: { type: string; params: Record<string, unknown> } };
    risk: string;
    confidence: number;
    rationale: string;
    evidence: string[];
    rule: string;
    reason: string;
    correlationId: string;
    subjectUserId?: string;
    requestedAt: string;
    requestExpiresAt: string;
    durationSeconds?: number;
    grantedDurationSeconds?: number;
    decisions: { outcome: string; approverId: string; approverLogin: string; at: string; reason?: string }[];
  };
  description: string;
  payload: unknown;
  payloadHash: string;
  expired: boolean;
  stillRequired: { text: string; slots: string[][] };
  caller: { userId: string; login: string; mayApprove: boolean; mayReject: boolean; reason?: string; code?: string };
}

export interface DecisionResult {
  approvalId: string;
  state: string;
  decision: string;
  queued: boolean;
  stillRequired?: string;
  grantedDurationSeconds?: number;
}

/** A grant as `GET /grants` returns it (`lambda/domain/grant.ts` without its version). */
export interface GrantView {
  readonly grantId: string;
  readonly state: string;
  readonly subjectUserId: string;
  readonly action: { readonly type: string; readonly params: Record<string, unknown> };
  readonly grantedAt: string;
  readonly expiresAt: string;
  readonly durationSeconds: number;
  readonly durationReason: string;
  readonly approvalId?: string;
  readonly approvers: readonly string[];
  readonly endedAt?: string;
  readonly endedEarly?: { readonly login: string; readonly reason: string };
}

/** One line per grant, for `hookpilot grants list`. */
export function grantLines(items: readonly GrantView[]): string[] {
  if (items.length === 0) return ['no grants'];
  return items.map((g) => {
    const what = Object.entries(g.action.params)
      .filter(([k]) => k !== 'userId')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    const end = g.endedAt ? `ended ${g.endedAt}` : `until ${g.expiresAt}`;
    return `${g.grantId}  ${g.state.padEnd(11)} ${g.subjectUserId}  ${g.action.type} ${what}  ${end}`;
  });
}

export class ApprovalsClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  list(query: ListQuery = {}): Promise<{ items: ApprovalSummary[]; cursor?: string }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.call('GET', `/approvals${qs ? `?${qs}` : ''}`);
  }

  show(id: string): Promise<ApprovalView> {
    return this.call('GET', `/approvals/${encodeURIComponent(id)}`);
  }

  decide(
    id: string,
    body: { decision: 'approve' | 'reject'; payloadHash: string; reason?: string; durationSeconds?: number },
  ): Promise<DecisionResult> {
    return this.call('POST', `/approvals/${encodeURIComponent(id)}/decision`, body);
  }

  /** `GET /grants`: time-bound grants, newest first. */
  grants(query: { user?: string; active?: boolean; limit?: number } = {}): Promise<{ items: GrantView[] }> {
    const params = new URLSearchParams();
    if (query.user) params.set('user', query.user);
    if (query.active) params.set('active', 'true');
    if (query.limit) params.set('limit', String(query.limit));
    const qs = params.toString();
    return this.call('GET', `/grants${qs ? `?${qs}` : ''}`);
  }

  /** `POST /grants/{id}/end`: end a grant early (its revocation is queued at once). */
  endGrant(id: string, reason: string): Promise<{ grant: GrantView; queued: boolean }> {
    return this.call('POST', `/grants/${encodeURIComponent(id)}/end`, { reason });
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      throw new ApprovalsCliError(`nothing answers at ${this.baseUrl}: is the local stack running (npm start)?`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.ok) return json as T;
    const error = (json as { error?: { code?: string; message?: string; details?: unknown }; message?: string })?.error;
    if (error?.message) throw new ApiError(response.status, error.code ?? 'error', error.message, error.details);
    const gatewayMessage = (json as { message?: string } | undefined)?.message;
    throw new ApiError(
      response.status,
      response.status === 401 ? 'unauthorized' : 'error',
      response.status === 401
        ? 'the token was refused (missing, expired, or not for this hookpilot): log in again or pass a fresh --token'
        : `${method} ${path} answered ${response.status}${gatewayMessage ? ` ${gatewayMessage}` : ''}`,
    );
  }
}

/** `1h 30m`, `12h`, `45s`. */
export function duration(seconds: number): string {
  const parts: string[] = [];
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s || parts.length === 0) parts.push(`${s}s`);
  return parts.join(' ');
}

/** Parses `30m`, `8h`, `7d`, `90s` or a number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ApprovalsCliError('a duration looks like 90s, 30m, 8h or 7d');
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  const seconds = Number(m[1]) * unit;
  if (seconds <= 0) throw new ApprovalsCliError('a duration must be above zero');
  return seconds;
}

export function listLines(items: readonly ApprovalSummary[]): string[] {
  if (items.length === 0) return ['no approval requests'];
  return items.map(
    (i) =>
      `${i.approvalId}  ${(i.expired ? 'expired*' : i.state).padEnd(9)} ${i.risk.padEnd(8)} ${i.approvals.padEnd(7)} ${i.description}${i.durationSeconds ? ` (for ${duration(i.durationSeconds)})` : ''}  · expires ${i.requestExpiresAt}`,
  );
}

/** The request in words: what will run, for whom, why, what it rests on, who decided, the hash to submit. */
export function showLines(view: ApprovalView): string[] {
  const a = view.approval;
  const lines = [
    `approval   ${a.approvalId}   ${view.expired ? 'EXPIRED (not yet swept)' : a.state}`,
    `action     ${view.description}`,
    `           ${a.message.action.type} ${JSON.stringify(a.message.action.params)}`,
    `risk       ${a.risk}   confidence ${a.confidence.toFixed(2)}`,
    `why        ${a.rationale}`,
    ...a.evidence.map((e, i) => `${i === 0 ? 'evidence   ' : '           '}- ${e}`),
    `policy     ${a.rule}: ${a.reason}`,
    `subject    ${a.subjectUserId ?? '-'}   event ${a.correlationId}`,
    `requested  ${a.requestedAt}   expires ${a.requestExpiresAt}`,
  ];
  if (a.durationSeconds) {
    lines.push(
      `duration   ${duration(a.durationSeconds)} requested${a.grantedDurationSeconds ? `, ${duration(a.grantedDurationSeconds)} granted` : ''}`,
    );
  }
  for (const d of a.decisions) {
    lines.push(
      `decided    ${d.outcome} by ${d.approverLogin} (${d.approverId}) at ${d.at}${d.reason ? `: ${d.reason}` : ''}`,
    );
  }
  lines.push(`required   ${view.stillRequired.text}`);
  lines.push(`hash       ${view.payloadHash}`);
  lines.push(
    view.caller.mayApprove
      ? `you        ${view.caller.login} may approve or reject`
      : view.caller.mayReject
        ? `you        ${view.caller.login} may reject, not approve: ${view.caller.reason}`
        : `you        ${view.caller.login} may not decide: ${view.caller.reason}`,
  );
  return lines;
}
