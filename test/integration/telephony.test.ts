import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelephonyRequestSchema } from '../../lambda/okta/inline-telephony.ts';
import { type DeliverOtpDeps, deliverOtp, type OtpAnswer } from '../../lambda/pipeline/deliver-otp.ts';
import type { RateLimiter, TelephonyProvider } from '../../lambda/ports.ts';
import { DynamoRateLimiter } from '../../lambda/store/rate-limits.ts';
import { parseTelephonyConfig, type TelephonyConfig } from '../../lambda/telephony/config.ts';
import { createProvider } from '../../lambda/telephony/providers.ts';
import type { LocalResources } from '../../local/resources.ts';
import { type SmsGateway, startSmsGateway } from '../../local/sms-gateway.ts';
import { freshResources, testClients } from '../support/emulators.ts';

/**
 * The telephony use case against real parts: two fake SMS gateways over HTTP (one made slow or failing), the DynamoDB
 * rate limiter on DynamoDB Local. Asserts which answer Okta gets and which fallback fired — never how long it took.
 */
const fixture = JSON.parse(readFileSync('test/fixtures/okta/inline-telephony-request.json', 'utf8'));
const OTP = fixture.data.messageProfile.otpCode as string;
const { documents } = testClients();
let resources: LocalResources;
let primary: SmsGateway;
let secondary: SmsGateway;
let twilioLike: SmsGateway;

beforeAll(async () => {
  resources = await freshResources();
  [primary, secondary, twilioLike] = await Promise.all([startSmsGateway(), startSmsGateway(), startSmsGateway()]);
});
afterAll(async () => {
  await Promise.all([primary?.stop(), secondary?.stop(), twilioLike?.stop()]);
});

function configWith(overrides: Partial<Record<string, unknown>> = {}): TelephonyConfig {
  return parseTelephonyConfig(
    JSON.stringify({
      providers: {
        primary: { type: 'gateway', url: primary.messagesUrl, authHeader: { name: 'x-api-key', value: 'k-1' } },
        secondary: { type: 'gateway', url: secondary.messagesUrl },
      },
      routes: [{ prefix: '+1', providers: ['primary', 'secondary'] }],
      limits: { perNumber: { limit: 1000, windowSeconds: 3600 }, perUser: { limit: 1000, windowSeconds: 3600 } },
      attemptTimeoutMs: 400,
      ...overrides,
    }),
    'test config',
  );
}

function depsFor(config: TelephonyConfig, extra: Partial<DeliverOtpDeps> = {}) {
  const providers = new Map<string, TelephonyProvider>(
    Object.entries(config.providers).map(([name, c]) => [name, createProvider(name, c)]),
  );
  const deadline = Date.now() + 2000;
  const deps: DeliverOtpDeps = {
    config,
    providers,
    limiter: new DynamoRateLimiter(documents, resources.tables.rateLimitsTable),
    now: () => new Date(),
    remainingMs: () => deadline - Date.now(),
    ...extra,
  };
  return { deps };
}

/** `primary:timeout:412ms` → `timeout`. */
const attemptResults = (answer: OtpAnswer) => ((answer.detail.attempts ?? []) as string[]).map((a) => a.split(':')[1]);

const request = (phoneNumber = '+14155550142', userId = `00u${Math.random().toString(36).slice(2, 12)}`) =>
  TelephonyRequestSchema.parse({
    ...fixture,
    data: {
      ...fixture.data,
      userProfile: { ...fixture.data.userProfile, userId },
      messageProfile: { ...fixture.data.messageProfile, phoneNumber },
    },
  });

