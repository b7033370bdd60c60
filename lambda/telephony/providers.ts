import type { OtpMessage, ProviderReceipt, TelephonyProvider } from '../ports.ts';
import type { GatewayProviderConfig, ProviderConfig, TwilioProviderConfig } from './config.ts';

/**
 * The built-in SMS/voice providers, called with `fetch` (no SDK: the telephony hook's bundle stays small). `send`
 * resolves only when the provider answered 2xx with a message id: that is "accepted". Errors say which provider, what
 * went wrong and the HTTP status — never the message text (it holds the OTP) nor the provider's body (it may echo it).
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly provider: string,
    readonly reason: 'rejected' | 'timeout' | 'unreachable' | 'bad_answer',
    readonly httpStatus?: number,
  ) {
    super(`${provider}: ${reason}${httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`}`);
  }
}

export function createProvider(name: string, config: ProviderConfig): TelephonyProvider {
  return config.type === 'twilio' ? new TwilioProvider(name, config) : new GatewayProvider(name, config);
}

async function post(provider: string, url: string, init: RequestInit, signal: AbortSignal): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, method: 'POST', redirect: 'error', signal });
  } catch {
    throw new ProviderError(provider, signal.aborted ? 'timeout' : 'unreachable');
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) throw new ProviderError(provider, 'rejected', response.status);
  return body;
}

const field = (body: unknown, name: string): string | undefined => {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
};

/**
 * A generic HTTPS gateway: POSTs a JSON body built from a template whose string values may contain `{{to}}`,
 * `{{text}}`, `{{channel}}` and `{{locale}}`; the message id is read from `idField` of the JSON answer.
 */
export class GatewayProvider implements TelephonyProvider {
  constructor(
    readonly name: string,
    private readonly config: GatewayProviderConfig,
  ) {}

  async send(message: OtpMessage, signal: AbortSignal): Promise<ProviderReceipt> {
    const values: Record<string, string> = {
      to: message.phoneNumber,
      text: message.text,
      channel: message.channel.toLowerCase(),
      locale: message.locale ?? '',
    };
    const body = fillTemplate(this.config.bodyTemplate, values);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.config.authHeader) headers[this.config.authHeader.name] = this.config.authHeader.value;
    const answer = await post(this.name, this.config.url, { headers, body: JSON.stringify(body) }, signal);
    const transactionId = field(answer, this.config.idField);
    if (!transactionId) throw new ProviderError(this.name, 'bad_answer');
    return { transactionId };
  }
}

function fillTemplate(template: unknown, values: Record<string, string>): unknown {
  if (typeof template === 'string') return template.replace(/\{\{(\w+)\}\}/g, (m, key: string) => values[key] ?? m);
  if (Array.isArray(template)) return template.map((t) => fillTemplate(t, values));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillTemplate(v, values)]));
  }
  return template;
}

/**
 * Twilio's Programmable Messaging (SMS: `Messages.json`) and Voice (`Calls.json` with inline TwiML) REST API, form
 * encoded with HTTP Basic auth (account SID and auth token, or an API key SID and secret).
 */
export class TwilioProvider implements TelephonyProvider {
  constructor(
    readonly name: string,
    private readonly config: TwilioProviderConfig,
  ) {}

  async send(message: OtpMessage, signal: AbortSignal): Promise<ProviderReceipt> {
    const { accountSid, baseUrl } = this.config;
    const voice = message.channel === 'VOICE';
    const form = new URLSearchParams({ To: message.phoneNumber });
    if (this.config.messagingServiceSid && !voice) form.set('MessagingServiceSid', this.config.messagingServiceSid);
    else form.set('From', this.config.from ?? '');
    if (voice) form.set('Twiml', `<Response><Say>${escapeXml(spaced(message.text))}</Say></Response>`);
    else form.set('Body', message.text);
    const user = this.config.apiKeySid ?? accountSid;
    const auth = Buffer.from(`${user}:${this.config.authToken}`).toString('base64');
    const url = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/${voice ? 'Calls' : 'Messages'}.json`;
    const answer = await post(
      this.name,
      url,
      {
        headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      },
      signal,
    );
    const transactionId = field(answer, 'sid');
    if (!transactionId || field(answer, 'status') === 'failed') throw new ProviderError(this.name, 'bad_answer');
    return { transactionId };
  }
}

/** Digits read one by one on a voice call ("5 8 2 9 1 3"). */
const spaced = (text: string) => text.replace(/\d{2,}/g, (d) => d.split('').join(' '));
const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
