import { createServer } from 'node:http';
import { MessageSchema, type SlackMessage } from '../lambda/notify/slack/block-kit.ts';
import { SLACK_USER_ID } from '../lambda/notify/slack/channel.ts';
import { isLoopback } from './bind.ts';
import { type Listening, listen, readBody } from './http.ts';
import type { NotifyReceiver } from './notify-receiver.ts';

/**
 * A stand-in for the part of Slack's Web API hookpilot uses — `chat.postMessage`, `chat.update`, `conversations.open`,
 * `auth.test` — for the local stack's demo and the tests. It speaks Slack's protocol: `POST <base>/<method>` with the
 * bot token as `Authorization: Bearer`, the body form-encoded (what `@slack/web-api` sends; `blocks` a JSON string) or
 * JSON, and every answer HTTP 200 `{ ok, … }` — `{ ok: false, error }` on a failure, as Slack does — except a simulated
 * rate limit (HTTP 429 with `Retry-After`) and simulated outages (HTTP 5xx).
 *
 * It checks what Slack checks and hookpilot relies on: the token (`invalid_auth`; `revoke()` → `token_revoked`), the
 * channel (`channel_not_found`; only the configured channels and the DMs it opened exist), the message to edit
 * (`message_not_found`, `cant_update_message`), the thread (`thread_not_found`), and the blocks against the Block Kit
 * schema with Slack's limits (`invalid_blocks`). It records every message with its edits and thread replies, so the
 * demo can show what would be posted. `fail(method, fault)` queues one-shot faults (an `ok:false` code, a 429, a 5xx).
 *
 * `handle()` answers one request and can be mounted on any local server under a prefix; `startSlackStandIn()` also
 * runs it on its own loopback port.
 */

export type SlackFault =
  | { readonly error: string }
  | { readonly status: 429; readonly retryAfter: number }
  | { readonly status: 500 | 502 | 503 };

export interface StandInMessage {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs?: string;
  /** The message as it is now (after its last edit). */
  text: string;
  blocks: SlackMessage['blocks'];
  /** Every version, oldest first (index 0 is the post). */
  readonly versions: { text: string; blocks: SlackMessage['blocks']; at: string }[];
}

export interface SlackCall {
  readonly method: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly status: number;
}

export interface SlackStandInOptions {
  /** The bot token it accepts (default `xoxb-local-hookpilot`). */
  readonly token?: string;
  /** Channel ids that exist, with a name for printing (default `C0APPROVALS` #approvals and `C0OUTCOMES` #outcomes). */
  readonly channels?: Readonly<Record<string, string>>;
  /** Slack users `users.info` knows, with their email (any well-formed user id can still be DMed). */
  readonly users?: Readonly<Record<string, { readonly email?: string }>>;
  readonly print?: (line: string) => void;
}

export const LOCAL_SLACK_TOKEN = 'xoxb-local-hookpilot';
export const LOCAL_APPROVALS_CHANNEL = 'C0APPROVALS';
export const LOCAL_OUTCOME_CHANNEL = 'C0OUTCOMES';
/** The local stack's Slack signing secret (local only: a real app's comes from Slack). */
export const LOCAL_SLACK_SIGNING_SECRET = '10ca1000000000000000000000510ac0';

export class SlackStandIn {
  readonly messages: StandInMessage[] = [];
  readonly calls: SlackCall[] = [];
  /** What was posted to interaction `response_url`s (ephemeral answers to the person who clicked). */
  readonly responses: { readonly id: string; readonly body: Record<string, unknown> }[] = [];
  private readonly faults = new Map<string, SlackFault[]>();
  private readonly channels: Map<string, string>;
  private readonly dms = new Map<string, string>();
  private revoked = false;
  private lastNote: string | undefined;
  private tsCounter = 0;
  private readonly token: string;

  constructor(private readonly options: SlackStandInOptions = {}) {
    this.token = options.token ?? LOCAL_SLACK_TOKEN;
    this.channels = new Map(
      Object.entries(
        options.channels ?? { [LOCAL_APPROVALS_CHANNEL]: 'approvals', [LOCAL_OUTCOME_CHANNEL]: 'outcomes' },
      ),
    );
  }

