import { describe, expect, it } from 'vitest';
import { checkSameOrigin } from '../../lambda/console/security.ts';
import type { HttpRequest } from '../../lambda/ports.ts';

/**
 * Found by the browser tests: the console's pages send no referrer, so Chromium posts their forms with `Origin: null`
 * (and `Sec-Fetch-Site: same-origin`). Those must pass; a "null" origin from anywhere else must not.
 */
describe('checkSameOrigin and Origin: null', () => {
  const origin = new URL('https://approvals.acme.example');
  const request = (headers: Record<string, string>): HttpRequest => ({
    method: 'POST',
    path: '/console/approvals/apr_1/decision',
    headers,
    body: '',
  });

  it('accepts the console’s own form post as Chromium sends it under Referrer-Policy: no-referrer', () => {
    expect(() => checkSameOrigin(request({ origin: 'null', 'sec-fetch-site': 'same-origin' }), origin)).not.toThrow();
  });

  it('refuses a "null" origin the browser does not vouch for as same-origin', () => {
    expect(() => checkSameOrigin(request({ origin: 'null' }), origin)).toThrow(/Origin does not match/);
    expect(() => checkSameOrigin(request({ origin: 'null', 'sec-fetch-site': 'none' }), origin)).toThrow(/Origin/);
    for (const site of ['cross-site', 'same-site']) {
      expect(() => checkSameOrigin(request({ origin: 'null', 'sec-fetch-site': site }), origin)).toThrow(
        /Sec-Fetch-Site/,
      );
    }
  });
});
