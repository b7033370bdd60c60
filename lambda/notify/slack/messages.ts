import type { Notification } from '../../ports.ts';
import { type Block, type Button, LIMITS, type SlackMessage } from './block-kit.ts';

/**
 * The Slack messages hookpilot posts, as Block Kit. Pure functions of a `Notification`: the request message (posted
 * once, then edited on every later step), the thread reply per decision and outcome, and the outcome message for the
 * manager's DM or the outcome channel.
 *
 * Everything that came from Okta or the model (names, logins, rationale, evidence, reasons) is attacker-controlled text:
 * in `mrkdwn` it is escaped (`&`, `<`, `>` — so it can never form a link, a mention such as `<!channel>`, or a user
 * ping) and marked `verbatim` (Slack does not auto-link or parse mentions in it); every value is cut to fit Slack's
 * limits (`block-kit.ts`), so a long profile field cannot make Slack refuse the message.
 */

/** The action ids of the optional approve/reject buttons (the interactivity endpoint routes on them). */
export const ACTION_APPROVE = 'hookpilot_approve';
export const ACTION_REJECT = 'hookpilot_reject';
export const ACTION_OPEN = 'hookpilot_open';

/** Steps after which nothing can be decided any more: the call to action is gone. */
const CLOSED_STATES = new Set(['approved', 'rejected', 'expired', 'cancelled', 'executed', 'voided', 'failed']);

export interface RequestMessageOptions {
  /** Offer Approve / Reject buttons (interactivity on). Never offered for `critical` actions, whatever this says. */
  readonly buttons?: boolean;
}

/** Escapes text for `mrkdwn`: the three characters Slack's formatting syntax reserves for links and mentions. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Cuts `text` to at most `max` characters (an ellipsis marks the cut), never inside a surrogate pair or an escape. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  let out = text.slice(0, end);
  // An escape (`&amp;`, `&lt;`, `&gt;`) cut in half would show as junk: drop its start.
  const amp = out.lastIndexOf('&');
  if (amp !== -1 && amp >= out.length - 4 && !out.slice(amp).includes(';')) out = out.slice(0, amp);
  return `${out}…`;
}

const plain = (text: string, max: number) => ({
  type: 'plain_text' as const,
  text: cut(text, max) || ' ',
  emoji: false,
});
/** `mrkdwn` from hookpilot's own markup plus escaped untrusted parts (build it with `md`). */
const mrkdwn = (text: string, max: number) => ({
  type: 'mrkdwn' as const,
  text: cut(text, max) || ' ',
  verbatim: true,
});

/** Escapes then cuts an untrusted value for a `mrkdwn` slot of `max` characters. */
const safe = (text: string, max: number): string => cut(escapeMrkdwn(text), max);

/** Slack shows `<!date^…>` in each reader's own time zone; the fallback is the RFC 3339 time. */
export function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  if (Number.isNaN(seconds)) return escapeMrkdwn(iso);
  return `<!date^${seconds}^{date_short_pretty} at {time}|${escapeMrkdwn(iso)}>`;
}

const RISK_MARK: Record<Notification['risk'], string> = {
  low: ':large_green_circle: low',
  medium: ':large_yellow_circle: medium',
  high: ':large_orange_circle: high',
  critical: ':red_circle: critical',
};

const STATE_MARK: Record<string, string> = {
  pending: ':hourglass_flowing_sand:',
  approved: ':white_check_mark:',
  rejected: ':no_entry:',
  expired: ':alarm_clock:',
  cancelled: ':heavy_multiplication_x:',
  executed: ':white_check_mark:',
  voided: ':warning:',
  failed: ':x:',
};

/** True when the message may carry Approve / Reject buttons: opted in, still pending, and not a critical action. */
export function offersButtons(notification: Notification, options: RequestMessageOptions): boolean {
  return options.buttons === true && notification.risk !== 'critical' && notification.state === 'pending';
}

