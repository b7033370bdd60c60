import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { ENV } from '../lambda/config.ts';
import { FUNCTIONS, type FunctionId, QUEUES, type QueueId, ROUTES } from '../lib/manifest.ts';
import { type DynamoLocal, startDynamoLocal } from './dynamodb-local.ts';
import { type GatewayRoute, type HttpFunction, startGateway } from './gateway.ts';
import { lambdaContext } from './lambda-context.ts';
import { type QueueFunction, startQueueWorker } from './queue-worker.ts';
import {
  createResources,
  type Endpoints,
  emulatorEnv,
  LOCAL_CREDENTIALS,
  LOCAL_DEFAULT_HOOK_SECRET,
  LOCAL_REGION,
  type LocalResources,
} from './resources.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_PORT = 8787;

export interface LocalStackOptions {
  /** Gateway port; 0 picks a free one. Default: HOOKPILOT_PORT, else 8787. */
  readonly port?: number;
  readonly host?: string;
  /** Keep DynamoDB data in this folder across restarts. Default: in memory. */
  readonly dataDir?: string;
  /** Use emulators that are already running (tests) instead of starting new ones. */
  readonly emulators?: Endpoints;
  /** Resource name prefix. Default `hookpilot`. */
  readonly prefix?: string;
  /** Override queue visibility timeouts (tests use short ones to see redeliveries quickly). */
  readonly visibilityTimeoutSeconds?: number;
  /** Run the queue consumers (default true; a benchmark of the receiver alone turns them off). */
  readonly consumers?: boolean;
  /** One line per HTTP request and queue batch. */
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  readonly url: string;
  readonly hookSecret: string;
  readonly hookSecretIsLocalDefault: boolean;
  readonly endpoints: Endpoints;
  readonly resources: LocalResources;
  readonly dataDir: string | undefined;
  stop(): Promise<void>;
}

/**
 * Runs hookpilot on this machine with no AWS account: DynamoDB Local, the SQS emulator, a gateway serving the same
 * routes through the same Lambda handlers, and workers feeding the same queue consumers. Handlers read their settings
 * from `process.env` when first imported, so run one local stack per process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    let endpoints = options.emulators;
    let dynamo: DynamoLocal | undefined;
    if (!endpoints) {
      const [started, sqs] = await Promise.all([
        startDynamoLocal({ dataDir: options.dataDir }),
        startFauxqs({ port: 0, logger: false }),
      ]);
      dynamo = started;
      stops.push(
        () => started.stop(),
        () => sqs.stop(),
      );
      endpoints = { dynamodb: started.endpoint, sqs: sqs.address };
    }
    const resources = await createResources(endpoints, {
      prefix: options.prefix ?? 'hookpilot',
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    });

    const hookSecretIsLocalDefault = !process.env[ENV.eventHookSecret]?.trim();
    Object.assign(process.env, emulatorEnv(endpoints), resources.env, {
      POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? 'hookpilot',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      [ENV.eventHookSecret]: process.env[ENV.eventHookSecret]?.trim() || LOCAL_DEFAULT_HOOK_SECRET,
    });
    const functions = await loadFunctions();

    const routes: GatewayRoute[] = ROUTES.map((r) => ({ method: r.method, path: r.path, fn: functions[r.fn] }));
    const envPort = process.env.HOOKPILOT_PORT ? Number(process.env.HOOKPILOT_PORT) : undefined;
    const gateway = await startGateway({
      routes,
      port: options.port ?? envPort ?? DEFAULT_PORT,
      host: options.host,
      onRequest: (r) => log(`${r.method} ${r.path} → ${r.status} (${r.ms} ms)`),
    });
    stops.push(() => gateway.stop());

    const sqs = new SQSClient({
      endpoint: endpoints.sqs,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      useQueueUrlAsEndpoint: false,
    });
    stops.push(async () => sqs.destroy());
    for (const [id, spec] of Object.entries(QUEUES) as [QueueId, (typeof QUEUES)[QueueId]][]) {
      if (options.consumers === false) break;
      const worker = startQueueWorker({
        client: sqs,
        queueUrl: resources.queues[id].url,
        batchSize: spec.batchSize,
        fn: functions[spec.consumer],
        onBatch: (b) =>
          log(`${spec.consumer}: ${b.size} message(s), ${b.failed} failed${b.error ? ` (${String(b.error)})` : ''}`),
      });
      stops.push(() => worker.stop());
    }

    return {
      url: gateway.url,
      hookSecret: process.env[ENV.eventHookSecret] as string,
      hookSecretIsLocalDefault,
      endpoints,
      resources,
      dataDir: dynamo?.dataDir,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

type LoadedFunction = HttpFunction & QueueFunction;

async function loadFunctions(): Promise<Record<FunctionId, LoadedFunction>> {
  const loaded = {} as Record<FunctionId, LoadedFunction>;
  for (const [id, spec] of Object.entries(FUNCTIONS) as [FunctionId, (typeof FUNCTIONS)[FunctionId]][]) {
    const module = (await import(pathToFileURL(resolve(ROOT, spec.entry)).href)) as {
      handler: LoadedFunction['handler'];
    };
    loaded[id] = {
      handler: module.handler,
      context: () => lambdaContext(`hookpilot-${id}`, spec.timeoutSeconds, spec.memoryMb),
    };
  }
  return loaded;
}