  /** The next call of `method` (e.g. `chat.update`) gets `fault` instead of its answer; faults queue in order. */
  fail(method: string, fault: SlackFault): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), fault]);
  }

  /** From now on the token is revoked: every call answers `token_revoked`. */
  revoke(): void {
    this.revoked = true;
  }

  /** Messages posted in `channel` (not thread replies), or the replies in one thread. */
  posted(channel?: string): StandInMessage[] {
    return this.messages.filter((m) => !m.threadTs && (channel === undefined || m.channel === channel));
  }

  replies(channel: string, threadTs: string): StandInMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === threadTs);
  }

  /** Clears messages, calls, faults and the revocation (between tests). */
  reset(): void {
    this.messages.length = 0;
    this.calls.length = 0;
    this.responses.length = 0;
    this.faults.clear();
    this.dms.clear();
    this.revoked = false;
  }

  /** A `response_url` for an interaction payload, under `base` (the stand-in's own URL). */
  responseUrl(base: string, id: string): string {
    return `${base}/response/${encodeURIComponent(id)}`;
  }

  /** Records an answer posted to a `response_url` (Slack answers `ok`, in plain text). */
  respond(
    id: string,
    body: string,
  ): { status: number; headers: Record<string, string>; body: string; summary: string } {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return {
        status: 400,
        headers: { 'content-type': 'text/plain' },
        body: 'invalid_payload',
        summary: 'invalid_payload',
      };
    }
    if (typeof json !== 'object' || json === null || typeof (json as { text?: unknown }).text !== 'string') {
      return { status: 400, headers: { 'content-type': 'text/plain' }, body: 'no_text', summary: 'no_text' };
    }
    this.responses.push({ id, body: json as Record<string, unknown> });
    this.print(
      `answered the click ${id} (${String((json as { response_type?: unknown }).response_type ?? 'in_channel')}): ${(json as { text: string }).text}`,
    );
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok', summary: this.lastNote ?? 'answered' };
  }

  /** Answers one Web API request. `method` is the path's last segment (`chat.postMessage`). */
  handle(request: {
    readonly method: string;
    readonly apiMethod: string;
    readonly headers: Readonly<Record<string, string | string[] | undefined>>;
    readonly body: string;
  }): { status: number; headers: Record<string, string>; body: string; summary: string } {
    const { apiMethod } = request;
    this.lastNote = undefined;
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      this.calls.push({
        method: apiMethod,
        ok: body.ok === true,
        status,
        ...(typeof body.error === 'string' ? { error: body.error } : {}),
      });
      return {
        status,
        headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
        body: JSON.stringify(body),
        summary:
          this.lastNote ??
          (body.ok === true ? `${apiMethod}: ok` : `${apiMethod}: ${String(body.error)} (HTTP ${status})`),
      };
    };
    if (request.method !== 'POST') return answer(200, { ok: false, error: 'method_not_supported_for_channel_type' });
    const fault = this.faults.get(apiMethod)?.shift();
    if (fault) {
      if ('error' in fault) return answer(200, { ok: false, error: fault.error });
      if (fault.status === 429) {
        return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) });
      }
      return answer(fault.status, { ok: false, error: 'service_unavailable' });
    }
    const auth = String(request.headers.authorization ?? '');
    const params = parseParams(String(request.headers['content-type'] ?? ''), request.body);
    const token = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : String(params.token ?? '');
    if (!token) return answer(200, { ok: false, error: 'not_authed' });
    if (token !== this.token) return answer(200, { ok: false, error: 'invalid_auth' });
    if (this.revoked) return answer(200, { ok: false, error: 'token_revoked' });

    switch (apiMethod) {
      case 'auth.test':
        return answer(200, {
          ok: true,
          url: 'https://hookpilot-local.slack.invalid/',
          team: 'hookpilot (local)',
          user: 'hookpilot',
          team_id: 'T0LOCAL',
          user_id: 'U0HOOKPILOT',
          bot_id: 'B0HOOKPILOT',
        });
      case 'users.info': {
        const user = String(params.user ?? '');
        const known = this.options.users?.[user];
        if (!known) return answer(200, { ok: false, error: 'user_not_found' });
        return answer(200, { ok: true, user: { id: user, profile: known.email ? { email: known.email } : {} } });
      }
      case 'conversations.open': {
        const user = String(params.users ?? '');
        if (!SLACK_USER_ID.test(user)) return answer(200, { ok: false, error: 'user_not_found' });
        const id = this.dms.get(user) ?? `D${user.slice(1)}`;
        this.dms.set(user, id);
        return answer(200, { ok: true, channel: { id } });
      }
      case 'chat.postMessage':
      case 'chat.update': {
        const channel = String(params.channel ?? '');
        if (!this.channels.has(channel) && ![...this.dms.values()].includes(channel)) {
          return answer(200, { ok: false, error: 'channel_not_found' });
        }
        const content = parseMessage(params);
        if (!content.success) return answer(200, { ok: false, error: content.error });
        const now = new Date().toISOString();
        if (apiMethod === 'chat.postMessage') {
          const threadTs = params.thread_ts === undefined ? undefined : String(params.thread_ts);
          if (threadTs && !this.messages.some((m) => m.channel === channel && m.ts === threadTs && !m.threadTs)) {
            return answer(200, { ok: false, error: 'thread_not_found' });
          }
          const ts = this.nextTs();
          this.messages.push({
            channel,
            ts,
            ...(threadTs ? { threadTs } : {}),
            text: content.message.text,
            blocks: content.message.blocks,
            versions: [{ ...content.message, at: now }],
          });
          this.print(
            `${threadTs ? 'replied in the thread of' : 'posted'} ${this.where(channel)}${threadTs ? ` ${threadTs}` : ''}: ${content.message.text}`,
          );
          return answer(200, { ok: true, channel, ts, message: { text: content.message.text } });
        }
        const ts = String(params.ts ?? '');
        const message = this.messages.find((m) => m.channel === channel && m.ts === ts);
        if (!message) return answer(200, { ok: false, error: 'message_not_found' });
        message.text = content.message.text;
        message.blocks = content.message.blocks;
        message.versions.push({ ...content.message, at: now });
        this.print(`edited ${this.where(channel)} ${ts}: ${content.message.text}`);
        return answer(200, { ok: true, channel, ts, text: content.message.text });
      }
      default:
        return answer(200, { ok: false, error: 'unknown_method' });
    }
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private where(channel: string): string {
    const name = this.channels.get(channel);
    if (name) return `#${name}`;
    const user = [...this.dms.entries()].find(([, id]) => id === channel)?.[0];
    return user ? `a DM to ${user}` : channel;
  }

  private print(line: string): void {
    this.lastNote = line;
    this.options.print?.(`Slack stand-in: ${line}`);
  }
}

