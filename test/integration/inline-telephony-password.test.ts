import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashLegacyPassword } from '../../lambda/domain/legacy-hash.ts';
import type { AuditRecord } from '../../lambda/ports.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { DynamoLegacyHashStore } from '../../lambda/store/legacy-hashes.ts';
import type { LocalResources } from '../../local/resources.ts';
import { type SmsGateway, startSmsGateway } from '../../local/sms-gateway.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { fixture } from '../support/fixtures.ts';
import { postInline, startInlineGateway } from '../support/inline.ts';

/**
 * The telephony and password import hooks over real HTTP (the local gateway → the Lambda handlers → the inline
 * framework), against DynamoDB Local and two fake SMS gateways. Every log line (Powertools at DEBUG, and anything else
 * written to stdout/stderr) and every audit record written meanwhile is captured, and neither the OTP nor a password
 * may appear in any of them.
 */
const SECRET = 'inline-telephony-test-secret-0123456789';
const { documents } = testClients();
let resources: LocalResources;
let gateway: { url: string; stop: () => Promise<void> };
let primary: SmsGateway;
let secondary: SmsGateway;
let audit: DynamoAuditLog;
const started = new Date().toISOString();

type Telephony = ReturnType<typeof telephonyRequest>;
const telephonyRequest = () =>
  fixture<{
    eventId: string;
    data: {
      userProfile: { userId: string };
      messageProfile: { phoneNumber: string | number; otpCode: string | number; msgTemplate: string };
    };
  }>('okta/inline-telephony-request.json');
const passwordRequest = () =>
  fixture<{ eventId: string; data: { context: { credential: { username: string; password: string } } } }>(
    'okta/inline-password-import-request.json',
  );

/** Distinct secrets per request so that a leak of any one of them is caught. */
const OTPS: string[] = [];
const PASSWORDS: string[] = [];
const SCRYPT_SALT = Buffer.from('hook-test-salt').toString('base64');

function withOtp(request: Telephony, otp: string, phone?: string): Telephony {
  OTPS.push(otp);
  request.data.messageProfile.otpCode = otp;
  request.data.messageProfile.msgTemplate = `Your Acme verification code is ${otp}`;
  request.data.userProfile.userId = `00uTEL${OTPS.length}`;
  if (phone) request.data.messageProfile.phoneNumber = phone;
  return request;
}

// Capture everything the process writes while the hooks run (the gateway and the handlers run in this process).
const written: string[] = [];
const capture = (stream: NodeJS.WriteStream) =>
  vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  }) as never);

beforeAll(async () => {
  resources = await freshResources();
  [primary, secondary] = await Promise.all([startSmsGateway(), startSmsGateway()]);
  useLocalEnv(resources, {
    HOOKPILOT_INLINE_HOOK_SECRET: SECRET,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    HOOKPILOT_TELEPHONY_CONFIG: JSON.stringify({
      providers: {
        primary: { type: 'gateway', url: primary.messagesUrl },
        secondary: { type: 'gateway', url: secondary.messagesUrl },
      },
      routes: [{ prefix: '+1', providers: ['primary', 'secondary'] }],
      limits: { perNumber: { limit: 3, windowSeconds: 600 } },
      attemptTimeoutMs: 400,
    }),
  });
  gateway = await startInlineGateway();
  audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  const store = new DynamoLegacyHashStore(documents, resources.tables.legacyHashesTable);
  const login = passwordRequest().data.context.credential.username;
  await store.put([
    {
      login,
      hash: hashLegacyPassword(passwordRequest().data.context.credential.password, {
        algorithm: 'scrypt',
        N: 1024,
        r: 8,
        p: 1,
        salt: SCRYPT_SALT,
      }),
      importId: 'test',
      sunset: '2099-01-01',
      importedAt: started,
    },
  ]);
  PASSWORDS.push(passwordRequest().data.context.credential.password);
  capture(process.stdout);
  capture(process.stderr);
});

afterEach(() => {
  primary.setMode('normal');
  secondary.setMode('normal');
});

afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([gateway?.stop(), primary?.stop(), secondary?.stop()]);
});

const post = (type: 'telephony' | 'password-import', body: unknown) =>
  postInline(gateway.url, type, body, { authorization: SECRET, 'x-okta-request-id': `req-${Math.random()}` });

