import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from '../../lambda/redact.ts';

describe('redactSecrets', () => {
  it('drops secrets at any depth and keeps ids and ordinary data', () => {
    const input = {
      eventType: 'user.import.password',
      credential: { username: 'dana', password: 'hunter2' },
      headers: [{ authorization: 'SSWS 00abcdefgh' }],
      transaction: { detail: { requestApiTokenId: '00T5tok8Wq2RmN6xK1d7' } },
      note: 'Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig',
      apiKey: 'sk-123',
      clientSecret: 'abc',
      otpCode: '123456',
      tokenType: 'Bearer',
      usage: { promptTokens: 1200, totalTokens: 1300 },
      params: { oauthTokens: true },
    };
    expect(redactSecrets(input)).toEqual({
      eventType: 'user.import.password',
      credential: REDACTED,
      headers: [{ authorization: REDACTED }],
      transaction: { detail: { requestApiTokenId: '00T5tok8Wq2RmN6xK1d7' } },
      note: REDACTED,
      apiKey: REDACTED,
      clientSecret: REDACTED,
      otpCode: REDACTED,
      tokenType: 'Bearer',
      usage: { promptTokens: 1200, totalTokens: 1300 },
      params: { oauthTokens: true },
    });
  });

  const secretKey = fc.constantFrom(
    'password',
    'newPassword',
    'hookSecret',
    'accessToken',
    'Authorization',
    'api_key',
    'privateKey',
  );
  test.prop([fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 6 }), secretKey, fc.string({ minLength: 1 })])(
    'a value under a secret-looking key never survives, however deep',
    (path, key, secret) => {
      let value: Record<string, unknown> = { [key]: secret };
      for (const segment of [...path].reverse()) value = { [segment]: value };
      let redacted = redactSecrets(value) as Record<string, unknown>;
      for (const segment of path) redacted = redacted[segment] as Record<string, unknown>;
      expect(redacted).toEqual({ [key]: REDACTED });
    },
  );
});
