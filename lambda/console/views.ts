import { APPROVAL_STATES, type ApprovalRecord } from '../domain/approval.ts';
import { RISK_LEVELS } from '../domain/catalog.ts';
import type { ApprovalView } from '../pipeline/approvals-api.ts';
import type { AuditRecord, ConsoleSession } from '../ports.ts';
import { type Html, html, raw } from './html.ts';
import { type Named, nameKey } from './names.ts';
import { styleHashOf } from './security.ts';

/**
 * The console's pages, as functions of plain data to `Html`. Every value goes through the `html` template (escaped);
 * there is no client script. Accessibility: `lang`, landmarks (banner, navigation, main), one `h1` per page, real
 * `<label>`s, a skip link, visible focus, a `role="status"` region for messages, and colours with ≥ 4.5:1 contrast.
 */

export const STYLESHEET = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1b1b;background:#fff}
a{color:#0b57d0}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #0b57d0;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
header{background:#1b1b1b;color:#fff}
header .bar{max-width:72rem;margin:0 auto;padding:.6rem 1.5rem;display:flex;gap:1rem;align-items:center;justify-content:space-between;flex-wrap:wrap}
header a{color:#fff;font-weight:600;text-decoration:none}
header nav{display:flex;gap:1rem;align-items:center}
header button{font:inherit;background:#fff;color:#1b1b1b;border:0;padding:.25rem .75rem;cursor:pointer}
main{max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid #c4c4c4}
table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #d6d6d6;vertical-align:top}
th{background:#f2f2f2}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.25rem;margin:0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:end;margin-bottom:1rem}
.filters div{display:flex;flex-direction:column}
label{font-weight:600}
input,select,textarea{font:inherit;padding:.35rem;border:2px solid #595959;border-radius:3px;background:#fff;color:#1b1b1b}
textarea{width:100%;max-width:40rem;min-height:5rem}
button{font:inherit;padding:.45rem 1rem;border:2px solid #1b1b1b;border-radius:3px;background:#fff;color:#1b1b1b;cursor:pointer}
button.approve{background:#0a6b2c;border-color:#0a6b2c;color:#fff}button.reject{background:#a1130a;border-color:#a1130a;color:#fff}
button:disabled{background:#e8e8e8;border-color:#8c8c8c;color:#4d4d4d;cursor:not-allowed}
.actions{display:flex;gap:1rem;margin-top:1rem}
.state,.risk{display:inline-block;padding:0 .45rem;border-radius:3px;font-size:.9rem;font-weight:600;border:1px solid currentColor}
.state-pending{color:#7a4100}.state-approved,.state-executed{color:#0a5c26}.state-rejected,.state-failed,.state-voided{color:#a1130a}
.state-expired,.state-cancelled{color:#4d4d4d}
.risk-low{color:#2d5d2d}.risk-medium{color:#7a4100}.risk-high{color:#a1130a}.risk-critical{color:#fff;background:#8a1c00;border-color:#8a1c00}
.muted{color:#4d4d4d}
.status:empty{padding:0;margin:0;border:0;background:none}
.status{padding:.6rem 1rem;margin:0 0 1rem;border-left:5px solid #0a5c26;background:#e9f5ec}
.status.error{border-color:#a1130a;background:#fdecea}
.why{border-left:5px solid #7a4100;background:#fff5e5;padding:.5rem 1rem}
.pager{display:flex;gap:1.5rem;margin-top:1rem}
details{margin-top:1.5rem}pre{background:#f5f5f5;padding:.75rem;overflow:auto;font-size:.85rem}
code{overflow-wrap:anywhere}
ol.history{padding-left:1.25rem}ol.history li{margin:.35rem 0}
`;

export const STYLE_HASH = styleHashOf(STYLESHEET);

export interface Viewer {
  readonly session: ConsoleSession;
  /** The approver's own name, when Okta told us. */
  readonly name?: string;
}

export function layout(title: string, viewer: Viewer | undefined, main: Html): string {
  const flash = viewer?.session.flash;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} — hookpilot approvals</title>
<style>${raw(STYLESHEET)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header>
<div class="bar">
<a href="/console/approvals">hookpilot approvals</a>
${
  viewer
    ? html`<nav aria-label="Account">
<span>Signed in as ${viewer.name ?? viewer.session.login}</span>
<form method="post" action="/console/logout">
<input type="hidden" name="csrf" value="${viewer.session.csrfToken}">
<button type="submit">Sign out</button>
</form>
</nav>`
    : ''
}
</div>
</header>
<main id="main">
<div role="status" aria-live="polite" class="status${flash?.kind === 'error' ? ' error' : ''}">${flash?.text ?? ''}</div>
${main}
</main>
</body>
</html>
`.value;
}

/** "in 3 h", "2 h ago", "in 5 min", "just now" — how far `at` is from `now`. */
export function relativeTime(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const minute = 60_000;
  let text: string;
  if (abs < minute) return 'just now';
  if (abs < 59.5 * minute) text = `${Math.round(abs / minute)} min`;
  else if (abs < 36 * 60 * minute) text = `${Math.round(abs / (60 * minute))} h`;
  else text = `${Math.round(abs / (24 * 60 * minute))} d`;
  return ms > 0 ? `in ${text}` : `${text} ago`;
}

/** A duration in words: "8 h", "30 min", "3 d", "1 d 12 h". */
export function durationText(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : `${seconds} s`;
}

const when = (iso: string, now: Date) =>
  html`<time datetime="${iso}" title="${iso}">${relativeTime(new Date(iso), now)}</time>`;

const stateBadge = (state: string) => html`<span class="state state-${state}">${state}</span>`;
const riskBadge = (risk: string) => html`<span class="risk risk-${risk}">${risk}</span>`;

/** The action in words with Okta ids replaced by names (`describe` says "add user 00u… to group 00g…"). */
export function actionInWords(description: string, record: Pick<ApprovalRecord, 'message'>, names: Map<string, Named>) {
  let text = description;
  for (const [kind, id] of idsOf(record)) {
    const named = names.get(nameKey(kind, id));
    if (named?.resolved) text = text.split(id).join(kind === 'user' ? named.label : `“${named.label}”`);
  }
  return text;
}

/** The Okta ids an action names: its user, group and app. */
export function idsOf(record: Pick<ApprovalRecord, 'message'>): [Named['kind'], string][] {
  const params = record.message.action.params;
  const out: [Named['kind'], string][] = [];
  if (typeof params.userId === 'string') out.push(['user', params.userId]);
  if (typeof params.groupId === 'string') out.push(['group', params.groupId]);
  if (typeof params.appId === 'string') out.push(['app', params.appId]);
  return out;
}

const personLabel = (names: Map<string, Named>, id: string | undefined) =>
  id ? (names.get(nameKey('user', id))?.label ?? id) : 'nobody in particular';

// ─── The list ───────────────────────────────────────────────────────────────────────────────────────────────────────

export interface ListRow {
  readonly record: ApprovalRecord;
  readonly description: string;
}

export interface ListPage {
  readonly rows: readonly ListRow[];
  readonly names: Map<string, Named>;
  /** `state` is `''` for every state (the list's default is `pending`). */
  readonly filters: { readonly state: string; readonly risk?: string; readonly subject?: string };
  readonly nextCursor?: string;
  /** Whether this is a later page (a link back to the first). */
  readonly paged: boolean;
  /** Rows of the store's page the risk filter left out (the page may look short). */
  readonly filteredOut: number;
  readonly now: Date;
}

export function listPage(viewer: Viewer, page: ListPage): string {
  const { filters, now, names } = page;
  const option = (value: string, label: string, selected: string | undefined) =>
    html`<option value="${value}"${selected === value ? raw(' selected') : ''}>${label}</option>`;
  const query = (extra: Record<string, string>) => {
    const params = new URLSearchParams();
    // `state=` stays in the links: without it the list is back to pending only.
    for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v || k === 'state') params.set(k, v);
    const text = params.toString();
    return `/console/approvals${text ? `?${text}` : ''}`;
  };
  const row = ({ record, description }: ListRow) => {
    const words = actionInWords(description, record, names);
    const pending = record.state === 'pending';
    const expiry = new Date(record.requestExpiresAt);
    const timing = pending
      ? expiry.getTime() > now.getTime()
        ? html`expires ${when(record.requestExpiresAt, now)}`
        : html`expired ${when(record.requestExpiresAt, now)}`
      : record.decidedAt
        ? html`decided ${when(record.decidedAt, now)}`
        : html`requested ${when(record.requestedAt, now)}`;
    return html`<tr>
<td><a href="/console/approvals/${encodeURIComponent(record.approvalId)}">${words}</a></td>
<td>${personLabel(names, record.subjectUserId)}</td>
<td>${riskBadge(record.risk)}</td>
<td>${Math.round(record.confidence * 100)} %</td>
<td>${stateBadge(record.state)}</td>
<td>${timing}</td>
</tr>`;
  };
  return layout(
    'Approval requests',
    viewer,
    html`<h1>Approval requests</h1>
<form class="filters" method="get" action="/console/approvals" role="search" aria-label="Filter requests">
<div><label for="f-state">State</label>
<select id="f-state" name="state">${option('', 'all states', filters.state)}${APPROVAL_STATES.map((s) => option(s, s, filters.state))}</select></div>
<div><label for="f-risk">Risk</label>
<select id="f-risk" name="risk">${option('', 'any', filters.risk)}${RISK_LEVELS.map((r) => option(r, r, filters.risk))}</select></div>
<div><label for="f-subject">Subject (Okta user id or login)</label>
<input id="f-subject" name="subject" value="${filters.subject ?? ''}" autocomplete="off"></div>
<div><button type="submit">Filter</button></div>
</form>
${
  page.rows.length === 0
    ? page.filteredOut
      ? html`<p>None on this page: ${page.filteredOut} of another risk filtered out${page.nextCursor ? html`; later pages may match — <a href="${query({ cursor: page.nextCursor })}">next page →</a>` : ''}.</p>`
      : html`<p>No requests match.</p>`
    : html`<table>
<caption>${page.rows.length} request${page.rows.length === 1 ? '' : 's'}${filters.state ? html`, ${filters.state}` : ' in every state'}, newest first${page.filteredOut ? html` (${page.filteredOut} of another risk filtered out on this page${page.nextCursor ? '; the next page may have more' : ''})` : ''}</caption>
<thead><tr><th scope="col">Request</th><th scope="col">Subject</th><th scope="col">Risk</th><th scope="col">Confidence</th><th scope="col">State</th><th scope="col">When</th></tr></thead>
<tbody>${page.rows.map(row)}</tbody>
</table>`
}
<nav class="pager" aria-label="Pages">
${page.paged ? html`<a href="${query({ cursor: '' })}">First page</a>` : ''}
${page.nextCursor ? html`<a href="${query({ cursor: page.nextCursor })}">Next page</a>` : ''}
</nav>`,
  );
}

// ─── One request ────────────────────────────────────────────────────────────────────────────────────────────────────

export interface RequestPage {
  readonly view: ApprovalView;
  readonly names: Map<string, Named>;
  readonly history: readonly AuditRecord[];
  /** The originating event's `received` record (its time), when the audit trail has it. */
  readonly event?: AuditRecord;
  readonly now: Date;
}

/** Durations an approver may pick instead of the requested one (all shorter), plus the requested one. */
export function durationChoices(requested: number): number[] {
  const steps = [900, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 86_400, 7 * 86_400, 30 * 86_400];
  return [...steps.filter((s) => s < requested), requested].reverse();
}

/** Why the caller may not approve (or decide at all), in the console's words; undefined when they may. */
export function whyNot(view: ApprovalView, now: Date): string | undefined {
  const { caller, approval } = view;
  if (caller.mayApprove) return undefined;
  const by = (outcome: 'approve' | 'reject') =>
    approval.decisions
      .filter((d) => d.outcome === outcome)
      .map((d) => d.approverLogin)
      .join(' and ');
  switch (caller.code) {
    case 'self_decision':
      return 'You are the subject of this request: nobody decides on an action that concerns themselves.';
    case 'expired':
      return `Expired ${relativeTime(new Date(approval.requestExpiresAt), now)} (${approval.requestExpiresAt}): it can no longer be decided, and it will not run.`;
    case 'not_pending': {
      if (approval.state === 'expired') {
        return `Expired ${relativeTime(new Date(approval.requestExpiresAt), now)} (${approval.requestExpiresAt}): it can no longer be decided.`;
      }
      const at = approval.decidedAt ? ` ${relativeTime(new Date(approval.decidedAt), now)}` : '';
      if (approval.state === 'rejected') return `Already decided: rejected by ${by('reject')}${at}.`;
      if (['approved', 'executed', 'voided', 'failed'].includes(approval.state)) {
        return `Already decided: approved by ${by('approve')}${at} (now ${approval.state}).`;
      }
      return `It is ${approval.state}: it can no longer be decided.`;
    }
    case 'already_decided': {
      const mine = approval.decisions.find((d) => d.approverId === caller.userId);
      return mine
        ? `You already ${mine.outcome === 'approve' ? 'approved' : 'rejected'} this request ${relativeTime(new Date(mine.at), now)}; a decision is single-use. Still required: ${view.stillRequired.text}.`
        : caller.reason;
    }
    default:
      return caller.reason ? `${caller.reason.charAt(0).toUpperCase()}${caller.reason.slice(1)}.` : undefined;
  }
}

export function requestPage(viewer: Viewer, page: RequestPage): string {
  const { view, names, now } = page;
  const record = view.approval;
  const words = actionInWords(view.description, { message: record.message }, names);
  const why = whyNot(view, now);
  const pending = record.state === 'pending' && !view.expired;
  const expiry = new Date(record.requestExpiresAt);
  const expires =
    record.state === 'pending'
      ? expiry.getTime() > now.getTime()
        ? html`expires ${when(record.requestExpiresAt, now)}`
        : html`expired ${when(record.requestExpiresAt, now)}`
      : html`${record.state}${record.decidedAt ? html` ${when(record.decidedAt, now)}` : ''}`;
  const subject = record.subjectUserId ? names.get(nameKey('user', record.subjectUserId)) : undefined;
  const target = idsOf({ message: record.message }).map(([kind, id]) => {
    const named = names.get(nameKey(kind, id));
    return html`<dt>${kind === 'user' ? 'User' : kind === 'group' ? 'Group' : 'App'}</dt><dd>${named?.label ?? id}${
      named?.resolved
        ? html` <span class="muted">(<code>${id}</code>)</span>`
        : html` <span class="muted">(name unavailable)</span>`
    }</dd>`;
  });
  const decisions = record.decisions.map(
    (d) =>
      html`<li><strong>${d.approverLogin}</strong> ${d.outcome === 'approve' ? 'approved' : 'rejected'} ${when(d.at, now)}${
        d.durationSeconds ? html` for ${durationText(d.durationSeconds)}` : ''
      }${d.reason ? html` — “${d.reason}”` : ''} <span class="muted">(as ${d.qualifyingGroups.join(', ')})</span></li>`,
  );
  const canDecide = pending && (view.caller.mayApprove || view.caller.mayReject);
  const duration = record.durationSeconds;
  const form = html`<form method="post" action="/console/approvals/${encodeURIComponent(record.approvalId)}/decision" aria-labelledby="decide-heading">
<input type="hidden" name="csrf" value="${viewer.session.csrfToken}">
<input type="hidden" name="payloadHash" value="${view.payloadHash}">
<p><label for="reason">Reason</label><br>
<textarea id="reason" name="reason" maxlength="2000"${canDecide ? '' : raw(' disabled')} aria-describedby="reason-help"></textarea><br>
<span id="reason-help" class="muted">Required to reject${record.required.reasonToApprove ? ' and to approve' : ''}; kept in the audit trail.</span></p>
${
  duration
    ? html`<p><label for="duration">Grant for</label><br>
<select id="duration" name="durationSeconds"${view.caller.mayApprove && pending ? '' : raw(' disabled')}>${durationChoices(
        duration,
      ).map(
        (s) =>
          html`<option value="${s}"${s === duration ? raw(' selected') : ''}>${durationText(s)}${s === duration ? ' (as requested)' : ''}</option>`,
      )}</select>
<span class="muted">You may shorten the grant, never lengthen it.</span></p>`
    : ''
}
${why ? html`<p class="why" id="why-not">${why}</p>` : ''}
<div class="actions">
<button type="submit" name="decision" value="approve" class="approve"${view.caller.mayApprove && pending ? '' : raw(' disabled')}${why ? raw(' aria-describedby="why-not"') : ''}>Approve</button>
<button type="submit" name="decision" value="reject" class="reject"${view.caller.mayReject && pending ? '' : raw(' disabled')}${why && !view.caller.mayReject ? raw(' aria-describedby="why-not"') : ''}>Reject</button>
</div>
</form>`;
  const history = page.history.map(
    (r) =>
      html`<li>${when(r.at, now)} <strong>${r.kind}</strong> — ${r.summary} <span class="muted">(${r.actor})</span></li>`,
  );
  return layout(
    words,
    viewer,
    html`<p><a href="/console/approvals">← All requests</a></p>
<h1>${words}</h1>
<p>${stateBadge(record.state)} ${riskBadge(record.risk)} risk · ${expires}</p>
<section aria-labelledby="what-heading">
<h2 id="what-heading">What would run</h2>
<dl>
<dt>Action</dt><dd>${words} <span class="muted">(<code>${record.message.action.type}</code>)</span></dd>
${target}
<dt>Subject user</dt><dd>${subject?.label ?? record.subjectUserId ?? 'none'}</dd>
${duration ? html`<dt>Duration</dt><dd>${durationText(duration)} requested${record.grantedDurationSeconds ? html`, ${durationText(record.grantedDurationSeconds)} granted` : ''}</dd>` : ''}
<dt>Risk</dt><dd>${record.risk}</dd>
<dt>Confidence</dt><dd>${Math.round(record.confidence * 100)} %</dd>
<dt>Policy rule</dt><dd><code>${record.rule}</code> — ${record.reason}</dd>
<dt>Originating event</dt><dd><code>${record.eventType ?? 'unknown type'}</code>${page.event ? html`, received ${when(page.event.at, now)}` : ''} · uuid <code>${record.correlationId}</code></dd>
<dt>Requested</dt><dd>${when(record.requestedAt, now)}</dd>
<dt>Expires</dt><dd><time datetime="${record.requestExpiresAt}">${record.requestExpiresAt}</time></dd>
${record.outcome?.oktaRequestId ? html`<dt>Okta request id</dt><dd><code>${record.outcome.oktaRequestId}</code></dd>` : ''}
${record.outcome?.detail ? html`<dt>Outcome</dt><dd>${record.outcome.detail}</dd>` : ''}
</dl>
</section>
<section aria-labelledby="why-heading">
<h2 id="why-heading">Why it was proposed</h2>
<p>${record.rationale}</p>
${record.evidence.length ? html`<h3>Evidence</h3><ul>${record.evidence.map((e) => html`<li>${e}</li>`)}</ul>` : html`<p class="muted">No evidence items.</p>`}
</section>
<section aria-labelledby="approvals-heading">
<h2 id="approvals-heading">Approvals</h2>
${decisions.length ? html`<ul>${decisions}</ul>` : html`<p>No decisions yet.</p>`}
<p><strong>Still required:</strong> ${view.stillRequired.text}</p>
</section>
<section aria-labelledby="decide-heading">
<h2 id="decide-heading">Your decision</h2>
${form}
<details><summary>Exact payload you are deciding on (hash <code>${view.payloadHash.slice(0, 16)}…</code>)</summary>
<pre>${JSON.stringify(view.payload, null, 2)}</pre>
<p class="muted">SHA-256 <code>${view.payloadHash}</code>; if the action changes after this page was shown, your decision is refused.</p>
</details>
</section>
<section aria-labelledby="history-heading">
<h2 id="history-heading">History</h2>
${history.length ? html`<ol class="history">${history}</ol>` : html`<p>Nothing recorded yet.</p>`}
</section>`,
  );
}

// ─── Other pages ────────────────────────────────────────────────────────────────────────────────────────────────────

export function messagePage(title: string, message: string, viewer?: Viewer, link?: { href: string; text: string }) {
  return layout(
    title,
    viewer,
    html`<h1>${title}</h1><p>${message}</p>${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ''}`,
  );
}

export function signedOutPage(): string {
  return layout(
    'Signed out',
    undefined,
    html`<h1>You are signed out</h1><p>Your console session has ended. Okta may still keep you signed in to Okta itself.</p>
<p><a href="/console/login">Sign in again</a></p>`,
  );
}
