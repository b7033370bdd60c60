import type { Command } from 'commander';
import { type Common, client, run, withCommon } from './approvals.ts';
import { grantLines } from './approvals-client.ts';
import { positiveInt } from './options.ts';
import { print, printJson } from './output.ts';

/**
 * `hookpilot grants list|end`: time-bound grants through the approvals API (`GET /grants`, `POST /grants/{id}/end`),
 * with the same approver token as `hookpilot approvals` (`approvals login --as …` locally, `--token` when deployed).
 */

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
