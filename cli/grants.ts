import type { Command } from 'commander';
import { ApprovalsCliError, ApprovalsClient, grantLines, TOKEN_ENV, tokenFor } from './approvals-client.ts';
import { positiveInt } from './options.ts';
import { CliError, print, printJson } from './output.ts';
import { hookpilotUrl, type TargetOptions, targetOptions } from './target.ts';

/**
 * `hookpilot grants list|end`: time-bound grants through the approvals API (`GET /grants`, `POST /grants/{id}/end`),
 * with the same approver token as `hookpilot approvals` (`approvals login --as …` locally, `--token` when deployed).
 */
interface Common extends TargetOptions {
  readonly token?: string;
  readonly json?: boolean;
}

function withCommon(command: Command): Command {
  targetOptions(command, 'url');
  return command
    .option('--token <jwt>', `an Okta access token (or ${TOKEN_ENV}; default: the one approvals login stored)`)
    .option('--json', "print the API's answer as JSON");
}

function client(options: Common): ApprovalsClient {
  const url = hookpilotUrl(options);
  return new ApprovalsClient(url, tokenFor(url, options.token));
}

async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApprovalsCliError) throw new CliError(error.message);
    throw error;
  }
}

export function grants(program: Command): void {
  const group = program
    .command('grants')
    .description('Time-bound access: list grants, end one early (as an approver signed in to Okta)');

  withCommon(
    group
      .command('list')
      .description('Grants, newest first: who holds what until when')
      .option('--user <userId>', "only this Okta user's grants")
      .option('--active', 'only grants not yet ended (active or being revoked)')
      .option('--limit <n>', 'at most n (1–100)', positiveInt(100), 50),
  ).action((o: Common & { user?: string; active?: boolean; limit: number }) =>
    run(async () => {
      const page = await client(o).grants({
        ...(o.user ? { user: o.user } : {}),
        ...(o.active ? { active: true } : {}),
        limit: o.limit,
      });
      if (o.json) return printJson(page);
      for (const line of grantLines(page.items)) print(line);
    }),
  );

  withCommon(
    group
      .command('end')
      .description('End a grant early: its revocation is queued now (a reason is required)')
      .argument('<grantId>')
      .requiredOption('--reason <text>', 'why'),
  ).action((id: string, o: Common & { reason: string }) =>
    run(async () => {
      const result = await client(o).endGrant(id, o.reason);
      if (o.json) return printJson(result);
      print(`ending: grant ${result.grant.grantId} is being revoked (its inverse is queued)`);
    }),
  );
}