/** The message posted for a request and edited on every later step: its current state, facts, why, and the link. */
export function requestMessage(notification: Notification, options: RequestMessageOptions = {}): SlackMessage {
  const n = notification;
  const closed = CLOSED_STATES.has(n.state);
  const blocks: Block[] = [];
  blocks.push({
    type: 'header',
    text: plain(`${closed ? 'Approval request' : 'Approval needed'}: ${n.action.text}`, LIMITS.headerText),
    block_id: 'title',
  });
  blocks.push({
    type: 'section',
    block_id: 'status',
    text: mrkdwn(
      `${STATE_MARK[n.state] ?? ''} *${safe(capitalize(n.state), 40)}* · ${safe(n.status, LIMITS.sectionText - 200)}`,
      LIMITS.sectionText,
    ),
  });
  blocks.push({ type: 'section', block_id: 'facts', fields: factFields(n) });
  if (n.rationale) {
    blocks.push({
      type: 'section',
      block_id: 'why',
      text: mrkdwn(`*Why*\n${safe(n.rationale, LIMITS.sectionText - 20)}`, LIMITS.sectionText),
    });
  }
  if (n.evidence.length > 0) {
    blocks.push({ type: 'section', block_id: 'evidence', text: mrkdwn(evidenceText(n.evidence), LIMITS.sectionText) });
  }
  if (n.reason && closed) {
    blocks.push({
      type: 'section',
      block_id: 'reason',
      text: mrkdwn(`*Reason*\n${safe(n.reason, LIMITS.sectionText - 20)}`, LIMITS.sectionText),
    });
  }
  blocks.push({
    type: 'context',
    block_id: 'ids',
    elements: [
      mrkdwn(
        `${safe(n.approvalId, 120)} · ${safe(n.action.type, 80)}${n.rule ? ` · rule ${safe(n.rule, 200)}` : ''}${
          n.oktaRequestId ? ` · Okta request ${safe(n.oktaRequestId, 80)}` : ''
        }`,
        LIMITS.sectionText,
      ),
    ],
  });
  blocks.push({ type: 'actions', block_id: 'actions', elements: actionButtons(n, closed, options) });
  return { text: cut(`${closed ? n.headline : `Approval needed: ${n.action.text}`} — ${n.status}`, 3000), blocks };
}

/** The short reply in the request message's thread for one step (a decision, an outcome, a reminder…). */
export function threadReply(notification: Notification): SlackMessage {
  const n = notification;
  const who = n.decidedBy.length > 0 ? ` (${n.decidedBy.map((d) => safe(d, 200)).join(', ')})` : '';
  const lines = [`${STATE_MARK[n.state] ?? ':information_source:'} ${safe(n.status, 2000)}${who}`];
  if (n.reason) lines.push(`> ${safe(n.reason, 2000).replaceAll('\n', '\n> ')}`);
  return {
    text: cut(`${n.status}`, 3000) || n.step,
    blocks: [{ type: 'section', block_id: 'step', text: mrkdwn(lines.join('\n'), LIMITS.sectionText) }],
  };
}

/** The outcome for the subject's manager (a DM) or the outcome channel: what happened, to whom, and the link. */
export function outcomeMessage(notification: Notification): SlackMessage {
  const n = notification;
  const blocks: Block[] = [
    { type: 'header', text: plain(n.headline, LIMITS.headerText), block_id: 'title' },
    {
      type: 'section',
      block_id: 'status',
      text: mrkdwn(
        `${STATE_MARK[n.state] ?? ':information_source:'} ${safe(n.status, LIMITS.sectionText - 100)}`,
        LIMITS.sectionText,
      ),
    },
    { type: 'section', block_id: 'facts', fields: factFields(n) },
  ];
  if (n.reason) {
    blocks.push({
      type: 'section',
      block_id: 'reason',
      text: mrkdwn(`*Reason*\n${safe(n.reason, LIMITS.sectionText - 20)}`, LIMITS.sectionText),
    });
  }
  blocks.push({
    type: 'actions',
    block_id: 'actions',
    elements: [linkButton(n, 'View in console')],
  });
  return { text: cut(`${n.headline} — ${n.status}`, 3000), blocks };
}

