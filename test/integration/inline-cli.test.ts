import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../lib/root.ts';
import { LOCAL_DEFAULT_INLINE_HOOK_SECRET } from '../../local/resources.ts';
import { freshResources, useLocalEnv } from '../support/emulators.ts';
import { fixture } from '../support/fixtures.ts';
import { startInlineGateway } from '../support/inline.ts';

/** `hookpilot inline <type>` as a user runs it, against the inline functions behind the local gateway. */
let gateway: { url: string; stop: () => Promise<void> };

beforeAll(async () => {
  useLocalEnv(await freshResources(), {
    HOOKPILOT_INLINE_HOOK_SECRET: LOCAL_DEFAULT_INLINE_HOOK_SECRET,
    HOOKPILOT_INLINE_CONFIG_FILE: join(ROOT, 'policy', 'inline-hooks.json'),
  });
  gateway = await startInlineGateway();
});

afterAll(async () => {
  await gateway?.stop();
});

/** Asynchronous: the gateway answering the CLI runs in this process, so its event loop must stay free. */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['bin/hookpilot.mjs', ...args],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      },
      (error, stdout, stderr) =>
        done({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('hookpilot inline', () => {
  it('sends the default request of a type with the local secret and prints Okta’s answer as JSON', async () => {
    const result = await cli('inline', 'registration', '--url', gateway.url, '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ type: 'registration', status: 200, url: `${gateway.url}/okta/inline/registration` });
    expect(out.body).toEqual(fixture('okta/inline-registration-ssr-response.json'));
  });

  it('sends a request file given with --file', async () => {
    const file = join(ROOT, 'cli', 'inline-requests', 'registration-progressive.json');
    const out = JSON.parse(
      (await cli('inline', 'registration', '--file', file, '--url', gateway.url, '--json')).stdout,
    );
    expect(out.body).toEqual(fixture('okta/inline-registration-progressive-response.json'));
  });

  it('prints the status line and the answer for people', async () => {
    const result = await cli('inline', 'token', '--url', gateway.url);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^POST http:\/\/127\.0\.0\.1:\d+\/okta\/inline\/token → 200 \(\d+ ms; Okta waits at most 3000 ms\)\n/,
    );
    expect(result.stdout).toContain('com.okta.access.patch');
  });

  it('refuses an unknown type, a missing file and a wrong secret in one line, exit 1', async () => {
    const unknown = await cli('inline', 'sms', '--url', gateway.url);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(
      /^hookpilot: .*must be one of telephony, password-import, registration, token, saml, user-import/,
    );
    const missing = await cli('inline', 'token', '--file', 'nope.json', '--url', gateway.url);
    expect([missing.status, missing.stderr.trim()]).toEqual([1, 'hookpilot: cannot read nope.json: no such file']);
    const wrong = await cli('inline', 'saml', '--secret', 'not-the-secret-0123456789', '--url', gateway.url);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toContain('→ 401');
    expect(wrong.stderr.trim()).toBe('hookpilot: the saml hook answered 401');
    for (const r of [unknown, missing, wrong]) expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
