import type { DeliveryResult, Notification, NotificationAudience, NotificationChannel } from '../ports.ts';
import { postJson } from './channel.ts';
import type { TeamsConfig } from './config.ts';

/**
 * Microsoft Teams through Workflows ("When a Teams webhook request is received" → "Post card in a chat or channel"):
 * Office 365 connectors are retired. The workflow's URL receives a message with one Adaptive Card 1.5 attachment: the
 * request's facts and an `Action.OpenUrl` to the console — Workflows cards cannot call back, so deciding happens in the
 * console, behind Okta sign-in. Teams cannot edit the card later: each later step is a card of its own.
 */
export class TeamsChannel implements NotificationChannel {
  readonly name = 'teams';
  readonly audiences: readonly NotificationAudience[];
  private readonly urls: Partial<Record<NotificationAudience, string>>;

  constructor(config: TeamsConfig) {
    this.urls = {
      ...(config.approvers ? { approvers: config.approvers } : {}),
      ...(config.outcome ? { outcome: config.outcome } : {}),
      ...(config.grantEnded ? { 'grant-ended': config.grantEnded } : {}),
    };
    this.audiences = (Object.keys(this.urls) as NotificationAudience[]).sort();
  }

  async deliver(notification: Notification): Promise<DeliveryResult> {
    const url = this.urls[notification.audience];
    if (!url) return { outcome: 'skipped', detail: `no Teams workflow for ${notification.audience}` };
    await postJson(this.name, url, teamsMessage(notification));
    return { outcome: 'sent', detail: `posted a card for ${notification.audience}` };
  }
}

/** The body a Workflows webhook expects: a message with one Adaptive Card attachment. */
export function teamsMessage(n: Notification) {
  return {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: adaptiveCard(n) },
    ],
  };
}

const RISK_STYLE = { low: 'good', medium: 'warning', high: 'attention', critical: 'attention' } as const;
const MAX_EVIDENCE = 8;

/**
 * The Adaptive Card (schema 1.5) for a notification. Every value from Okta or the model is data, not markup: Markdown is
 * escaped (a display name cannot become a link) and long text is cut, so a card stays well inside Teams' 28 KB.
 */
export function adaptiveCard(n: Notification) {
  const body: Record<string, unknown>[] = [
    {
      type: 'Container',
      style: RISK_STYLE[n.risk],
      bleed: true,
      items: [
        {
          type: 'TextBlock',
          text: text(n.headline, 200),
          style: 'heading',
          size: 'Large',
          weight: 'Bolder',
          wrap: true,
        },
        { type: 'TextBlock', text: text(n.status, 300), wrap: true, spacing: 'Small' },
      ],
    },
    {
      type: 'FactSet',
      facts: n.facts.map((f) => ({ title: text(f.label, 40), value: text(f.value, 300) })),
    },
  ];
  if (n.rationale) {
    body.push(
      { type: 'TextBlock', text: 'Why', weight: 'Bolder', wrap: true, spacing: 'Medium' },
      { type: 'TextBlock', text: text(n.rationale, 1000), wrap: true },
    );
  }
  if (n.evidence.length > 0) {
    body.push({ type: 'TextBlock', text: 'Evidence', weight: 'Bolder', wrap: true, spacing: 'Medium' });
    for (const item of n.evidence.slice(0, MAX_EVIDENCE)) {
      body.push({ type: 'TextBlock', text: `• ${text(item, 300)}`, wrap: true, spacing: 'None' });
    }
    if (n.evidence.length > MAX_EVIDENCE) {
      body.push({
        type: 'TextBlock',
        text: `… and ${n.evidence.length - MAX_EVIDENCE} more in the console`,
        isSubtle: true,
        wrap: true,
        spacing: 'None',
      });
    }
  }
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.5',
    body,
    actions: [
      {
        type: 'Action.OpenUrl',
        title: n.audience === 'approvers' && n.state === 'pending' ? 'Review and decide' : 'Open the request',
        url: n.consoleUrl,
      },
    ],
    // Teams' own extension: use the width of the conversation.
    msteams: { width: 'Full' },
  };
}

/** Untrusted text for a TextBlock / FactSet (both render Markdown in Teams): escaped and cut to `max` characters. */
export function text(value: string, max: number): string {
  const cut = value.length > max ? `${value.slice(0, max - 1)}…` : value;
  // Enough to keep any Markdown from forming: emphasis, code, links and images (`[`…`]`), HTML, and block markers at the
  // start of a line (headings, lists, quotes). Bare URLs stay text Teams may still link, never a disguised link.
  return cut
    .replace(/[\\`*_[\]<>~]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([-+=#>])/gm, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/gm, '$1\\$2');
}
