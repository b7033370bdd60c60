import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from '../errors.ts';
import type { HttpRequest } from '../ports.ts';

/**
 * The console's web security in one place: response headers (a strict CSP: no script at all, styles only from the
 * hash of the one stylesheet), cookies, random ids, the CSRF checks, and where a "return to" may point.
 */

/** Every console page's headers (the stylesheet's hash joins `style-src`). */
export function securityHeaders(styleHash: string): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'none'",
      `style-src '${styleHash}'`,
      "img-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // Not `no-referrer`: with it Chromium sends `Origin: null` on the console's own form POSTs, which the CSRF check
    // refuses. `same-origin` sends nothing to other sites (Okta, links in evidence) and a normal Origin to ourselves.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
}

/** `sha256-…` of a stylesheet, for the CSP. */
export const styleHashOf = (css: string): string => `sha256-${createHash('sha256').update(css).digest('base64')}`;

/** 32 random bytes, base64url: session ids, sign-in ids, CSRF tokens. */
export const randomToken = (): string => randomBytes(32).toString('base64url');

/** What the store keys a cookie value by: its SHA-256 (the table never holds a usable cookie). */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request's cookies (`cookie` header; the last of a repeated name wins, as browsers send the most specific last). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (/^[A-Za-z0-9_-]{1,64}$/.test(name) && /^[A-Za-z0-9_-]{1,128}$/.test(value)) out[name] = value;
  }
  return out;
}

/**
 * The console's cookies: `__Host-` names (so `Secure`, `Path=/`, no `Domain`: no subdomain can plant or read them),
 * `HttpOnly`, `Secure` everywhere — also for the local stack on http://127.0.0.1 and http://localhost, where Chromium
 * (checked with Chromium 156) and Firefox treat the loopback origin as secure and accept them. Safari does not: use
 * Chromium or Firefox with the local stack (docs/console.md).
 */
export const COOKIES = { session: '__Host-hookpilot-session', signIn: '__Host-hookpilot-signin' } as const;

/**
 * `SameSite=Lax`, not `Strict`: the session must arrive when an approver follows a link from Slack, Teams or an email
 * (a cross-site top-level GET), and the sign-in cookie when Okta redirects back to the callback. Lax still withholds
 * both from cross-site POSTs, and every POST also needs the CSRF token and a same-origin `Origin`/`Sec-Fetch-Site`.
 */
export function setCookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; Secure; SameSite=Lax`;
}

export const clearCookie = (name: string): string => setCookie(name, '', 0);

/**
 * The cross-site checks every POST passes before anything else: the browser says it is same-origin (`Sec-Fetch-Site`,
 * when sent) and the `Origin` (when sent) is the console's own. Then the synchronizer token must match the session's.
 * Any failure: 403 `csrf`, and nothing is read or changed.
 */
export function checkSameOrigin(request: HttpRequest, origin: URL): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw csrf(`the form was not submitted from this console (Sec-Fetch-Site: ${site.slice(0, 20)})`);
  }
  const from = request.headers.origin;
  if (from !== undefined && from !== origin.origin) {
    throw csrf('the form was not submitted from this console (Origin does not match)');
  }
}

export function checkCsrfToken(submitted: string | undefined, expected: string): void {
  if (!submitted) throw csrf('the form has no CSRF token: reload the page and submit it again');
  if (!safeEqual(submitted, expected)) {
    throw csrf('the form’s CSRF token does not match your session: reload the page and submit it again');
  }
}

const csrf = (message: string) => new ForbiddenError(`refused: ${message}`, 'csrf');

/**
 * A "return to" path after sign-in: only a console page of this origin (`/console/…`, no scheme, no host, no `//`,
 * no backslash, no control characters), else the list.
 */
export function safeReturnPath(value: string | undefined, fallback = '/console/approvals'): string {
  if (!value || value.length > 512) return fallback;
  if (!/^\/console(\/[A-Za-z0-9_.~%:@!$&'()*+,;=/?-]*)?$/.test(value)) return fallback;
  if (value.includes('//') || value.includes('/..') || value.includes('\\')) return fallback;
  return value;
}
