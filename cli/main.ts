import { Command, CommanderError, Help, type Option } from 'commander';
import * as commands from './commands.ts';
import { describeError } from './output.ts';
import { TARGET_ENV } from './target.ts';

/** A command group: adds its command(s) to the program. */
export type CommandGroup = (program: Command) => void;

const TARGETS = `
Targets:
  Commands act on the local stack that npm start is running, found through .hookpilot/local-stack.json.
  For a deployed stack, name it with the stack's outputs:
    --url <ApiUrl>            or ${TARGET_ENV.url.padEnd(24)}deliver, verify, approvals, grants
    --table <AuditTableName>  or ${TARGET_ENV.table.padEnd(24)}audit, eval --from-audit, calibrate --from-audit (with your AWS credentials)
    --region <region>         or ${TARGET_ENV.region.padEnd(24)}with --table
    --token <access token>    or HOOKPILOT_TOKEN          approvals, grants: an approver's Okta access token
  act, sim and approvals login work on the local stack only.

Output:
  --json on every command whose output a script may read: one JSON document on stdout.
  Errors: one line on stderr (hookpilot: …) and exit status 1; HOOKPILOT_DEBUG=1 adds the stack trace.`;

/** The `hookpilot` program with every command group. */
export function createProgram(): Command {
  const program = new Command('hookpilot')
    .description('hookpilot: Okta hook middleware. Commands for trying it locally and inspecting what it did.')
    // Usage mistakes read like every other error: one line, then where to look.
    .configureOutput({ outputError: (text, write) => write(`hookpilot: ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureHelp({
      // Commander does not say which options are required; every required option's help does.
      optionDescription(this: Help, option: Option) {
        const text = Help.prototype.optionDescription.call(this, option);
        return option.mandatory ? `${text} (required)`.trim() : text;
      },
    })
    .addHelpText('after', TARGETS);
  for (const register of Object.values(commands) as CommandGroup[]) register(program);
  return program;
}

/** Runs the CLI and returns its exit status. Never throws, never prints a stack trace (unless HOOKPILOT_DEBUG is set). */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    await createProgram().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander has printed its message (or the help)
    process.stderr.write(`hookpilot: ${describeError(error)}\n`);
    if (process.env.HOOKPILOT_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
