import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { approvalsConsole, type ConsoleDeps } from '../../lambda/console/app.ts';
import { escapeHtml, html, raw } from '../../lambda/console/html.ts';
import { createNameResolver } from '../../lambda/console/names.ts';
import {
  COOKIES,
  checkCsrfToken,
  checkSameOrigin,
  parseCookies,
  safeReturnPath,
  securityHeaders,
  setCookie,
  styleHashOf,
} from '../../lambda/console/security.ts';
import {
  durationChoices,
  durationText,
  listPage,
  relativeTime,
  requestPage,
  STYLE_HASH,
  STYLESHEET,
  type Viewer,
  whyNot,
} from '../../lambda/console/views.ts';
import { DEFAULT_POLICY } from '../../lambda/domain/policy-config.ts';
import { ConfigError, ForbiddenError } from '../../lambda/errors.ts';
import { lazySignIn } from '../../lambda/okta/oidc-client.ts';
import { approvalView } from '../../lambda/pipeline/approvals-api.ts';
import type { HttpRequest } from '../../lambda/ports.ts';
import { pendingRecord } from '../support/approval-fakes.ts';

const HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>", '`tick`'];

describe('escaping', () => {
  it('escapes the five HTML metacharacters and the backtick', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });

  test.prop([fc.string({ unit: 'grapheme' })])('nothing escaped contains a raw < > " \' or `', (text) => {
    expect(escapeHtml(text)).not.toMatch(/[<>"'`]/);
    // … and it reads back as the same text.
    const back = escapeHtml(text)
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&#96;', '`')
      .replaceAll('&amp;', '&');
    expect(back).toBe(text);
  });

  it('the html template escapes every value by default, nests templates, joins arrays, skips nullish/false', () => {
    const items = HOSTILE.map((h) => html`<li>${h}</li>`);
    const out = html`<ul title="${HOSTILE[1]}">${items}${null}${undefined}${false}${0}</ul>`.value;
    expect(out).not.toMatch(/<script|<img|<svg/);
    expect(out).toBe(
      '<ul title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"><li>&lt;script&gt;alert(1)&lt;/script&gt;</li><li>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</li><li>&#39;&gt;&lt;svg onload=alert(1)&gt;</li><li>&#96;tick&#96;</li>0</ul>',
    );
    expect(html`${raw('<b>ok</b>')}`.value).toBe('<b>ok</b>');
  });
});

describe('headers and cookies', () => {
  it('a strict CSP: nothing by default, no script at all, the stylesheet by its hash, no framing', () => {
    const headers = securityHeaders(STYLE_HASH);
    expect(headers['content-security-policy']).toBe(
      `default-src 'none'; style-src '${styleHashOf(STYLESHEET)}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(headers['content-security-policy']).not.toMatch(/script-src|unsafe/);
    expect(headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
    });
  });

  it('cookies are __Host-, HttpOnly, Secure, SameSite=Lax, Path=/', () => {
    expect(setCookie(COOKIES.session, 'abc', 3599.7)).toBe(
      '__Host-hookpilot-session=abc; Path=/; Max-Age=3599; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it('parses cookies, ignoring anything that is not a plain token', () => {
    expect(parseCookies('a=1; __Host-hookpilot-session=AbC_-9; bad=<x>; =nope; c')).toEqual({
      a: '1',
      '__Host-hookpilot-session': 'AbC_-9',
    });
    expect(parseCookies(undefined)).toEqual({});
  });

  it('a return path is only ever a console page of this origin', () => {
    expect(safeReturnPath('/console/approvals/apr_1?x=1')).toBe('/console/approvals/apr_1?x=1');
    for (const bad of [
      'https://evil.example/console',
      '//evil.example/console',
      '/console//evil.example',
      '/console/../okta/events',
      '/\\evil.example',
      '/health',
      'javascript:alert(1)',
      '/console/\n',
      undefined,
    ]) {
      expect(safeReturnPath(bad)).toBe('/console/approvals');
    }
  });
});

describe('CSRF', () => {
  const origin = new URL('https://approvals.acme.example');
  const request = (headers: Record<string, string>): HttpRequest => ({
    method: 'POST',
    path: '/console/logout',
    headers,
    body: '',
  });

  it('refuses another Origin and any Sec-Fetch-Site but same-origin', () => {
    expect(() => checkSameOrigin(request({ origin: 'https://evil.example' }), origin)).toThrow(ForbiddenError);
    expect(() => checkSameOrigin(request({ 'sec-fetch-site': 'cross-site' }), origin)).toThrow(/Sec-Fetch-Site/);
    expect(() => checkSameOrigin(request({ 'sec-fetch-site': 'same-site' }), origin)).toThrow(/Sec-Fetch-Site/);
    expect(() =>
      checkSameOrigin(request({ origin: origin.origin, 'sec-fetch-site': 'same-origin' }), origin),
    ).not.toThrow();
  });

  it('the synchronizer token must be present and equal', () => {
    expect(() => checkCsrfToken(undefined, 'abc')).toThrow(/no CSRF token/);
    expect(() => checkCsrfToken('abd', 'abc')).toThrow(/does not match/);
    expect(() => checkCsrfToken('ab', 'abc')).toThrow(/does not match/);
    expect(() => checkCsrfToken('abc', 'abc')).not.toThrow();
  });
});

describe('views', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const viewer: Viewer = {
    session: {
      idHash: 'h',
      userId: '00uApprover000000001',
      login: 'ann@acme.example',
      groups: ['it-approvers'],
      tokenId: 'AT.1',
      csrfToken: 'csrf-token',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3600_000).toISOString(),
      flash: { kind: 'error', text: '<b>Not recorded</b>' },
    },
  };

  it('relative times and durations in words', () => {
    expect(relativeTime(new Date(now.getTime() + 3 * 3600_000), now)).toBe('in 3 h');
    expect(relativeTime(new Date(now.getTime() - 2 * 3600_000), now)).toBe('2 h ago');
    expect(relativeTime(new Date(now.getTime() + 5 * 60_000), now)).toBe('in 5 min');
    expect(relativeTime(new Date(now.getTime() - 3 * 86_400_000), now)).toBe('3 d ago');
    expect(relativeTime(now, now)).toBe('just now');
    expect(durationText(8 * 3600)).toBe('8 h');
    expect(durationText(36 * 3600 + 60)).toBe('1 d 12 h 1 min');
    expect(durationChoices(8 * 3600)).toEqual([28_800, 14_400, 3600, 900]);
  });

  it('the request page escapes every attacker-controlled field, labels its controls and says why a button is off', () => {
    const record = {
      ...pendingRecord({ now, userId: '00uSubject0000000001' }),
      rationale: HOSTILE[0] as string,
      evidence: HOSTILE,
      reason: HOSTILE[1] as string,
      decisions: [],
    };
    const subject = { ...viewer.session, userId: '00uSubject0000000001' };
    const view = approvalView(record, subject, DEFAULT_POLICY, now);
    const page = requestPage(
      { session: subject },
      {
        view,
        names: new Map([
          [
            'user:00uSubject0000000001',
            { kind: 'user', id: '00uSubject0000000001', label: HOSTILE[1] as string, resolved: true },
          ],
        ]),
        history: [],
        now,
      },
    );
    expect(page).not.toMatch(/<script|<img|<svg/);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<main id="main">');
    expect(page).toContain('<label for="reason">Reason</label>');
    expect(page).toContain('&lt;b&gt;Not recorded&lt;/b&gt;');
    expect(page).toContain('You are the subject of this request');
    expect(page).toMatch(/value="approve" class="approve" disabled aria-describedby="why-not">Approve</);
  });

  it('why a button is off: already decided by whom, expired how long ago', () => {
    const decided = {
      ...pendingRecord({ now }),
      state: 'approved' as const,
      decidedAt: new Date(now.getTime() - 3600_000).toISOString(),
      decisions: [
        {
          outcome: 'approve' as const,
          approverId: '00uOther000000000001',
          approverLogin: 'bob@acme.example',
          qualifyingGroups: ['it-approvers'],
          payloadHash: 'x',
          at: new Date(now.getTime() - 3600_000).toISOString(),
        },
      ],
    };
    expect(whyNot(approvalView(decided, viewer.session, DEFAULT_POLICY, now), now)).toBe(
      'Already decided: approved by bob@acme.example 1 h ago (now approved).',
    );
    const expired = pendingRecord({ now: new Date(now.getTime() - 3 * 3600_000), expiresInMs: 3600_000 });
    expect(whyNot(approvalView(expired, viewer.session, DEFAULT_POLICY, now), now)).toMatch(/^Expired 2 h ago \(/);
  });

  it('the list links each request by the action in words, with names', () => {
    const record = pendingRecord({ now, userId: '00uSubject0000000001' });
    const page = listPage(viewer, {
      rows: [{ record, description: 'add user 00uSubject0000000001 to group 00gGroup00000000001' }],
      names: new Map([
        [
          'user:00uSubject0000000001',
          { kind: 'user', id: '00uSubject0000000001', label: 'Sam Subject (sam@x)', resolved: true },
        ],
        [
          'group:00gGroup00000000001',
          { kind: 'group', id: '00gGroup00000000001', label: 'Finance <admins>', resolved: true },
        ],
      ]),
      filters: { state: 'pending' },
      paged: false,
      filteredOut: 0,
      now,
    });
    expect(page).toContain(`>add user Sam Subject (sam@x) to group “Finance &lt;admins&gt;”</a>`);
    expect(page).toContain('<label for="f-state">State</label>');
    expect(page).toContain('<option value="pending" selected>pending</option>');
  });
});

describe('names', () => {
  it('resolves users, groups and apps, caches what Okta answered, and leaves ids it could not name', async () => {
    let calls = 0;
    const resolver = createNameResolver({
      getUser: async (id) => {
        calls += 1;
        return id === '00uA'
          ? { id, status: 'ACTIVE', profile: { login: 'a@x', firstName: 'Ann', lastName: 'A' } }
          : undefined;
      },
      getGroup: async (id) => ({ id, type: 'OKTA_GROUP', name: 'Finance' }),
      getApp: async () => {
        throw new Error('Okta is down');
      },
    });
    const names = await resolver.resolve([
      { kind: 'user', id: '00uA' },
      { kind: 'user', id: '00uB' },
      { kind: 'group', id: '00gG' },
      { kind: 'app', id: '0oaP' },
    ]);
    expect(names.get('user:00uA')).toMatchObject({ label: 'Ann A (a@x)', resolved: true });
    expect(names.get('user:00uB')).toMatchObject({ label: '00uB', resolved: false });
    expect(names.get('group:00gG')).toMatchObject({ label: 'Finance', resolved: true });
    expect(names.get('app:0oaP')).toMatchObject({ label: '0oaP', resolved: false });
    await resolver.resolve([{ kind: 'user', id: '00uA' }]);
    expect(calls).toBe(2);
  });

  it('never waits longer than its budget', async () => {
    const resolver = createNameResolver(
      {
        getUser: () => new Promise(() => undefined),
        getGroup: async () => undefined,
        getApp: async () => undefined,
      },
      { budgetMs: 20 },
    );
    const names = await resolver.resolve([{ kind: 'user', id: '00uSlow' }]);
    expect(names.get('user:00uSlow')).toMatchObject({ resolved: false });
  });
});

describe('routing', () => {
  const deps = {
    sessions: { getSession: async () => undefined },
    policy: DEFAULT_POLICY,
    clock: () => new Date(),
  } as unknown as ConsoleDeps;
  const console = approvalsConsole(deps);
  const get = (path: string, method = 'GET') =>
    console({ method, path, headers: { host: '127.0.0.1:8787' }, body: undefined });

  it('/console and /console/ go to the list; a page without a session goes to sign-in and back', async () => {
    expect(await get('/console')).toMatchObject({ status: 303, headers: { location: '/console/approvals' } });
    expect(await get('/console/')).toMatchObject({ status: 303, headers: { location: '/console/approvals' } });
    expect(await get('/console/approvals/apr_1')).toMatchObject({
      status: 303,
      headers: { location: '/console/login?return=%2Fconsole%2Fapprovals%2Fapr_1' },
    });
  });

  it('a console without its sign-in settings answers a misconfigured page (read on first use, not at start-up)', async () => {
    let created = 0;
    const misconfigured = approvalsConsole({
      ...deps,
      oidc: lazySignIn(() => {
        created += 1;
        throw new ConfigError('HOOKPILOT_CONSOLE_CLIENT_ID is not set');
      }),
    });
    expect(created).toBe(0);
    const response = await misconfigured({
      method: 'GET',
      path: '/console/login',
      headers: { host: 'localhost:8787' },
      body: undefined,
    });
    expect(response.status).toBe(500);
    expect(String(response.body)).toContain('The console is misconfigured; see its logs.');
    expect(String(response.body)).not.toContain('HOOKPILOT_CONSOLE_CLIENT_ID');
  });

  it('wrong methods are 405 with Allow, unknown pages 404, a non-loopback plain-http host is refused', async () => {
    const wrong = await get('/console/approvals', 'DELETE');
    expect(wrong).toMatchObject({ status: 405, headers: { allow: 'GET' } });
    expect((await get('/console/nowhere')).status).toBe(404);
    const remote = await console({
      method: 'GET',
      path: '/console/approvals',
      headers: { host: 'evil.example' },
      body: undefined,
    });
    expect(remote.status).toBe(500);
    expect(String(remote.body)).toContain('misconfigured');
  });
});