/** The facts as section fields (`*Label*\nvalue`), at most Slack's ten; the expiry in each reader's time zone. */
function factFields(n: Notification): { type: 'mrkdwn'; text: string; verbatim: boolean }[] {
  const fields = n.facts.slice(0, LIMITS.sectionFields - 1).map((f) => {
    const label = safe(f.label, 100);
    return mrkdwn(`*${label}*\n${safe(f.value, LIMITS.fieldText - label.length - 4)}`, LIMITS.fieldText);
  });
  const has = (label: string) => n.facts.some((f) => f.label.toLowerCase() === label);
  if (!has('risk') && fields.length < LIMITS.sectionFields) fields.unshift(mrkdwn(`*Risk*\n${RISK_MARK[n.risk]}`, 200));
  if (!has('expires') && fields.length < LIMITS.sectionFields && !CLOSED_STATES.has(n.state)) {
    fields.push(mrkdwn(`*Expires*\n${slackDate(n.expiresAt)}`, 400));
  }
  return fields.slice(0, LIMITS.sectionFields);
}

function evidenceText(evidence: readonly string[]): string {
  const shown = evidence.slice(0, 10);
  const budget = Math.floor((LIMITS.sectionText - 60) / shown.length) - 4;
  const lines = shown.map((e) => `• ${safe(e, budget)}`);
  const more = evidence.length > shown.length ? `\n…and ${evidence.length - shown.length} more in the console` : '';
  return `*Evidence*\n${lines.join('\n')}${more}`;
}

function actionButtons(n: Notification, closed: boolean, options: RequestMessageOptions): Button[] {
  const buttons: Button[] = [linkButton(n, closed ? 'View in console' : 'Open in console', !closed)];
  if (offersButtons(n, options)) {
    buttons.push(
      {
        type: 'button',
        action_id: ACTION_APPROVE,
        text: plain('Approve', LIMITS.buttonText),
        style: 'primary',
        value: decisionValue(n),
        confirm: {
          title: plain('Approve this request?', LIMITS.confirmTitle),
          text: plain(cut(n.action.text, LIMITS.confirmText - 10), LIMITS.confirmText),
          confirm: plain('Approve', LIMITS.confirmButton),
          deny: plain('Cancel', LIMITS.confirmButton),
        },
      },
      {
        type: 'button',
        action_id: ACTION_REJECT,
        text: plain('Reject', LIMITS.buttonText),
        style: 'danger',
        value: decisionValue(n),
        confirm: {
          title: plain('Reject this request?', LIMITS.confirmTitle),
          text: plain(
            'It will not run. Rejecting from Slack records the reason "rejected in Slack".',
            LIMITS.confirmText,
          ),
          confirm: plain('Reject', LIMITS.confirmButton),
          deny: plain('Cancel', LIMITS.confirmButton),
          style: 'danger',
        },
      },
    );
  }
  return buttons;
}

function linkButton(n: Notification, label: string, primary = false): Button {
  return {
    type: 'button',
    action_id: ACTION_OPEN,
    text: plain(label, LIMITS.buttonText),
    url: n.consoleUrl,
    ...(primary ? { style: 'primary' as const } : {}),
  };
}

/**
 * What an Approve / Reject button carries back: the approval id and the payload hash shown, so a click decides exactly
 * what the message displayed (the API refuses it if the action changed). Not a secret: Slack signs the click.
 */
export function decisionValue(n: Pick<Notification, 'approvalId' | 'event'>): string {
  const hash = String((n.event.data as { payloadHash?: unknown }).payloadHash ?? '');
  return JSON.stringify({ a: n.approvalId, h: hash });
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
