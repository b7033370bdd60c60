import { parseArgs } from 'node:util';
import { stopOnSignals } from '../signals.ts';
import { DEFAULT_SIM_PORT, DEFAULT_SIM_TOKEN } from './defaults.ts';
import { SeedError } from './seed.ts';
import { startOktaSim } from './server.ts';

/** `npx tsx local/okta-sim/main.ts`: the Okta org simulator on its own, in the foreground, until Ctrl-C. */

const USAGE = `Usage: npx tsx local/okta-sim/main.ts [options]

Runs the Okta org simulator: the Okta Management API subset hookpilot uses, over a seeded org (docs/okta-simulator.md).

Options:
  --port <n>                 port (default: OKTA_SIM_PORT or ${DEFAULT_SIM_PORT}; 0 = any free port)
  --host <address>           interface to listen on (default 127.0.0.1)
  --seed <file>              the org to load (default: local/okta-sim/seed-org.json)
  --token <token>            the SSWS API token to accept (default: OKTA_SIM_TOKEN or a fixed local value)
  --hook-duplicate-rate <p>  probability 0..1 that an event hook batch is delivered twice (default 0)
  --quiet                    do not print a line per request
  -h, --help                 show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      token: { type: 'string' },
      'hook-duplicate-rate': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port ?? process.env.OKTA_SIM_PORT ?? DEFAULT_SIM_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number`);
  const duplicateRate = Number(values['hook-duplicate-rate'] ?? 0);
  if (!(duplicateRate >= 0 && duplicateRate <= 1))
    throw new UsageError('--hook-duplicate-rate must be between 0 and 1');
  const print = (line: string) => process.stdout.write(`${line}\n`);

  const sim = await startOktaSim({
    port,
    ...(values.host ? { host: values.host } : {}),
    ...(values.seed ? { seed: values.seed } : {}),
    token: values.token ?? process.env.OKTA_SIM_TOKEN ?? DEFAULT_SIM_TOKEN,
    hookDuplicateRate: duplicateRate,
    ...(values.quiet
      ? {}
      : {
          onRequest: (r) => print(`  ${r.at.slice(11, 19)} ${r.method} ${r.path}${r.query} → ${r.status} (${r.ms} ms)`),
        }),
  });
  const { seed } = sim;
  print(`Okta simulator ready: ${sim.orgUrl}`);
  print(
    `  org:   ${seed.org.name} (${seed.users.length} users, ${seed.groups.length} groups, ${seed.apps.length} apps)`,
  );
  print(`  token: ${sim.token}   (Authorization: SSWS <token>)`);
  print(`  try:   curl -H "Authorization: SSWS ${sim.token}" ${sim.orgUrl}/api/v1/users?limit=2`);
  print(`  SDK:   OKTA_CLIENT_ORGURL=${sim.orgUrl} OKTA_CLIENT_TOKEN=${sim.token}`);
  print(`  OAuth: issuer ${sim.authorizationServers.issuer()} (audience api://default) — LOCAL-ONLY sign-in page,`);
  print(`         or a user's token: POST ${sim.orgUrl}/__sim/tokens {"login": "…"} with the SSWS token`);

  stopOnSignals('Okta simulator', () => sim.stop(), print);
}

class UsageError extends Error {}

main().catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof SeedError) {
    process.stderr.write(`${error.message}\n`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write('That port is in use: pass --port <n> (or OKTA_SIM_PORT), or 0 for any free port.\n');
  } else {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
