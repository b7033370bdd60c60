import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { isLoopback } from './bind.ts';
import { type Listening, listen, readBody } from './http.ts';

/**
 * The local stand-in for Slack, Microsoft Teams and webhook receivers (loopback only): it records every POST, prints a
 * one-line summary of each, and shows them on a page (`GET /`) and as JSON (`GET /messages`). So `npm start`'s demo
 * shows the messages hookpilot would post, and the notifier's tests have a real HTTP receiver to fail on purpose.
 *
 * Built in: `POST /teams/<audience>` (a Teams Workflows webhook: answers 202) and `POST /webhook/<name>` (a Standard
 * Webhooks receiver: verifies the signature with the secrets it was given, answers 204). More platforms plug in with one
 * line each: `receiver.route('/slack/api/', handler)`.
 */
export interface ReceivedRequest {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly raw: string;
  /** The body parsed as JSON (form bodies as an object of their fields), or undefined. */
  readonly json: unknown;
}

export interface RouteAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Which platform and destination the message was for, e.g. `slack/chat.postMessage`. */
  readonly channel: string;
  /** One line saying what the message says. */
  readonly summary: string;
}

export type RouteHandler = (request: ReceivedRequest) => RouteAnswer | Promise<RouteAnswer>;

export interface ReceivedMessage extends ReceivedRequest {
  readonly seq: number;
  readonly at: string;
  readonly channel: string;
  readonly summary: string;
  /** What the receiver answered. */
  readonly status: number;
}

export interface ReceiverFault {
  /** Which requests fail (default: every POST). */
  readonly match?: (request: ReceivedRequest) => boolean;
  readonly status: number;
  /** How many times (default: until removed). */
  readonly times?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface NotifyReceiver extends Listening {
  /** Everything received so far, oldest first (faulted requests too, with the status they got). */
  readonly messages: readonly ReceivedMessage[];
  /** Serves POSTs whose path starts with `prefix` (checked before the built-in routes). */
  route(prefix: string, handler: RouteHandler): void;
  /** Makes matching requests fail with `status`; returns a function that removes the fault. */
  fail(fault: ReceiverFault): () => void;
  clear(): void;
}

const MAX_BODY = 1024 * 1024;

export async function startNotifyReceiver(
  options: {
    port?: number;
    host?: string;
    /** Standard Webhooks secrets (`whsec_…`) the `/webhook/<name>` route verifies against. */
    webhookSecrets?: readonly string[];
    print?: (line: string) => void;
  } = {},
): Promise<NotifyReceiver> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error('the local notification receiver listens on the loopback interface only');
  const messages: ReceivedMessage[] = [];
  const routes: { prefix: string; handler: RouteHandler }[] = [];
  const faults = new Set<ReceiverFault & { left: number }>();
  const verifiers = (options.webhookSecrets ?? []).map((s) => new Webhook(s));
  let seq = 0;

  routes.push({ prefix: '/teams/', handler: (r) => teamsAnswer(r) });
  routes.push({ prefix: '/webhook/', handler: (r) => webhookAnswer(r, verifiers) });

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}) => {
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      res
        .writeHead(status, {
          ...(text && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        })
        .end(text);
    };
    if (req.method === 'GET' && url.pathname === '/messages') return send(200, { messages });
    if (req.method === 'GET' && url.pathname === '/') {
      return send(200, page(messages), {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      });
    }
    if (req.method !== 'POST') return send(405, { error: 'POST only' }, { allow: 'POST' });
    const buffer = await readBody(req, MAX_BODY);
    if (!buffer) return send(413, { error: 'too large' });
    const raw = buffer.toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
    );
    const request: ReceivedRequest = {
      method: 'POST',
      path: url.pathname,
      headers,
      raw,
      json: parseBody(raw, headers),
    };
    const route = routes.find((r) => url.pathname.startsWith(r.prefix));
    let answer: RouteAnswer = route
      ? await Promise.resolve(route.handler(request)).catch(() => ({
          status: 500,
          channel: url.pathname,
          summary: 'the route failed',
        }))
      : { status: 404, body: { error: 'no such receiver' }, channel: url.pathname, summary: 'no such receiver' };
    for (const fault of faults) {
      if (fault.left <= 0 || !(fault.match?.(request) ?? true)) continue;
      fault.left -= 1;
      answer = {
        status: fault.status,
        body: { error: `fault injected (${fault.status})` },
        ...(fault.headers ? { headers: fault.headers } : {}),
        channel: answer.channel,
        summary: answer.summary,
      };
      break;
    }
    const message: ReceivedMessage = {
      ...request,
      seq: ++seq,
      at: new Date().toISOString(),
      channel: answer.channel,
      summary: answer.summary,
      status: answer.status,
    };
    messages.push(message);
    options.print?.(`notify ▸ ${message.channel} (${message.status}): ${message.summary}`);
    send(answer.status, answer.body, answer.headers);
  });
  const listening = await listen(server, host, options.port ?? 0);
  return {
    ...listening,
    messages,
    route(prefix, handler) {
      routes.unshift({ prefix, handler });
    },
    fail(fault) {
      const entry = { ...fault, left: fault.times ?? Number.POSITIVE_INFINITY };
      faults.add(entry);
      return () => faults.delete(entry);
    },
    clear() {
      messages.length = 0;
    },
  };
}

