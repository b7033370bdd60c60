import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { isLoopback } from './bind.ts';
import { type Listening, listen, readBody } from './http.ts';

/**
 * A fake SMS/voice gateway for the local stack and the tests, speaking the generic gateway protocol of the telephony
 * hook (`POST /messages` with `{to, text, channel}` → `{id}`). Loopback only. It keeps (and, with `print`, prints) the
 * messages it "sent" — locally that is the point: the developer sees the OTP arrive. Fault modes: `fail` answers 503,
 * `slow` holds the answer for `slowMs` (default 10 s, longer than any hook budget), `normal` accepts.
 *
 * `GET /messages` lists what was sent, `POST /__gateway/mode` `{mode, slowMs?}` changes the fault mode (JSON only).
 */
export type SmsGatewayMode = 'normal' | 'fail' | 'slow';

export interface SentMessage {
  readonly id: string;
  readonly to: string;
  readonly channel: string;
  readonly text: string;
  readonly at: string;
}

export interface SmsGateway extends Listening {
  /** `<url>/messages`: where the telephony hook's gateway provider posts. */
  readonly messagesUrl: string;
  readonly sent: readonly SentMessage[];
  /** Requests received, in any mode (a failing or slow gateway still counts the attempt). */
  readonly received: () => number;
  setMode(mode: SmsGatewayMode, slowMs?: number): void;
}

export async function startSmsGateway(
  options: { port?: number; host?: string; mode?: SmsGatewayMode; print?: (line: string) => void } = {},
): Promise<SmsGateway> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error('the fake SMS gateway listens on the loopback interface only');
  let mode: SmsGatewayMode = options.mode ?? 'normal';
  let slowMs = 10_000;
  let received = 0;
  const sent: SentMessage[] = [];
  const pending = new Set<NodeJS.Timeout>();

  const server = createServer(async (req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/messages') return answer(200, { messages: sent });
    const raw = await readBody(req, 64 * 1024);
    if (req.method === 'POST' && path === '/__gateway/mode') {
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return answer(415, { error: 'json only' });
      const body = safeJson(raw);
      const next = body?.mode;
      if (next !== 'normal' && next !== 'fail' && next !== 'slow')
        return answer(400, { error: 'mode: normal|fail|slow' });
      mode = next;
      if (typeof body?.slowMs === 'number') slowMs = body.slowMs;
      return answer(200, { mode, slowMs });
    }
    if (req.method !== 'POST' || path !== '/messages') return answer(404, { error: 'not found' });
    received++;
    const body = safeJson(raw);
    if (typeof body?.to !== 'string' || typeof body.text !== 'string')
      return answer(400, { error: 'to and text required' });
    if (mode === 'fail') return answer(503, { error: 'gateway failing (fault mode)' });
    const deliver = () => {
      const message = {
        id: `fake-${randomUUID().slice(0, 12)}`,
        to: body.to as string,
        channel: typeof body.channel === 'string' ? body.channel : 'sms',
        text: body.text as string,
        at: new Date().toISOString(),
      };
      sent.push(message);
      options.print?.(`fake SMS gateway: ${message.channel} to ${message.to}: "${message.text}"`);
      answer(200, { id: message.id, status: 'accepted' });
    };
    if (mode === 'slow') {
      const timer = setTimeout(() => {
        pending.delete(timer);
        if (!res.writableEnded && !res.destroyed) deliver();
      }, slowMs);
      pending.add(timer);
      return;
    }
    deliver();
  });
  const listening = await listen(server, host, options.port ?? 0);
  return {
    ...listening,
    messagesUrl: `${listening.url}/messages`,
    sent,
    received: () => received,
    setMode(next, ms) {
      mode = next;
      if (ms !== undefined) slowMs = ms;
    },
    stop: async () => {
      for (const timer of pending) clearTimeout(timer);
      await listening.stop();
    },
  };
}

function safeJson(raw: Buffer | undefined): Record<string, unknown> | undefined {
  try {
    const value = raw ? JSON.parse(raw.toString('utf8')) : undefined;
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}
