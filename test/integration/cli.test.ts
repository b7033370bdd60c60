import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../../local/resources.ts';
import { ROOT } from '../../local/stack.ts';

/** The `hookpilot` CLI as a user runs it: bad input gets one clear line and a non-zero exit, and changes nothing. */
const cli = (...args: string[]) => cliWith({}, ...args);
const cliWith = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, ['bin/hookpilot.mjs', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    // nothing from this process's environment (e.g. HOOKPILOT_AUDIT_TABLE, AWS settings) picks the target
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });

/** A stack trace's frames ("    at fn (file:line)"). */
const STACK_FRAME = /^\s+at .+[:(]/m;

describe('hookpilot act', () => {
  it('asks for --yes before queuing a high- or critical-risk action by hand', () => {
    const result = cli('act', 'role.assign', '--user', '00u8new3Hs5LpQ2zY1d7', '--role', 'SUPER_ADMIN');
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'hookpilot: give user 00u8new3Hs5LpQ2zY1d7 the SUPER_ADMIN role is critical risk, and an action queued by hand skips the policy: add --yes to queue it',
    );
  });

  it('refuses what is not in the catalog, naming the problem', () => {
    const offCatalog = cli('act', 'org.disable_mfa', '--user', '00u8new3Hs5LpQ2zY1d7');
    expect(offCatalog.status).toBe(1);
    expect(offCatalog.stderr).toMatch(/^hookpilot: not a valid action: /);
    const badId = cli('act', 'group.add_member', '--user', '00u8new3Hs5LpQ2zY1d7', '--group', '../../admin');
    expect(badId.stderr).toMatch(/groupId: expected an Okta id/);
  });

  it('stops quietly when the reader of its output goes away (`hookpilot audit --recent --json | head`)', async () => {
    const child = spawn(process.execPath, ['bin/hookpilot.mjs', '--help'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // the reader is gone before the CLI writes its first line
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const status = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('has --help for every command', () => {
    const help = cli('--help');
    expect(help.status).toBe(0);
    for (const command of ['deliver', 'verify', 'audit', 'sim', 'act']) expect(help.stdout).toContain(command);
    for (const flag of ['--url', '--table', '--region', '--json']) expect(help.stdout).toContain(flag);
  });
});

describe('errors: one line, exit 1, never a stack trace', () => {
  it('sim create-user says which options are required, in its help and when one is missing', () => {
    const help = cli('sim', 'create-user', '--help');
    expect(help.stdout).toMatch(/--email <email>[^(]*\(required\)/);
    const missing = cli('sim', 'create-user', '--first', 'Ada', '--last', 'Lovelace');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe("hookpilot: required option '--email <email>' not specified\n(add --help for usage)\n");
  });

  it('a bad option value, an unknown command, a bad target', () => {
    for (const [args, line] of [
      [
        ['audit', '--limit', '0'],
        "hookpilot: option '--limit <n>' argument '0' is invalid. expected a positive whole number",
      ],
      [['nope'], "hookpilot: unknown command 'nope'"],
      [
        ['audit', '--event', 'a', '--user', 'b', '--table', 'audit'],
        'hookpilot: give one of --event, --user or --recent',
      ],
      [['audit', '--table', '../etc'], 'hookpilot: --table must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)'],
      [['verify', '--url', 'ftp://example.com'], 'hookpilot: --url must be an http(s) URL'],
      [
        ['deliver', 'no-such-file.json', '--url', 'http://127.0.0.1:9'],
        'hookpilot: cannot read no-such-file.json: no such file',
      ],
    ] as const) {
      const result = cli(...args);
      expect(result.status, args.join(' ')).toBe(1);
      expect(result.stderr.split('\n')[0], args.join(' ')).toBe(line);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
  });

  it('nothing answering at the target is told in one line', () => {
    const verify = cli('verify', '--url', 'http://127.0.0.1:9');
    expect(verify.status).toBe(1);
    expect(verify.stderr).toBe(
      'hookpilot: nothing answers at http://127.0.0.1:9/okta/events: is the local stack running (npm start)?\n',
    );
    const audit = cliWith(
      { ...emulatorEnv({ dynamodb: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9' }) },
      'audit',
      '--table',
      'hookpilot-audit',
    );
    expect(audit.status).toBe(1);
    expect(audit.stderr).toBe(
      'hookpilot: the audit store (DynamoDB) is unavailable: nothing answers there (ECONNREFUSED); if it is the local stack, is npm start still running?\n',
    );
    expect(audit.stderr).not.toMatch(STACK_FRAME);
  });
});
