import { OktaApiError } from '@okta/okta-sdk-nodejs';
import { describe, expect, it } from 'vitest';
import { classifyOktaError } from '../../lambda/okta/okta-sdk-adapter.ts';

const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name.toLowerCase()] ?? null });
const apiError = (status: number, errorCode: string, extra: Record<string, string> = {}) =>
  new OktaApiError(
    'https://acme.okta.com/api/v1/users/x',
    status,
    { errorCode, errorSummary: `summary of ${errorCode}`, errorId: 'oae123', errorCauses: [] },
    headers({ 'x-okta-request-id': 'req-1', ...extra }) as never,
  );

describe('classifyOktaError', () => {
  it.each([
    [429, 'E0000047', 'rate_limited'],
    [409, 'E0000062', 'already_done'],
    [409, 'E0000090', 'already_done'],
    [403, 'E0000016', 'already_done'],
    [403, 'E0000038', 'invalid_state'],
    [403, 'E0000117', 'invalid_state'],
    [404, 'E0000007', 'not_found'],
    [403, 'E0000006', 'forbidden'],
    [401, 'E0000011', 'misconfigured'],
    [409, 'E0000999', 'conflict'],
    [400, 'E0000001', 'invalid'],
    [500, 'E0000009', 'transient'],
    [503, 'E0000009', 'transient'],
  ])('%i %s → %s', (status, code, kind) => {
    const error = classifyOktaError(apiError(status, code), 'test');
    expect(error.kind).toBe(kind);
    expect(error.details).toMatchObject({ status, errorCode: code, requestId: 'req-1', errorId: 'oae123' });
    expect(error.message).toMatch(new RegExp(`^test: Okta answered ${status} ${code}`));
    expect(error.message).not.toContain('summary of'); // Okta's summaries may echo input: not in our messages
  });

  it('reads when a 429 resets', () => {
    const error = classifyOktaError(apiError(429, 'E0000047', { 'x-rate-limit-reset': '1900000000' }), 'test');
    expect(error.details.retryAt?.toISOString()).toBe(new Date(1_900_000_000_000).toISOString());
  });

  it('treats network errors, timeouts and the unexpected as transient', () => {
    for (const error of [
      Object.assign(new Error('request to https://x failed, reason: connect ECONNREFUSED'), { name: 'FetchError' }),
      Object.assign(new Error('network timeout at: https://x'), { name: 'FetchError' }),
      new TypeError('boom'),
    ]) {
      expect(classifyOktaError(error, 'test', 'req-9')).toMatchObject({
        kind: 'transient',
        details: { requestId: 'req-9' },
      });
    }
  });

  it('recognises the SDK giving up on a 429 whose reset is beyond its time budget', () => {
    const error = new Error('HTTP 429 retry delay would exceed okta.client.rateLimit.requestTimeout');
    expect(classifyOktaError(error, 'test').kind).toBe('rate_limited');
  });
});
