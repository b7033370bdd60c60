import type { Command } from 'commander';
import { APPROVAL_STATES } from '../lambda/domain/approval.ts';
import { ApproverLoginError, localApproverToken } from '../local/approver-login.ts';
import {
  ApprovalsCliError,
  ApprovalsClient,
  forgetToken,
  listLines,
  parseDuration,
  saveToken,
  showLines,
  TOKEN_ENV,
  TOKEN_FILE,
  tokenFor,
} from './approvals-client.ts';
import { positiveInt } from './options.ts';
import { CliError, print, printJson } from './output.ts';
import { hookpilotUrl, localStack, type TargetOptions, targetOptions } from './target.ts';

/**
 * `hookpilot approvals list|show|approve|reject|login|logout`: decide approval requests through the approvals API, as
 * an approver signed in to Okta. Against the local stack, `login --as <login>` gets a simulated user's token from the
 * Okta simulator (LOCAL ONLY); against a deployed stack, pass an Okta access token with `--token` or HOOKPILOT_TOKEN.
 */
export interface Common extends TargetOptions {
  readonly token?: string;
  readonly json?: boolean;
}

/** The target and token options every approver command takes (`hookpilot grants` too). */
export function withCommon(command: Command): Command {
  targetOptions(command, 'url');
  return command
    .option('--token <jwt>', `an Okta access token (or ${TOKEN_ENV}; default: the one approvals login stored)`)
    .option('--json', "print the API's answer as JSON");
}

export function client(options: Common): ApprovalsClient {
  const url = hookpilotUrl(options);
  return new ApprovalsClient(url, tokenFor(url, options.token));
}

/** The CLI's one-line errors for what the approvals client raises. */
export async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApprovalsCliError || error instanceof ApproverLoginError) throw new CliError(error.message);
    throw error;
  }
}

export function approvals(program: Command): void {
  const group = program
    .command('approvals')
    .description('List, read and decide approval requests (as an approver signed in to Okta)');

  withCommon(
    group
      .command('list')
      .description('Approval requests, newest first (default: pending ones)')
      .option('--status <state>', `${APPROVAL_STATES.join(' | ')} | all`, 'pending')
      .option('--subject <userId>', 'only requests about this Okta user')
      .option('--limit <n>', 'at most n (1–100)', positiveInt(100), 50)
      .option('--cursor <cursor>', 'the next page (printed after a full page)'),
  ).action((o: Common & { status: string; subject?: string; limit: number; cursor?: string }) =>
    run(async () => {
      if (o.status !== 'all' && !(APPROVAL_STATES as readonly string[]).includes(o.status)) {
        throw new CliError(`--status must be one of ${APPROVAL_STATES.join(', ')} or all`);
      }
      const page = await client(o).list({
        ...(o.status !== 'all' ? { status: o.status } : {}),
        ...(o.subject ? { subject: o.subject } : {}),
        limit: o.limit,
        ...(o.cursor ? { cursor: o.cursor } : {}),
      });
      if (o.json) return printJson(page);
      for (const line of listLines(page.items)) print(line);
      if (page.cursor) print(`more: --cursor ${page.cursor}`);
    }),
  );

  withCommon(
    group.command('show').description('One request: the action in words, why, and its hash').argument('<id>'),
  ).action((id: string, o: Common) =>
    run(async () => {
      const view = await client(o).show(id);
      if (o.json) return printJson(view);
      for (const line of showLines(view)) print(line);
    }),
  );

  withCommon(
    group
      .command('approve')
      .description('Approve a request: shows what will run, then submits the hash of exactly that')
      .argument('<id>')
      .option('--reason <text>', 'why (required when the policy says so)')
      .option('--duration <duration>', 'approve-for-less: grant a time-bound action for less, e.g. 4h (never more)'),
  ).action((id: string, o: Common & { reason?: string; duration?: string }) =>
    run(async () => {
      const api = client(o);
      const view = await api.show(id);
      if (!o.json) for (const line of showLines(view)) print(line);
      if (!view.caller.mayApprove)
        throw new CliError(`not submitted: ${view.caller.reason ?? 'you may not approve it'}`);
      const result = await api.decide(id, {
        decision: 'approve',
        payloadHash: view.payloadHash,
        ...(o.reason ? { reason: o.reason } : {}),
        ...(o.duration ? { durationSeconds: parseDuration(o.duration) } : {}),
      });
      if (o.json) return printJson({ shown: view, result });
      print(
        result.queued
          ? `approved: ${view.description} is queued for execution (follow it: npx hookpilot audit --event ${view.approval.correlationId})`
          : `your approval is recorded; still required: ${result.stillRequired}`,
      );
    }),
  );

  withCommon(
    group
      .command('reject')
      .description('Reject a request (a reason is required)')
      .argument('<id>')
      .requiredOption('--reason <text>', 'why'),
  ).action((id: string, o: Common & { reason: string }) =>
    run(async () => {
      const api = client(o);
      const view = await api.show(id);
      const result = await api.decide(id, { decision: 'reject', payloadHash: view.payloadHash, reason: o.reason });
      if (o.json) return printJson({ shown: view, result });
      print(`rejected: ${view.description} will not run`);
    }),
  );

  group
    .command('login')
    .description('LOCAL ONLY: sign in as a simulated Okta user (a token from the Okta simulator of npm start)')
    .requiredOption('--as <login>', 'the simulated user, e.g. sarah.mitchell@acme-demo.example')
    .option('--json', 'print {login, userId, expiresAt, tokenFile} as JSON (never the token)')
    .action((o: { as: string; json?: boolean }) =>
      run(async () => {
        const state = localStack();
        const token = await localApproverToken({ simUrl: state.okta.orgUrl, simToken: state.okta.token, login: o.as });
        saveToken({
          accessToken: token.accessToken,
          expiresAt: token.expiresAt.toISOString(),
          login: o.as,
          userId: token.userId,
          url: hookpilotUrl({}),
          issuer: token.issuer,
        });
        const out = {
          login: o.as,
          userId: token.userId,
          expiresAt: token.expiresAt.toISOString(),
          tokenFile: TOKEN_FILE,
        };
        if (o.json) return printJson(out);
        print(`signed in (locally) as ${o.as} (${token.userId}) until ${out.expiresAt}; token kept in ${TOKEN_FILE}`);
      }),
    );

  group
    .command('logout')
    .description('Forget the token approvals login stored')
    .option('--json', 'print {signedOut, tokenFile} as JSON')
    .action((o: { json?: boolean }) => {
      forgetToken();
      if (o.json) return printJson({ signedOut: true, tokenFile: TOKEN_FILE });
      print('signed out');
    });
}