describe('POST /okta/inline/telephony', () => {
  it('sends the fixture’s OTP through the first provider and answers the documented SUCCESSFUL command', async () => {
    const before = primary.sent.length;
    const result = await post('telephony', withOtp(telephonyRequest(), '582913'));
    const sent = primary.sent[before];
    expect(result.status).toBe(200);
    expect(sent).toMatchObject({ to: '+14155550142', text: 'Your Acme verification code is 582913' });
    expect(result.body).toEqual({
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
  });

  it('accepts numbers where Okta’s examples send them (phoneNumber and otpCode as JSON numbers)', async () => {
    const request = withOtp(telephonyRequest(), '604217', '+14155550143');
    request.data.messageProfile.phoneNumber = 14155550143;
    request.data.messageProfile.otpCode = 604217;
    const result = await post('telephony', request);
    expect(result.status).toBe(200);
    expect(result.body).toHaveProperty('commands.0.value.0.status', 'SUCCESSFUL');
  });

  it('a primary that hangs: the secondary sends it', async () => {
    primary.setMode('slow', 30_000);
    const before = secondary.sent.length;
    const result = await post('telephony', withOtp(telephonyRequest(), '730154', '+14155550144'));
    expect(result.body).toHaveProperty('commands.0.value.0.provider', 'secondary');
    expect(secondary.sent.length).toBe(before + 1);
  });

  it('every provider hanging: the fallback error inside the budget, so Okta sends the OTP itself', async () => {
    primary.setMode('slow', 30_000);
    secondary.setMode('slow', 30_000);
    const result = await post('telephony', withOtp(telephonyRequest(), '918273', '+14155550145'));
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
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
  });

  it('a country without a route falls back to Okta’s providers', async () => {
    const result = await post('telephony', withOtp(telephonyRequest(), '246810', '+447700900123'));
    expect(result.body).toHaveProperty('error.errorCauses.0.reason', 'NO_PROVIDER');
  });

  it('SMS pumping: the fourth OTP to one number within the window is refused with FAILED', async () => {
    const phone = '+14155550177';
    const statuses = [];
    for (const otp of ['111222', '333444', '555666', '777888']) {
      const result = await post('telephony', withOtp(telephonyRequest(), otp, phone));
      statuses.push((result.body as { commands: { value: { status: string }[] }[] }).commands[0]?.value[0]?.status);
    }
    expect(statuses).toEqual(['SUCCESSFUL', 'SUCCESSFUL', 'SUCCESSFUL', 'FAILED']);
  });

  it('a request without a phone number is a 400 naming the field, not echoing the OTP', async () => {
    const request = withOtp(telephonyRequest(), '135792') as unknown as {
      data: { messageProfile: Record<string, unknown> };
    };
    delete request.data.messageProfile.phoneNumber;
    const result = await post('telephony', request);
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body)).toContain('data.messageProfile.phoneNumber');
    expect(JSON.stringify(result.body)).not.toContain('135792');
  });

  it('a wrong secret is a 401 and sends nothing', async () => {
    const before = primary.received();
    const result = await postInline(gateway.url, 'telephony', withOtp(telephonyRequest(), '864209'), {
      authorization: 'wrong',
    });
    expect(result.status).toBe(401);
    expect(primary.received()).toBe(before);
  });
});

describe('POST /okta/inline/password-import', () => {
  it('the fixture’s password against its legacy scrypt hash: the documented VERIFIED command', async () => {
    const result = await post('password-import', passwordRequest());
    expect(result.status).toBe(200);
    expect(result.body).toEqual(fixture('okta/inline-password-import-response.json'));
  });

  it('a wrong password, or a login without a legacy hash: UNVERIFIED', async () => {
    const wrong = passwordRequest();
    wrong.data.context.credential.password = 'Wr0ng-H0rse-Battery!';
    PASSWORDS.push(wrong.data.context.credential.password);
    const unknown = passwordRequest();
    unknown.data.context.credential.username = 'nobody@acme-demo.example';
    for (const request of [wrong, unknown]) {
      const result = await post('password-import', request);
      expect(result.body).toEqual({
        commands: [{ type: 'com.okta.action.update', value: { credential: 'UNVERIFIED' } }],
      });
    }
  });

  it('a request without a username is a 400 naming the field, not echoing the password', async () => {
    const request = passwordRequest() as unknown as { data: { context: { credential: Record<string, unknown> } } };
    request.data.context.credential.password = 'Leak-Me-If-You-Can-42';
    PASSWORDS.push('Leak-Me-If-You-Can-42');
    delete request.data.context.credential.username;
    const result = await post('password-import', request);
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body)).toContain('data.context.credential.username');
    expect(JSON.stringify(result.body)).not.toContain('Leak-Me-If-You-Can-42');
  });
});

describe('secrets stay out of logs and audit records', () => {
  it('no OTP and no password in any log line or audit record written while the hooks ran', async () => {
    // The framework waits a bounded time for its audit writes: give the last ones a moment, then read them all back.
    let records: AuditRecord[] = [];
    for (let i = 0; i < 20; i++) {
      records = await audit.byTime(started, new Date(Date.now() + 1000).toISOString(), { limit: 1000 });
      if (records.filter((r) => r.kind === 'inline.decision').length >= 12) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const decisions = records.filter((r) => r.kind === 'inline.decision');
    // The capture is real: the handlers did log (Powertools, DEBUG) and audit each answered request.
    expect(written.join('')).toContain('inline hook answered');
    expect(decisions.length).toBeGreaterThanOrEqual(12);
    expect(decisions.some((r) => r.detail?.outcome === 'sent' && typeof r.detail?.numberHash === 'string')).toBe(true);
    expect(decisions.some((r) => r.detail?.outcome === 'VERIFIED')).toBe(true);

    const everything = [...written, ...records.map((r) => JSON.stringify(r))].join('\n');
    expect(OTPS.length).toBeGreaterThanOrEqual(10);
    for (const otp of OTPS) {
      const at = everything.indexOf(otp);
      expect(at === -1 ? '' : everything.slice(Math.max(0, at - 300), at + 100), `OTP ${otp} leaked`).toBe('');
    }
    for (const password of PASSWORDS) expect(everything, 'a password leaked').not.toContain(password);
    // Nor a full phone number (only a hash and the last two digits are kept).
    expect(everything).not.toContain('4155550142');
  });
});
