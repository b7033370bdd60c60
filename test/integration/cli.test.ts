import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../local/stack.ts';

/** The `hookpilot` CLI as a user runs it: bad input gets one clear line and a non-zero exit, and changes nothing. */
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bin/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });

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

  it('has --help for every command', () => {
    const help = cli('--help');
    expect(help.status).toBe(0);
    for (const command of ['deliver', 'verify', 'audit', 'sim', 'act']) expect(help.stdout).toContain(command);
  });
});
