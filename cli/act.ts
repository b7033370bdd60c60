import { randomUUID } from 'node:crypto';
import { type Command, InvalidArgumentError } from 'commander';
import type { ActionMessage } from '../lambda/domain/action-message.ts';
import { ACTION_TYPES, ActionSchema, describeAction, riskOf } from '../lambda/domain/catalog.ts';
import { SqsQueue } from '../lambda/store/sqs-queue.ts';
import { localSqs } from '../local/resources.ts';
import { CliError, print, printJson } from './output.ts';
import { localStack } from './target.ts';

/**
 * `hookpilot act <type> …`: queue one catalogued action for the executor, by hand (origin `manual`). The executor then
 * does what it does for any approved action: re-read the user, check, act once, audit.
 */
const pairs = (value: string, previous: Record<string, string | null> = {}) => {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected name=value');
  const raw = value.slice(at + 1);
  return { ...previous, [value.slice(0, at)]: raw === '' ? null : raw };
};

const DURATION = /^(\d+)(m|h|d)$/;

export function act(program: Command): void {
  program
    .command('act')
    .description(`Queue an action for the local executor. Types: ${ACTION_TYPES.join(', ')}`)
    .argument('<type>', 'an action type from the catalog')
    .requiredOption('--user <id>', 'the Okta user id')
    .option('--group <id>', 'for group actions')
    .option('--app <id>', 'for app actions')
    .option('--role <type>', 'for role actions, e.g. HELP_DESK_ADMIN')
    .option('--set <name=value>', 'for user.update_profile (repeatable; an empty value clears it)', pairs)
    .option('--expires-in <duration>', 'a time-bound grant: e.g. 30m, 8h, 7d (the inverse is due then)')
    .option('--reason <text>', 'why (kept in the audit trail)', 'queued by hand with npx hookpilot act')
    .option(
      '--yes',
      'confirm a high- or critical-risk action (it runs without the policy: you are the human in the loop)',
    )
    .option('--json', 'print the queued message as JSON')
    .action(
      async (
        type: string,
        o: {
          user: string;
          group?: string;
          app?: string;
          role?: string;
          set?: Record<string, string | null>;
          expiresIn?: string;
          reason: string;
          json?: boolean;
          yes?: boolean;
        },
      ) => {
        const params = Object.fromEntries(
          Object.entries({
            userId: o.user,
            groupId: o.group,
            appId: o.app,
            roleType: o.role,
            attributes: o.set,
          }).filter(([, v]) => v !== undefined),
        );
        const parsed = ActionSchema.safeParse({ type, params });
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new CliError(`not a valid action: ${issue?.path.join('.') || type}: ${issue?.message ?? 'invalid'}`);
        }
        const risk = riskOf(parsed.data);
        if ((risk === 'high' || risk === 'critical') && !o.yes) {
          throw new CliError(
            `${describeAction(parsed.data)} is ${risk} risk, and an action queued by hand skips the policy: add --yes to queue it`,
          );
        }
        let expiresAt: string | undefined;
        if (o.expiresIn) {
          const m = DURATION.exec(o.expiresIn);
          if (!m) throw new CliError('--expires-in must look like 30m, 8h or 7d');
          const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
          expiresAt = new Date(Date.now() + Number(m[1]) * unit).toISOString();
        }
        const actionId = `manual-${randomUUID()}`;
        const message: ActionMessage = {
          schemaVersion: 1,
          actionId,
          action: parsed.data,
          origin: { kind: 'manual', correlationId: actionId },
          decidedAt: new Date().toISOString(),
          reason: o.reason,
          ...(expiresAt ? { expiresAt } : {}),
        };
        const state = localStack();
        const queueUrl = state.resources.queues.actionsQueue?.url;
        if (!queueUrl) throw new CliError('the running local stack has no actions queue; restart it (npm start)');
        const sqs = localSqs(state.endpoints.sqs);
        try {
          await new SqsQueue<ActionMessage>(sqs, queueUrl, 'actions').send([{ id: actionId, body: message }]);
        } finally {
          sqs.destroy();
        }
        if (o.json) return printJson(message);
        print(`queued ${actionId}: ${describeAction(parsed.data)} (risk ${risk})`);
        print(`follow it: npx hookpilot audit --event ${actionId}`);
      },
    );
}
