import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../cli/main.ts';

/** Every command of `npx hookpilot`, e.g. `sim create-user`, with the command object. */
function leaves(command: Command, path: string[] = []): [string, Command][] {
  if (command.commands.length === 0) return [[path.join(' '), command]];
  return command.commands.flatMap((sub) => leaves(sub, [...path, sub.name()]));
}

const commands = leaves(createProgram());

describe('the hookpilot command tree', () => {
  it('has the command groups, each command reachable', () => {
    expect(commands.map(([name]) => name)).toEqual(
      expect.arrayContaining(['act', 'audit', 'deliver', 'verify', 'sim info', 'sim create-user', 'sim deliveries']),
    );
  });

  it.each(commands)('%s: the help says which options are required, and only those', (_name, command) => {
    const help = command.createHelp();
    for (const option of command.options) {
      expect(help.optionDescription(option).endsWith('(required)'), option.flags).toBe(option.mandatory);
    }
  });

  it.each(commands)('%s: has --json for scripts and a description', (_name, command) => {
    expect(command.options.map((o) => o.long)).toContain('--json');
    expect(command.description()).not.toBe('');
    for (const option of command.options) expect(option.description, option.flags).not.toBe('');
  });

  it('sim create-user requires --first, --last and --email (and says so)', () => {
    const create = commands.find(([name]) => name === 'sim create-user')?.[1];
    expect(create?.options.filter((o) => o.mandatory).map((o) => o.long)).toEqual(['--first', '--last', '--email']);
  });
});
