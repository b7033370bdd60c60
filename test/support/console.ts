import { expect } from 'vitest';

/**
 * Signing in to the approvals console over plain HTTP, the way a browser does, with every redirect followed by hand:
 * `/console/login` → the Okta simulator's authorization endpoint (its LOCAL-ONLY sign-in page) → the user picked →
 * `/console/callback` with the code → the page asked for, with the session cookie. Each hop is checked.
 */

/** One cookie jar entry per name, from `Set-Cookie` headers. */
export function cookiesFrom(response: Response, jar: Map<string, string> = new Map()): Map<string, string> {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (!pair || eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '' || /max-age=0/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return jar;
}

export const cookieHeader = (jar: Map<string, string>): string =>
  [...jar.entries()].map(([k, v]) => `${k}=${v}`).join('; ');

export interface ConsoleBrowser {
  readonly jar: Map<string, string>;
  /** A GET with the jar's cookies (no redirect followed). */
  get(path: string): Promise<Response>;
  /** A form POST from the console's own origin, with the jar's cookies (no redirect followed). */
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
}

export function consoleBrowser(baseUrl: string, jar: Map<string, string> = new Map()): ConsoleBrowser {
  const origin = new URL(baseUrl).origin;
  return {
    jar,
    async get(path) {
      const response = await fetch(`${baseUrl}${path}`, {
        redirect: 'manual',
        headers: { cookie: cookieHeader(jar), 'sec-fetch-site': 'same-origin' },
      });
      cookiesFrom(response, jar);
      return response;
    },
    async post(path, form, headers = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: cookieHeader(jar),
          'content-type': 'application/x-www-form-urlencoded',
          origin,
          'sec-fetch-site': 'same-origin',
          ...headers,
        },
        body: new URLSearchParams(form).toString(),
      });
      cookiesFrom(response, jar);
      return response;
    },
  };
}

/**
 * Signs `login` in through the simulator's sign-in page and returns the browser (its jar holds the session cookie) and
 * the page it landed on.
 */
export async function signIn(
  baseUrl: string,
  login: string,
  returnTo = '/console/approvals',
): Promise<{ browser: ConsoleBrowser; landed: Response; location: string }> {
  const browser = consoleBrowser(baseUrl);
  const start = await browser.get(`/console/login?return=${encodeURIComponent(returnTo)}`);
  expect(start.status).toBe(303);
  const authorize = new URL(start.headers.get('location') as string);
  expect(authorize.pathname).toMatch(/\/oauth2\/[^/]+\/v1\/authorize$/);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  // The simulator's sign-in page (LOCAL-ONLY): choosing a user posts the authorization request back with `login`.
  const signInPage = await fetch(authorize);
  expect(signInPage.status).toBe(200);
  const chosen = new URLSearchParams(authorize.searchParams);
  chosen.set('login', login);
  const consent = await fetch(`${authorize.origin}${authorize.pathname}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: chosen.toString(),
  });
  expect(consent.status).toBe(302);
  const callback = new URL(consent.headers.get('location') as string);
  expect(callback.pathname).toBe('/console/callback');
  const back = await browser.get(`${callback.pathname}${callback.search}`);
  if (back.status !== 303) {
    throw new Error(`the callback answered ${back.status}: ${(await back.text()).slice(0, 400)}`);
  }
  const location = back.headers.get('location') as string;
  const landed = await browser.get(location);
  return { browser, landed, location };
}

/** The CSRF token and payload hash a page's decision form carries. */
export function formFields(page: string): { csrf: string; payloadHash?: string } {
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('the page has no CSRF token');
  const payloadHash = /name="payloadHash" value="([0-9a-f]{64})"/.exec(page)?.[1];
  return { csrf, ...(payloadHash ? { payloadHash } : {}) };
}

/** The text of the page's `role="status"` region. */
export const statusText = (page: string): string => /<div role="status"[^>]*>([^<]*)<\/div>/.exec(page)?.[1] ?? '';