function parseBody(raw: string, headers: Readonly<Record<string, string>>): unknown {
  if ((headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** A Teams Workflows webhook: the card's first text (its headline) and the link it opens. */
function teamsAnswer(r: ReceivedRequest): RouteAnswer {
  const audience = r.path.slice('/teams/'.length) || 'default';
  const body = r.json as { attachments?: { content?: { body?: unknown[]; actions?: { url?: string }[] } }[] };
  const card = body?.attachments?.[0]?.content;
  if (!card) return { status: 400, channel: `teams/${audience}`, summary: 'not a message with an Adaptive Card' };
  const headline = firstText(card.body ?? []) ?? '(no text)';
  const link = card.actions?.[0]?.url;
  return {
    status: 202,
    channel: `teams/${audience}`,
    summary: `${unescapeMarkdown(headline)}${link ? ` → ${link}` : ''}`,
  };
}

function firstText(items: readonly unknown[]): string | undefined {
  for (const item of items) {
    const i = item as { type?: string; text?: string; items?: unknown[] };
    if (i.type === 'TextBlock' && typeof i.text === 'string') return i.text;
    const nested = i.items ? firstText(i.items) : undefined;
    if (nested) return nested;
  }
  return undefined;
}

const unescapeMarkdown = (text: string) => text.replace(/\\(.)/g, '$1');

/** A Standard Webhooks receiver: verifies the signature (when it knows secrets) and names the CloudEvent. */
function webhookAnswer(r: ReceivedRequest, verifiers: readonly Webhook[]): RouteAnswer {
  const name = r.path.slice('/webhook/'.length) || 'default';
  const event = r.json as { type?: string; subject?: string } | undefined;
  let verdict = 'signature not checked';
  if (verifiers.length > 0) {
    const ok = verifiers.some((v) => {
      try {
        v.verify(r.raw, r.headers);
        return true;
      } catch {
        return false;
      }
    });
    if (!ok) return { status: 401, channel: `webhook/${name}`, summary: 'signature does NOT verify' };
    verdict = 'signature verified';
  }
  return {
    status: 204,
    channel: `webhook/${name}`,
    summary: `${event?.type ?? 'unknown type'} ${event?.subject ?? ''} (${verdict})`,
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function page(messages: readonly ReceivedMessage[]): string {
  const rows = [...messages]
    .reverse()
    .map(
      (m) => `<tr><td>${m.seq}</td><td>${escapeHtml(m.at)}</td><td>${escapeHtml(m.channel)}</td><td>${m.status}</td>
<td>${escapeHtml(m.summary)}<details><summary>body</summary><pre>${escapeHtml(pretty(m))}</pre></details></td></tr>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hookpilot — local notifications</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}pre{white-space:pre-wrap;font-size:12px}</style>
</head><body><h1>Local notifications (nothing here left this machine)</h1>
<p>What hookpilot would have posted to Slack, Teams and webhooks. Newest first; reload to refresh. JSON: <code>/messages</code>.</p>
<table><thead><tr><th>#</th><th>At</th><th>To</th><th>Answer</th><th>Message</th></tr></thead><tbody>
${rows || '<tr><td colspan="5">Nothing yet.</td></tr>'}
</tbody></table></body></html>`;
}

function pretty(m: ReceivedMessage): string {
  return m.json === undefined ? m.raw : JSON.stringify(m.json, null, 2);
}
