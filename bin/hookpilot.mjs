#!/usr/bin/env node
// `npx hookpilot …`: runs the TypeScript CLI (cli/main.ts) through tsx, installed with the project's dev dependencies.
// main() never throws; this catch is for a CLI that cannot even load (then too: one line, no stack trace).
import { register } from 'tsx/esm/api';

// The reader of our output went away (`hookpilot audit --json | head`): stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

try {
  register();
  const { main } = await import('../cli/main.ts');
  process.exitCode = await main(process.argv);
} catch (error) {
  const reason = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
  process.stderr.write(`hookpilot: the CLI could not start: ${reason}\n`);
  process.exitCode = 1;
}
