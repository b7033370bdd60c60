import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ENV } from '../lambda/config.ts';
import { ConfigError } from '../lambda/errors.ts';
import { LocalStackError } from './errors.ts';
import { DEFAULT_PORT, type LocalStack, ROOT, startLocalStack } from './stack.ts';

// The pinned AWS SDK supports Node 20; its start-up notice concerns future releases.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** `npm start`: the local stack, in the foreground, until Ctrl-C. */
const USAGE = `Usage: npm start -- [options]

Runs hookpilot locally: DynamoDB Local, an SQS emulator, the HTTP routes and the queue consumers, all in this process.

Options:
  --port <n>        gateway port (default: HOOKPILOT_PORT or ${DEFAULT_PORT}; 0 = any free port)
  --persist         keep DynamoDB data across restarts in .hookpilot/data (or HOOKPILOT_DATA_DIR)
  --data-dir <dir>  keep DynamoDB data in <dir>
  --quiet           do not print a line per request and per queue batch
  -h, --help        show this help

Environment:
  HOOKPILOT_EVENT_HOOK_SECRET  the event hook secret to accept (default: a fixed local-only value, printed below)
  HOOKPILOT_DATA_DIR           same as --data-dir
`;

export const STATE_FILE = join(ROOT, '.hookpilot', 'local-stack.json');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      persist: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
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
  const dataDir =
    values['data-dir'] ??
    process.env.HOOKPILOT_DATA_DIR ??
    (values.persist ? join(ROOT, '.hookpilot', 'data') : undefined);

  const print = (line: string) => process.stdout.write(`${line}\n`);
  print('hookpilot: starting the local stack (DynamoDB Local, SQS emulator, gateway, queue workers)…');
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      port,
      dataDir,
      log: values.quiet ? undefined : (line) => print(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new LocalStackError(
        `port ${port ?? process.env.HOOKPILOT_PORT ?? DEFAULT_PORT} is in use: stop what is using it, or pass --port <n> (or set HOOKPILOT_PORT)`,
      );
    }
    throw error;
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(130); // a second Ctrl-C: leave now (the JVM watchdog still stops DynamoDB Local)
    stopping = true;
    print(`\nhookpilot: ${signal}: stopping…`);
    await stack.stop();
    rmSync(STATE_FILE, { force: true });
    print('hookpilot: stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  mkdirSync(join(ROOT, '.hookpilot'), { recursive: true });
  writeFileSync(
    STATE_FILE,
    JSON.stringify(
      { pid: process.pid, url: stack.url, endpoints: stack.endpoints, resources: stack.resources },
      null,
      2,
    ),
  );

  const q = stack.resources.queues.eventsQueue;
  print(`
  gateway          ${stack.url}
  event hook       GET|POST ${stack.url}/okta/events   (health: ${stack.url}/health)
  hook secret      ${stack.hookSecret}
                   ${
                     stack.hookSecretIsLocalDefault
                       ? `↑ the fixed LOCAL-ONLY default; set ${ENV.eventHookSecret} to use your own. Never use it in AWS.`
                       : `from ${ENV.eventHookSecret}`
                   }
  DynamoDB Local   ${stack.endpoints.dynamodb}   tables ${Object.values(stack.resources.tables).join(', ')}
                   ${stack.dataDir ? `data kept in ${stack.dataDir}` : 'in memory (pass --persist to keep data across restarts)'}
  SQS emulator     ${stack.endpoints.sqs}   queues ${q.url.split('/').pop()}, ${q.dlqUrl.split('/').pop()}

  try it:
    npx hookpilot deliver test/fixtures/okta/event-hook-delivery-user-lifecycle-create.json
    npx hookpilot audit --recent
`);
  print('hookpilot local stack ready');
}

main().catch((error: unknown) => {
  if (error instanceof LocalStackError || error instanceof ConfigError) {
    process.stderr.write(`hookpilot: ${error.message}\n`);
  } else {
    process.stderr.write(`hookpilot: could not start the local stack: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
});