describe('telephony: routing, failover, fallback', () => {
  it('sends through the first provider and answers SUCCESSFUL with its transaction id', async () => {
    primary.setMode('normal');
    const before = primary.sent.length;
    const { deps } = depsFor(configWith());
    const answer = await deliverOtp(request(), deps);
    expect(answer.outcome).toBe('sent');
    const sent = primary.sent[before];
    expect(sent?.text).toBe(fixture.data.messageProfile.msgTemplate);
    expect(answer.response).toEqual({
      commands: [
        {
          type: 'com.okta.telephony.action',
          value: [
            {
              status: 'SUCCESSFUL',
              provider: 'primary',
              transactionId: sent?.id,
              transactionMetadata: expect.stringMatching(/^Duration=\d+ms$/),
            },
          ],
        },
      ],
    });
    expect(answer.detail).toMatchObject({
      status: 'SUCCESSFUL',
      provider: 'primary',
      routePrefix: '+1',
      numberLast2: '42',
    });
    expect(JSON.stringify(answer.detail)).not.toContain(OTP);
    expect(JSON.stringify(answer.detail)).not.toContain('4155550142');
  });

  it('fails over to the secondary when the primary refuses', async () => {
    primary.setMode('fail');
    const before = secondary.sent.length;
    const { deps } = depsFor(configWith());
    const answer = await deliverOtp(request(), deps);
    primary.setMode('normal');
    expect(answer.outcome).toBe('sent');
    expect((answer.response as { commands: { value: { provider: string }[] }[] }).commands[0]?.value[0]?.provider).toBe(
      'secondary',
    );
    expect(secondary.sent.length).toBe(before + 1);
    expect(attemptResults(answer)).toEqual(['rejected', 'accepted']);
  });

  it('fails over when the primary hangs, and never reports the hung message as sent', async () => {
    primary.setMode('slow', 30_000);
    const sentBefore = primary.sent.length;
    const { deps } = depsFor(configWith());
    const answer = await deliverOtp(request(), deps);
    primary.setMode('normal');
    expect(answer.outcome).toBe('sent');
    expect(answer.detail.attempts).toEqual([
      expect.stringMatching(/^primary:timeout:/),
      expect.stringMatching(/^secondary:accepted:/),
    ]);
    expect(primary.sent.length).toBe(sentBefore);
  });

  it('every provider hanging → the error answer that makes Okta send the OTP itself, inside the budget', async () => {
    primary.setMode('slow', 30_000);
    secondary.setMode('slow', 30_000);
    const { deps } = depsFor(configWith());
    const answer = await deliverOtp(request(), deps);
    primary.setMode('normal');
    secondary.setMode('normal');
    expect(answer).toMatchObject({ outcome: 'fallback', fallback: 'ALL_PROVIDERS_FAILED' });
    expect(answer.response).toEqual({
      error: {
        errorSummary: 'Every telephony provider failed',
        errorCauses: [
          {
            errorSummary: 'Every telephony provider failed',
            reason: 'ALL_PROVIDERS_FAILED',
            location: 'data.messageProfile.phoneNumber',
          },
        ],
      },
    });
    expect(attemptResults(answer)).toEqual(['timeout', 'timeout']);
  });

  it('a budget already spent skips the providers and falls back (no late SUCCESSFUL)', async () => {
    const { deps } = depsFor(configWith(), { remainingMs: () => 120 });
    const before = primary.received();
    const answer = await deliverOtp(request(), deps);
    expect(answer.fallback).toBe('ALL_PROVIDERS_FAILED');
    expect(primary.received()).toBe(before);
    expect(attemptResults(answer)).toEqual(['skipped_no_budget', 'skipped_no_budget']);
  });

  it('routes by the longest prefix, and falls back when no route matches or none is configured', async () => {
    const config = configWith({
      routes: [
        { prefix: '+1', providers: ['primary'] },
        { prefix: '+44', providers: ['secondary'] },
      ],
    });
    const before = secondary.sent.length;
    const uk = await deliverOtp(request('+447700900123'), depsFor(config).deps);
    expect(uk.outcome).toBe('sent');
    expect(secondary.sent.length).toBe(before + 1);
    const de = await deliverOtp(request('+4915112345678'), depsFor(config).deps);
    expect(de).toMatchObject({ outcome: 'fallback', fallback: 'NO_PROVIDER' });
    const none = await deliverOtp(request(), depsFor(configWith({ providers: {}, routes: [] })).deps);
    expect(none).toMatchObject({ outcome: 'fallback', fallback: 'NO_PROVIDER' });
    expect(none.response).toHaveProperty('error.errorCauses.0.reason', 'NO_PROVIDER');
  });

  it('calls Twilio’s REST API shape (form-encoded Messages.json, Basic auth) through fetch', async () => {
    // A tiny Twilio-shaped endpoint: the fake gateway only speaks JSON, so capture the raw request here.
    const { createServer } = await import('node:http');
    const seen: { url?: string; auth?: string; body?: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ url: req.url, auth: req.headers.authorization, body });
        res
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ sid: 'SM123', status: 'queued' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const config = configWith({
        providers: {
          twilio: {
            type: 'twilio',
            accountSid: 'AC0001',
            authToken: 'tok',
            from: '+15005550006',
            baseUrl: `http://127.0.0.1:${port}`,
          },
        },
        routes: [{ prefix: '', providers: ['twilio'] }],
      });
      const answer = await deliverOtp(request(), depsFor(config).deps);
      expect(answer.response).toHaveProperty('commands.0.value.0.transactionId', 'SM123');
      expect(seen[0]?.url).toBe('/2010-04-01/Accounts/AC0001/Messages.json');
      expect(seen[0]?.auth).toBe(`Basic ${Buffer.from('AC0001:tok').toString('base64')}`);
      const form = new URLSearchParams(seen[0]?.body);
      expect(form.get('To')).toBe('+14155550142');
      expect(form.get('From')).toBe('+15005550006');
      expect(form.get('Body')).toContain(OTP);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});

describe('telephony: rate limits (SMS pumping)', () => {
  it('refuses past the per-number limit with FAILED (no Okta fallback) and an audited refusal', async () => {
    const config = configWith({ limits: { perNumber: { limit: 2, windowSeconds: 600 } } });
    const phone = '+15551230001';
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await deliverOtp(request(phone), depsFor(config).deps));
    expect(results.map((r) => r.outcome)).toEqual(['sent', 'sent', 'rate_limited']);
    expect(results[2]?.response).toMatchObject({
      commands: [{ type: 'com.okta.telephony.action', value: [{ status: 'FAILED', provider: 'hookpilot' }] }],
    });
    const { deps } = depsFor(config);
    const refused = await deliverOtp(request(phone), deps);
    expect(refused).toMatchObject({
      outcome: 'rate_limited',
      reason: 'rate limit perNumber',
      detail: { limit: 'perNumber', status: 'FAILED' },
    });
  });

  it('refuses past the per-user limit across numbers', async () => {
    const config = configWith({ limits: { perUser: { limit: 1, windowSeconds: 600 } } });
    const first = await deliverOtp(request('+15551230101', '00uPUMP1'), depsFor(config).deps);
    const second = await deliverOtp(request('+15551230102', '00uPUMP1'), depsFor(config).deps);
    expect([first.outcome, second.outcome]).toEqual(['sent', 'rate_limited']);
  });

  it('concurrent takes never exceed the limit (conditional counter)', async () => {
    const limiter = new DynamoRateLimiter(documents, resources.tables.rateLimitsTable);
    const now = new Date();
    const taken = await Promise.all(Array.from({ length: 20 }, () => limiter.take('race#key', 5, 600, now)));
    expect(taken.filter(Boolean)).toHaveLength(5);
  });

  it('a limiter outage falls back to Okta’s providers rather than sending unmetered', async () => {
    const broken: RateLimiter = { take: () => Promise.reject(new Error('DynamoDB down')) };
    const before = primary.received();
    const answer = await deliverOtp(request(), depsFor(configWith(), { limiter: broken }).deps);
    expect(answer).toMatchObject({ outcome: 'fallback', fallback: 'RATE_LIMITER_UNAVAILABLE' });
    expect(primary.received()).toBe(before);
  });
});
