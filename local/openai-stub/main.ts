import { parseArgs } from 'node:util';
import { LocalStackError } from '../errors.ts';
import { stopOnSignals } from '../signals.ts';
import { isStubMode, STUB_MODES } from './answers.ts';
import { stubOptionsFromEnv } from './env.ts';
import { startOpenAiStub } from './server.ts';

/** Where the stub listens when run on its own (in code, `startOpenAiStub` defaults to any free port). */
const DEFAULT_STUB_PORT = 8788;

/** `npx tsx local/openai-stub/main.ts`: the OpenAI stub on its own, in the foreground, until Ctrl-C. */
const USAGE = `Usage: npx tsx local/openai-stub/main.ts [options]

An OpenAI-compatible stub (POST /v1/chat/completions, GET /v1/models) for local runs. See docs/openai-stub.md.

Options:
  --port <n>            port (default: OPENAI_STUB_PORT or ${DEFAULT_STUB_PORT}; 0 = any free port)
  --mode <mode>         standing mode: ${STUB_MODES.join(', ')}
  --delay-ms <n>        how long "slow" waits (default 30000)
  --retry-after-ms <n>  the wait a 429 asks for (default 1000)
  --seed <n>            the seed of the mis-calibrated modes' draws (default 0)
  --quiet               do not print a line per request
  -h, --help            show this help

Environment: OPENAI_STUB_PORT, OPENAI_STUB_HOST, OPENAI_STUB_MODE, OPENAI_STUB_DELAY_MS, OPENAI_STUB_RETRY_AFTER_MS,
OPENAI_STUB_API_KEY (accept only this key), OPENAI_STUB_SEED. Options win over the environment.
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      mode: { type: 'string' },
      'delay-ms': { type: 'string' },
      'retry-after-ms': { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.mode !== undefined && !isStubMode(values.mode)) {
    throw new LocalStackError(`--mode must be one of ${STUB_MODES.join(', ')} (got "${values.mode}")`);
  }
  const fromEnv = stubOptionsFromEnv({
    ...process.env,
    OPENAI_STUB_PORT: values.port ?? process.env.OPENAI_STUB_PORT ?? String(DEFAULT_STUB_PORT),
    ...(values.mode !== undefined ? { OPENAI_STUB_MODE: values.mode } : {}),
    ...(values['delay-ms'] !== undefined ? { OPENAI_STUB_DELAY_MS: values['delay-ms'] } : {}),
    ...(values['retry-after-ms'] !== undefined ? { OPENAI_STUB_RETRY_AFTER_MS: values['retry-after-ms'] } : {}),
    ...(values.seed !== undefined ? { OPENAI_STUB_SEED: values.seed } : {}),
  });
  const stub = await startOpenAiStub({
    ...fromEnv,
    ...(values.quiet
      ? {}
      : {
          onRequest: (r) =>
            process.stdout.write(
              `${r.at} ${r.method} ${r.path} ${r.status ?? r.outcome}${r.mode ? ` mode=${r.mode}` : ''}${r.source ? ` source=${r.source}` : ''} ${r.ms}ms\n`,
            ),
        }),
  });
  process.stdout.write(
    `openai stub ready (mode ${stub.state().standing}): OPENAI_BASE_URL=${stub.baseURL} OPENAI_API_KEY=<anything>\n`,
  );
  stopOnSignals(
    'openai stub',
    () => stub.stop(),
    (line) => process.stdout.write(`${line}\n`),
  );
}

main().catch((error: unknown) => {
  if (error instanceof LocalStackError) {
    process.stderr.write(`openai stub: ${error.message}\n`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
