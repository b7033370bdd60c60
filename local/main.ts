import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ENV } from '../lambda/config.ts';
import { loadPolicy } from '../lambda/domain/policy-config.ts';
import { ConfigError } from '../lambda/errors.ts';
import { INLINE_ENV } from '../lambda/okta/inline-config-env.ts';
import { EVENT_HOOK_PATH } from '../lib/manifest.ts';
import { bindHost, DEFAULT_HOST, HOST_ENV, isLoopback } from './bind.ts';
import { approverLines } from './console-info.ts';
import { runDemo } from './demo.ts';
import { LocalStackError } from './errors.ts';
import { DEFAULT_SIM_PORT } from './okta-sim/defaults.ts';
import { isStubMode, STUB_MODES, type StubMode } from './openai-stub/index.ts';
import { stopOnSignals } from './signals.ts';
import { DEFAULT_PORT, type LocalStack, ROOT, SWEEP_INTERVAL_ENV, startLocalStack } from './stack.ts';
import { localState, STATE_FILE } from './state.ts';

// The pinned AWS SDK supports Node 20; its start-up notice concerns future releases.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** `npm start`: the local stack, in the foreground, until Ctrl-C. */
const USAGE = `Usage: npm start -- [options]

Runs hookpilot locally: DynamoDB Local, an SQS emulator, the HTTP routes and the queue consumers, all in this process.

Options:
  --port <n>        gateway port (default: HOOKPILOT_PORT or ${DEFAULT_PORT}; 0 = any free port)
  --host <address>  the address every service listens on (default: ${HOST_ENV} or ${DEFAULT_HOST}, this machine
                    only); 0.0.0.0 opens the whole stack to your network, with a warning — DynamoDB Local and the
                    SQS emulator then accept anyone's requests
  --persist         keep DynamoDB data across restarts in .hookpilot/data (or HOOKPILOT_DATA_DIR)
  --data-dir <dir>  keep DynamoDB data in <dir>
  --sim-port <n>    Okta simulator port (default: HOOKPILOT_SIM_PORT or ${DEFAULT_SIM_PORT}; 0 = any free port)
  --sim-seed <file> the simulated Okta org to load (default: HOOKPILOT_SIM_SEED, else a 63-person company)
  --no-notify       do not turn notifications on (by default they go to a local receiver standing in for Teams and
                    a signed webhook, whose page lists them; nothing leaves this machine)
  --no-demo         do not play the built-in demo (a joiner, a mover, a leaver, failed sign-ins) after start-up
  --llm-stub <mode> answer recommendations with the local OpenAI-compatible stub instead of the rules
                    (modes: normal, compromised, malformed, refusal, slow, rate_limited, …; see docs/openai-stub.md)
  --quiet           do not print a line per request and per queue batch
  -h, --help        show this help

Environment:
  HOOKPILOT_EVENT_HOOK_SECRET  the event hook secret to accept (default: a fixed local-only value, printed below)
  HOOKPILOT_INLINE_HOOK_SECRET the inline hooks' secret to accept (default: a fixed local-only value, printed below)
  HOOKPILOT_INLINE_CONFIG_FILE the inline hooks' rules (default: policy/inline-hooks.json)
  HOOKPILOT_DATA_DIR           same as --data-dir
  HOOKPILOT_HOST               same as --host
  HOOKPILOT_SIM_TOKEN          the Okta simulator's API token (default: a fixed local-only value, printed below)
  HOOKPILOT_MODE               observe | assisted | autonomous (default: the policy file's mode)
  HOOKPILOT_POLICY_FILE        the policy (default: policy/hookpilot.policy.json)
  OPENAI_API_KEY, OPENAI_BASE_URL, HOOKPILOT_MODEL
                               use a model (any OpenAI-compatible endpoint) instead of the rules recommender
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      persist: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'sim-port': { type: 'string' },
      'sim-seed': { type: 'string' },
      'no-demo': { type: 'boolean', default: false },
      'no-notify': { type: 'boolean', default: false },
      'llm-stub': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new LocalStackError(`--port must be a port number (got "${values.port}")`);
  }
  const simPort = values['sim-port'] === undefined ? undefined : Number(values['sim-port']);
  if (simPort !== undefined && (!Number.isInteger(simPort) || simPort < 0 || simPort > 65535)) {
    throw new LocalStackError(`--sim-port must be a port number (got "${values['sim-port']}")`);
  }
  const host = bindHost(values.host);
  await refuseSecondStack();
  const dataDir =
    values['data-dir'] ??
    process.env.HOOKPILOT_DATA_DIR ??
    (values.persist ? join(ROOT, '.hookpilot', 'data') : undefined);

  const print = (line: string) => process.stdout.write(`${line}\n`);
  print('hookpilot: starting the local stack (DynamoDB Local, SQS emulator, Okta simulator, gateway, queue workers)…');
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      port,
      host,
      dataDir,
      okta: { port: simPort, seed: values['sim-seed'] },
      notifications: !values['no-notify'],
      ...(values['llm-stub'] ? { llmStub: stubMode(values['llm-stub']) } : {}),
      log: values.quiet ? undefined : (line) => print(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new LocalStackError(
        `a port is in use (the gateway's ${port ?? process.env.HOOKPILOT_PORT ?? DEFAULT_PORT} or the Okta simulator's ${simPort ?? process.env.HOOKPILOT_SIM_PORT ?? DEFAULT_SIM_PORT}): stop what is using it, or pass --port / --sim-port (or set HOOKPILOT_PORT / HOOKPILOT_SIM_PORT)`,
      );
    }
    throw error;
  }

  // A second Ctrl-C leaves at once; the JVM watchdog still stops DynamoDB Local.
  stopOnSignals(
    'hookpilot',
    async () => {
      await stack.stop();
      removeOwnStateFile();
      print('hookpilot: stopped');
    },
    print,
  );

  mkdirSync(join(ROOT, '.hookpilot'), { recursive: true });
  writeFileSync(
    STATE_FILE,
    JSON.stringify(
      {
        pid: process.pid,
        url: stack.url,
        endpoints: stack.endpoints,
        resources: stack.resources,
        okta: { orgUrl: stack.okta.orgUrl, token: stack.okta.token, eventHookId: stack.okta.eventHookId },
      },
      null,
      2,
    ),
  );

  const queues = Object.values(stack.resources.queues).flatMap((q) => [q.url, q.dlqUrl].map((u) => u.split('/').pop()));
  const seed = stack.okta.sim.seed as { users?: unknown[]; groups?: unknown[]; apps?: unknown[] };
  print(`
  listening on     ${host}${isLoopback(host) ? '   (this machine only; --host opens it)' : '   (NOT only this machine — see the warning)'}
  gateway          ${stack.url}
  event hook       GET|POST ${stack.url}${EVENT_HOOK_PATH}   (health: ${stack.url}/health)
  hook secret      ${stack.hookSecret}
                   ${
                     stack.hookSecretIsLocalDefault
                       ? `↑ the fixed LOCAL-ONLY default; set ${ENV.eventHookSecret} to use your own. Never use it in AWS.`
                       : `from ${ENV.eventHookSecret}`
                   }
  inline hooks     POST ${stack.url}/okta/inline/{telephony|password-import|registration|token|saml|user-import}
  inline secret    ${stack.inlineHookSecret}
                   ${
                     stack.inlineHookSecretIsLocalDefault
                       ? `↑ the fixed LOCAL-ONLY default; set ${INLINE_ENV.secret} to use your own. Never use it in AWS.`
                       : `from ${INLINE_ENV.secret}`
                   }
                   or Okta's OAuth: a client_credentials token of hookpilot-inline-hooks, scope hookpilot.inline
  inline rules     ${stack.inlineConfigFile}   (try: npx hookpilot inline registration)
  DynamoDB Local   ${stack.endpoints.dynamodb}   tables ${Object.values(stack.resources.tables).join(', ')}
                   ${stack.dataDir ? `data kept in ${stack.dataDir}` : 'in memory (pass --persist to keep data across restarts)'}
  SQS emulator     ${stack.endpoints.sqs}   queues ${queues.join(', ')}
  approvals console ${stack.url}/console/approvals
                   sign in on the simulator's LOCAL-ONLY page (pick any user, no password); who can approve:
${approverLines(loadPolicy(), stack.okta.sim.state)
  .map((line) => `                     ${line}`)
  .join('\n')}
                   (docs/console.md; subjects of a request see why they cannot decide it)
  approval queue   ${stack.resources.queues.approvalQueue.url}   (every approval step as a CloudEvent, for your consumers: docs/approval-queue.md)
  sweeper          ${stack.sweepIntervalSeconds > 0 ? `every ${stack.sweepIntervalSeconds} s` : 'off'}   (expires, reminds, escalates approvals; ${SWEEP_INTERVAL_ENV})
  Okta simulator   ${stack.okta.orgUrl}   ${seed.users?.length ?? 0} users, ${seed.groups?.length ?? 0} groups, ${seed.apps?.length ?? 0} apps
  Okta API token   ${stack.okta.token}   (SSWS; local only — npx hookpilot sim info --json)
                   ${stack.okta.eventHookId ? `event hook ${stack.okta.eventHookId} registered in the simulator and verified → ${stack.url}${EVENT_HOOK_PATH}` : 'no event hook registered'}
  recommender      ${stack.recommender}${
    stack.llmStub
      ? `
                   (the local OpenAI-compatible stub at ${stack.llmStub.baseURL})`
      : ''
  }
  notifications    ${
    stack.notifyReceiver
      ? `${stack.notifyChannels.join(', ')} → the LOCAL receiver ${stack.notifyReceiver.url}/   (lists every message; nothing leaves this machine)`
      : 'off (--no-notify)'
  }
  fake SMS gateway ${stack.smsGateway.messagesUrl}   (the telephony hook's OTPs land here and are printed; GET lists them)
  mode             ${stack.mode}   (HOOKPILOT_MODE: observe | assisted | autonomous)
  policy           ${stack.policyFile}
  calibration      ${stack.calibration}

  try it:
    npx hookpilot sim users --department Sales                  # the simulated org
    npx hookpilot sim update-user <login> --department Product   # Okta sends user.account.update_profile
    npx hookpilot sim fail-logins <login> --count 3               # failed sign-ins, as security signals
    npx hookpilot deliver test/fixtures/okta/event-hook-delivery-user-lifecycle-create.json
    npx hookpilot audit --recent
`);
  for (const warning of stack.warnings) process.stderr.write(`hookpilot: ${warning}\n`);
  print('hookpilot local stack ready');
  if (!values['no-demo']) {
    try {
      await runDemo(stack, print);
    } catch (error) {
      print(`hookpilot: the demo stopped: ${(error as Error).message}`);
    }
  }
}

/**
 * One stack per clone: `.hookpilot/local-stack.json` is how the CLI finds it, so a second `npm start` must not replace
 * (and on exit delete) a live stack's file. Live = its process runs and its gateway answers /health; a file left by a
 * stack that died is replaced.
 */
async function refuseSecondStack(): Promise<void> {
  const running = localState();
  if (!running) return;
  const answers = await fetch(`${running.url}/health`, { signal: AbortSignal.timeout(2000) }).then(
    (response) => response.ok,
    () => false,
  );
  if (!answers) return;
  throw new LocalStackError(
    `a local stack is already running from this folder (pid ${running.pid}, ${running.url}): stop it first (Ctrl-C in its terminal, or kill ${running.pid}). One stack per clone: the CLI finds it through ${STATE_FILE}.`,
  );
}

/** Removes the state file if it still describes this process (never another stack's). */
function removeOwnStateFile(): void {
  try {
    const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as { pid?: unknown };
    if (state.pid === process.pid) rmSync(STATE_FILE, { force: true });
  } catch {
    // missing or unreadable: nothing of ours to remove
  }
}

function stubMode(value: string): StubMode {
  if (!isStubMode(value))
    throw new LocalStackError(`--llm-stub must be one of ${STUB_MODES.join(', ')} (got "${value}")`);
  return value;
}

main().catch((error: unknown) => {
  if (error instanceof LocalStackError || error instanceof ConfigError) {
    process.stderr.write(`hookpilot: ${error.message}\n`);
  } else {
    process.stderr.write(`hookpilot: could not start the local stack: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
});