/** The request's parameters: form-encoded (values as strings) or a JSON object. */
function parseParams(contentType: string, body: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) {
    try {
      const json: unknown = JSON.parse(body);
      return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function parseMessage(
  params: Record<string, unknown>,
): { success: true; message: SlackMessage } | { success: false; error: string } {
  let blocks: unknown = params.blocks;
  if (typeof blocks === 'string') {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      return { success: false, error: 'invalid_blocks_format' };
    }
  }
  if (blocks === undefined) {
    return typeof params.text === 'string' && params.text
      ? { success: true, message: { text: params.text, blocks: [] } }
      : { success: false, error: 'no_text' };
  }
  const parsed = MessageSchema.safeParse({ text: params.text, blocks });
  if (!parsed.success) {
    return {
      success: false,
      error: parsed.error.issues.some((i) => i.path[0] === 'text') ? 'no_text' : 'invalid_blocks',
    };
  }
  return { success: true, message: parsed.data };
}

export interface RunningSlackStandIn extends Listening {
  readonly slack: SlackStandIn;
  /** `<url>/api/`: the Web API base URL to give the Slack client. */
  readonly apiUrl: string;
}

/** Runs the stand-in on its own loopback port: `POST /api/<method>`, and `GET /messages` lists what was posted. */
export async function startSlackStandIn(
  options: SlackStandInOptions & { port?: number; host?: string } = {},
): Promise<RunningSlackStandIn> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error('the Slack stand-in listens on the loopback interface only');
  const slack = new SlackStandIn(options);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/messages') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messages: slack.messages }));
      return;
    }
    const response = /^\/response\/([A-Za-z0-9_.-]{1,100})$/.exec(path);
    if (req.method === 'POST' && response?.[1]) {
      const raw = await readBody(req, 64 * 1024);
      const answer = slack.respond(response[1], raw?.toString('utf8') ?? '');
      res.writeHead(answer.status, answer.headers).end(answer.body);
      return;
    }
    const match = /^\/api\/([a-zA-Z.]+)$/.exec(path);
    if (!match?.[1]) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'not_found' }));
      return;
    }
    const raw = await readBody(req, 1024 * 1024);
    const answer = slack.handle({
      method: req.method ?? 'GET',
      apiMethod: match[1],
      headers: req.headers,
      body: raw?.toString('utf8') ?? '',
    });
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  const listening = await listen(server, host, options.port ?? 0);
  return { ...listening, slack, apiUrl: `${listening.url}/api/` };
}

/** Where the stand-in is mounted on the local notification receiver. */
export const SLACK_API_PREFIX = '/slack/api/';
export const SLACK_RESPONSE_PREFIX = '/slack/response/';

/**
 * Mounts the stand-in on the local notification receiver (`local/notify-receiver.ts`): the Web API under
 * `/slack/api/<method>` and interaction answers under `/slack/response/<id>`, so the receiver's page lists what Slack
 * would have shown. Returns the Web API base URL to configure.
 */
export function mountSlackStandIn(receiver: NotifyReceiver, slack: SlackStandIn): string {
  receiver.route(SLACK_API_PREFIX, (request) => {
    const apiMethod = request.path.slice(SLACK_API_PREFIX.length);
    const answer = slack.handle({ method: request.method, apiMethod, headers: request.headers, body: request.raw });
    return {
      status: answer.status,
      body: JSON.parse(answer.body) as unknown,
      headers: answer.headers,
      channel: `slack/${apiMethod}`,
      summary: answer.summary,
    };
  });
  receiver.route(SLACK_RESPONSE_PREFIX, (request) => {
    const id = request.path.slice(SLACK_RESPONSE_PREFIX.length);
    const answer = slack.respond(id, request.raw);
    return { status: answer.status, body: answer.body, channel: 'slack/response_url', summary: answer.summary };
  });
  return `${receiver.url}${SLACK_API_PREFIX}`;
}
