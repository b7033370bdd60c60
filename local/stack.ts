import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENV } from '../lambda/config.ts';
import { CALIBRATION_ENV, describeIdentity, loadCalibration } from '../lambda/domain/calibration.ts';
import { INLINE_CONFIG_ENV } from '../lambda/domain/inline-config.ts';
import { loadPolicy, modeFrom, POLICY_ENV } from '../lambda/domain/policy-config.ts';
import { logger } from '../lambda/log.ts';
import { NOTIFY_ENV } from '../lambda/notify/config.ts';
import { APPROVER_TOKEN_ENV } from '../lambda/okta/access-token-config.ts';
import { INLINE_ENV, INLINE_OAUTH_ENV } from '../lambda/okta/inline-config-env.ts';
import { CONSOLE_ENV } from '../lambda/okta/oidc-client.ts';
import { OKTA_ENV } from '../lambda/okta/okta-config.ts';
import { chooseRecommender } from '../lambda/recommend/choose.ts';
import { TELEPHONY_ENV } from '../lambda/telephony/config.ts';
import {
  EVENT_HOOK_PATH,
  FUNCTIONS,
  type FunctionId,
  type FunctionSpec,
  QUEUES,
  type QueueId,
  ROUTES,
} from '../lib/manifest.ts';
import { ROOT } from '../lib/root.ts';
import { DEFAULT_HOST, exposureWarning, isLoopback } from './bind.ts';
import { DEFAULT_PORT } from './defaults.ts';
import { type DynamoLocal, startDynamoLocal } from './dynamodb-local.ts';
import { type GatewayRoute, type HttpFunction, startGateway } from './gateway.ts';
import { lambdaContext } from './lambda-context.ts';
import { type NotifyReceiver, startNotifyReceiver } from './notify-receiver.ts';
import { DEFAULT_SIM_PORT, DEFAULT_SIM_TOKEN } from './okta-sim/defaults.ts';
import { type OktaSim, startOktaSim } from './okta-sim/server.ts';
import { LOCAL_HOOK_EVENT_TYPES, registerEventHook } from './okta-wiring.ts';
import { type OpenAiStub, type StubMode, startOpenAiStub } from './openai-stub/index.ts';
import { type QueueFunction, startQueueWorker, type WorkerStats } from './queue-worker.ts';
import {
  createResources,
  type Endpoints,
  emulatorEnv,
  LOCAL_DEFAULT_HOOK_SECRET,
  LOCAL_DEFAULT_INLINE_HOOK_SECRET,
  LOCAL_DEFAULT_WEBHOOK_SECRET,
  type LocalResources,
  localSqs,
} from './resources.ts';
import { type ScheduledFunction, startSchedule } from './schedule.ts';
import {
  LOCAL_APPROVALS_CHANNEL,
  LOCAL_OUTCOME_CHANNEL,
  LOCAL_SLACK_SIGNING_SECRET,
  LOCAL_SLACK_TOKEN,
  mountSlackStandIn,
  SlackStandIn,
} from './slack-standin.ts';
import { type SmsGateway, startSmsGateway } from './sms-gateway.ts';
import { startSqsEmulator } from './sqs-emulator.ts';

export { DEFAULT_PORT, ROOT };

/** How often the local stack runs the sweeper (seconds; 0: never). */
export const SWEEP_INTERVAL_ENV = 'HOOKPILOT_SWEEP_INTERVAL_SECONDS';
const DEFAULT_SWEEP_INTERVAL_SECONDS = 30;

export interface LocalStackOptions {
  /** Gateway port; 0 picks a free one. Default: HOOKPILOT_PORT, else 8787. */
  readonly port?: number;
  /**
   * The address every service listens on (gateway, DynamoDB Local, the SQS emulator, the Okta simulator, the OpenAI
   * stub). Default 127.0.0.1; anything else is reported in `warnings`.
   */
  readonly host?: string;
  /** Keep DynamoDB data in this folder across restarts. Default: in memory. */
  readonly dataDir?: string;
  /** Use emulators that are already running (tests) instead of starting new ones. */
  readonly emulators?: Endpoints;
  /** Resource name prefix. Default `hookpilot`. */
  readonly prefix?: string;
  /** Override queue visibility timeouts (tests use short ones to see redeliveries quickly). */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * The Okta org simulator the functions act on: its port (default HOOKPILOT_SIM_PORT, else 8790; 0 = any), the seed
   * file (default HOOKPILOT_SIM_SEED, else the bundled company), and whether to register an event hook in it that points
   * at the local receiver (default true).
   */
  readonly okta?: { readonly port?: number; readonly seed?: string; readonly registerHook?: boolean };
  /**
   * Answer recommendations with the local OpenAI-compatible stub (in this mode, e.g. `normal` or `compromised`) instead
   * of the rules recommender or a real model. Default: off.
   */
  readonly llmStub?: StubMode;
  /** Run the queue consumers and the scheduled functions (default true; a benchmark of the receiver turns them off). */
  readonly consumers?: boolean;
  /**
   * How often the scheduled functions (the sweeper) run, in seconds; 0 turns them off. Default:
   * HOOKPILOT_SWEEP_INTERVAL_SECONDS, else 30. (In AWS the sweeper runs every 5 minutes.)
   */
  readonly sweepIntervalSeconds?: number;
  /**
   * Notifications (docs/notifications.md): start the local receiver standing in for Slack, Teams and webhooks, and turn
   * the channels on against it (`HOOKPILOT_NOTIFY_CHANNELS` / `HOOKPILOT_NOTIFY_CONFIG` when set win). Default: off —
   * nothing is copied to the notifications queue. `npm start` turns it on (`--no-notify` leaves it off).
   */
  readonly notifications?: boolean;
  /** One line per HTTP request and queue batch. */
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  readonly url: string;
  readonly hookSecret: string;
  readonly hookSecretIsLocalDefault: boolean;
  /** The inline hooks' header secret (Okta's OAuth tokens from the simulator's `default` server work too). */
  readonly inlineHookSecret: string;
  readonly inlineHookSecretIsLocalDefault: boolean;
  /** The inline hooks' rules file in effect. */
  readonly inlineConfigFile: string;
  readonly endpoints: Endpoints;
  readonly resources: LocalResources;
  readonly dataDir: string | undefined;
  readonly okta: {
    readonly sim: OktaSim;
    readonly orgUrl: string;
    readonly token: string;
    readonly eventHookId?: string;
  };
  /** Which recommender answers, in words; the mode; the policy file. */
  readonly recommender: string;
  readonly mode: string;
  readonly policyFile: string;
  /** The calibration in effect, in words: its file and whom it was fitted for, or `none`. */
  readonly calibration: string;
  /** How often the sweeper runs (seconds; 0: not at all). */
  readonly sweepIntervalSeconds: number;
  /** The OpenAI-compatible stub, when `llmStub` is on. */
  readonly llmStub?: OpenAiStub;
  /** The fake SMS gateway the telephony hook sends to (unless HOOKPILOT_TELEPHONY_CONFIG names real providers). */
  readonly smsGateway: SmsGateway;
  /** The local stand-in for Slack, Teams and webhooks, when `notifications` is on (its page lists every message). */
  readonly notifyReceiver?: NotifyReceiver;
  /** The notification channels turned on (empty: notifications are off). */
  readonly notifyChannels: readonly string[];
  /** What each queue's worker has done so far (empty when `consumers` is false). */
  readonly workers: Partial<Record<QueueId, Readonly<WorkerStats>>>;
  /** Things the user must know, e.g. that the stack listens beyond this machine. */
  readonly warnings: readonly string[];
  stop(): Promise<void>;
}

/**
 * Runs hookpilot on this machine with no AWS account: DynamoDB Local, the SQS emulator, a gateway serving the same
 * routes through the same Lambda handlers, and workers feeding the same queue consumers. Handlers read their settings
 * from `process.env` when first imported, so run one local stack per process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? DEFAULT_HOST;
  const warnings = isLoopback(host) ? [] : [exposureWarning(host)];
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    let endpoints = options.emulators;
    let dynamo: DynamoLocal | undefined;
    if (!endpoints) {
      const [started, sqs] = await Promise.all([
        startDynamoLocal({ dataDir: options.dataDir, host }),
        startSqsEmulator({ host }),
      ]);
      dynamo = started;
      stops.push(
        () => started.stop(),
        () => sqs.stop(),
      );
      if (started.boundHost !== host) {
        warnings.push(
          `WARNING: DynamoDB Local listens on every interface, not ${host}: this Java runtime cannot run the launcher that binds it (it lacks the jdk.compiler module; a full JDK 17+ has it). It accepts any signature, so anyone on your network can read and rewrite the local audit trail.`,
        );
      }
      endpoints = { dynamodb: started.endpoint, sqs: sqs.endpoint };
    }
    const resources = await createResources(endpoints, {
      prefix: options.prefix ?? 'hookpilot',
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    });

    const envPort = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
    const sim = await startOktaSim({
      port: options.okta?.port ?? envPort('HOOKPILOT_SIM_PORT') ?? DEFAULT_SIM_PORT,
      token: process.env.HOOKPILOT_SIM_TOKEN?.trim() || DEFAULT_SIM_TOKEN,
      ...((options.okta?.seed ?? process.env.HOOKPILOT_SIM_SEED)
        ? { seed: options.okta?.seed ?? process.env.HOOKPILOT_SIM_SEED }
        : {}),
      hooks: { allowHttp: true },
      host,
    });
    stops.push(() => sim.stop());

    let llmStub: OpenAiStub | undefined;
    if (options.llmStub) {
      const stub = await startOpenAiStub({ mode: options.llmStub, host });
      llmStub = stub;
      stops.push(() => stub.stop());
      Object.assign(process.env, {
        OPENAI_BASE_URL: stub.baseURL,
        OPENAI_API_KEY: 'local-openai-stub',
        HOOKPILOT_MODEL: process.env.HOOKPILOT_MODEL ?? 'hookpilot-local-stub',
      });
    }
    // The telephony hook's OTPs go to a fake SMS gateway on the loopback interface (it prints what it "sent"), unless
    // HOOKPILOT_TELEPHONY_CONFIG names real providers.
    const smsGateway = await startSmsGateway({ print: (line) => log(line) });
    stops.push(() => smsGateway.stop());
    if (!process.env[TELEPHONY_ENV.config]?.trim()) {
      process.env[TELEPHONY_ENV.config] = JSON.stringify({
        providers: { 'local-sms': { type: 'gateway', url: smsGateway.messagesUrl } },
        routes: [{ prefix: '', providers: ['local-sms'] }],
      });
    }
    const policyFile = process.env[POLICY_ENV.file]?.trim() || resolve(ROOT, 'policy', 'hookpilot.policy.json');
    // A calibration (hookpilot calibrate --out policy/calibration.json) is used when the file exists.
    const defaultCalibration = resolve(ROOT, 'policy', 'calibration.json');
    const calibrationFile =
      process.env[CALIBRATION_ENV.file]?.trim() || (existsSync(defaultCalibration) ? defaultCalibration : undefined);
    const notifyReceiver = options.notifications
      ? await startLocalNotifications(envPort('HOOKPILOT_NOTIFY_RECEIVER_PORT') ?? 0, log)
      : undefined;
    if (notifyReceiver) stops.push(() => notifyReceiver.stop());

    const hookSecretIsLocalDefault = !process.env[ENV.eventHookSecret]?.trim();
    const inlineHookSecretIsLocalDefault = !process.env[INLINE_ENV.secret]?.trim();
    const inlineConfigFile =
      process.env[INLINE_CONFIG_ENV.file]?.trim() || resolve(ROOT, 'policy', 'inline-hooks.json');
    Object.assign(process.env, emulatorEnv(endpoints), resources.env, {
      // The functions that use Okta talk to the simulator (http is allowed for it, and only on localhost).
      [OKTA_ENV.orgUrl]: sim.orgUrl,
      [OKTA_ENV.apiToken]: sim.token,
      [OKTA_ENV.allowHttp]: 'true',
      // Approvers' access tokens come from the simulator's `default` authorization server (docs/approver-tokens.md).
      [APPROVER_TOKEN_ENV.issuer]: process.env[APPROVER_TOKEN_ENV.issuer]?.trim() || sim.authorizationServers.issuer(),
      [APPROVER_TOKEN_ENV.audience]: process.env[APPROVER_TOKEN_ENV.audience]?.trim() || 'api://default',
      // The console signs approvers in through the simulator's `hookpilot-console` client (PKCE, loopback redirects).
      [CONSOLE_ENV.clientId]: process.env[CONSOLE_ENV.clientId]?.trim() || 'hookpilot-console',
      [POLICY_ENV.file]: policyFile,
      ...(calibrationFile ? { [CALIBRATION_ENV.file]: calibrationFile } : {}),
      POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? 'hookpilot',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      [ENV.eventHookSecret]: process.env[ENV.eventHookSecret]?.trim() || LOCAL_DEFAULT_HOOK_SECRET,
      // Inline hooks: the header secret, and Okta's OAuth tokens as the simulator's `default` server issues them to its
      // `hookpilot-inline-hooks` client (client credentials, scope hookpilot.inline) — docs/inline-hooks.md.
      [INLINE_ENV.secret]: process.env[INLINE_ENV.secret]?.trim() || LOCAL_DEFAULT_INLINE_HOOK_SECRET,
      [INLINE_OAUTH_ENV.issuer]: process.env[INLINE_OAUTH_ENV.issuer]?.trim() || sim.authorizationServers.issuer(),
      [INLINE_OAUTH_ENV.audience]: process.env[INLINE_OAUTH_ENV.audience]?.trim() || 'api://default',
      [INLINE_OAUTH_ENV.clientIds]: process.env[INLINE_OAUTH_ENV.clientIds]?.trim() || 'hookpilot-inline-hooks',
      [INLINE_OAUTH_ENV.requiredScopes]: process.env[INLINE_OAUTH_ENV.requiredScopes]?.trim() || 'hookpilot.inline',
      [INLINE_CONFIG_ENV.file]: inlineConfigFile,
    });
    // Notifications off: the publishers are not given the notifications queue, so nothing is copied there.
    if (!notifyReceiver) delete process.env[ENV.notificationsQueueUrl];
    // The shared logger was created when this module loaded; now that the level is set, apply it.
    logger.setLogLevel((process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN') as Parameters<typeof logger.setLogLevel>[0]);
    // Fail at start-up, with the reason, on a bad policy file, mode or model setting (the handlers would, later).
    const policy = loadPolicy();
    const mode = modeFrom(policy);
    const fitted = loadCalibration();
    const calibration = fitted
      ? `${calibrationFile ?? CALIBRATION_ENV.json} (fitted for ${describeIdentity(fitted.fittedFor)})`
      : 'none';
    const { description: recommender } = chooseRecommender();
    const functions = await loadFunctions();

    const routes: GatewayRoute[] = ROUTES.map((r) => ({ method: r.method, path: r.path, fn: functions[r.fn] }));
    const gateway = await startGateway({
      routes,
      port: options.port ?? envPort('HOOKPILOT_PORT') ?? DEFAULT_PORT,
      host,
      onRequest: (r) => log(`${r.method} ${r.path} → ${r.status} (${r.ms} ms)`),
    });
    stops.push(() => gateway.stop());
    // Messages link to the console's request pages, served by this gateway.
    if (!process.env[ENV.consoleUrl]?.trim()) process.env[ENV.consoleUrl] = gateway.url;

    const sqs = localSqs(endpoints.sqs);
    stops.push(async () => sqs.destroy());
    const workers: Partial<Record<QueueId, WorkerStats>> = {};
    for (const [id, spec] of Object.entries(QUEUES) as [QueueId, (typeof QUEUES)[QueueId]][]) {
      if (options.consumers === false) break;
      // The approval queue has no consumer in hookpilot: its messages wait there for yours (docs/approval-queue.md).
      if (!('consumer' in spec)) continue;
      if (id === 'notificationsQueue' && !notifyReceiver) continue;
      const worker = startQueueWorker({
        client: sqs,
        queueUrl: resources.queues[id].url,
        batchSize: spec.batchSize,
        fn: functions[spec.consumer],
        onBatch: (b) =>
          log(`${spec.consumer}: ${b.size} message(s), ${b.failed} failed${b.error ? ` (${String(b.error)})` : ''}`),
      });
      workers[id] = worker.stats;
      stops.push(() => worker.stop());
    }

    const sweepSeconds = options.sweepIntervalSeconds ?? envPort(SWEEP_INTERVAL_ENV) ?? DEFAULT_SWEEP_INTERVAL_SECONDS;
    if (!Number.isFinite(sweepSeconds) || sweepSeconds < 0) {
      throw new Error(`${SWEEP_INTERVAL_ENV} must be a number of seconds (0 turns the sweeper off)`);
    }
    for (const [id, spec] of Object.entries(FUNCTIONS) as [FunctionId, FunctionSpec][]) {
      if (!spec.schedule || options.consumers === false || sweepSeconds === 0) continue;
      const schedule = startSchedule({
        name: id,
        fn: functions[id],
        everyMs: sweepSeconds * 1000,
        onRun: (r) => log(`${id}: ran (${r.ms} ms)${r.error ? ` — failed: ${String(r.error)}` : ''}`),
      });
      stops.push(() => schedule.stop());
    }

    // As an Okta admin would: create the event hook and verify it (the simulator sends the challenge to our receiver).
    const hook =
      options.okta?.registerHook === false
        ? undefined
        : await registerEventHook({
            orgUrl: sim.orgUrl,
            token: sim.token,
            uri: `${gateway.url}${EVENT_HOOK_PATH}`,
            secret: process.env[ENV.eventHookSecret] as string,
            events: LOCAL_HOOK_EVENT_TYPES,
          });

    return {
      url: gateway.url,
      okta: { sim, orgUrl: sim.orgUrl, token: sim.token, eventHookId: hook?.id },
      recommender,
      mode,
      policyFile,
      calibration,
      sweepIntervalSeconds: options.consumers === false ? 0 : sweepSeconds,
      ...(llmStub ? { llmStub } : {}),
      smsGateway,
      ...(notifyReceiver ? { notifyReceiver } : {}),
      notifyChannels: notifyReceiver ? (process.env[NOTIFY_ENV.channels] ?? '').split(',').filter(Boolean) : [],
      hookSecret: process.env[ENV.eventHookSecret] as string,
      hookSecretIsLocalDefault,
      inlineHookSecret: process.env[INLINE_ENV.secret] as string,
      inlineHookSecretIsLocalDefault,
      inlineConfigFile,
      endpoints,
      resources,
      dataDir: dynamo?.dataDir,
      workers,
      warnings,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Starts the local notification receiver and, unless the user configured their own, turns on the Teams and webhook
 * channels against it (one Teams "workflow" per audience, one signed webhook with the local default secret). A first
 * retry comes after 5 s here (30 s in AWS).
 */
async function startLocalNotifications(port: number, log: (line: string) => void): Promise<NotifyReceiver> {
  const receiver = await startNotifyReceiver({ port, webhookSecrets: [LOCAL_DEFAULT_WEBHOOK_SECRET], print: log });
  // Slack's Web API stand-in on the same receiver: posts, edits, thread replies and DMs are listed on its page.
  const slackApiUrl = mountSlackStandIn(receiver, new SlackStandIn());
  process.env[NOTIFY_ENV.channels] ||= 'slack,teams,webhook';
  process.env[NOTIFY_ENV.config] ||= JSON.stringify({
    slack: {
      botToken: LOCAL_SLACK_TOKEN,
      approvalsChannel: LOCAL_APPROVALS_CHANNEL,
      outcomeChannel: LOCAL_OUTCOME_CHANNEL,
      apiUrl: slackApiUrl,
      // Buttons stay off locally as in AWS; the endpoint still verifies signatures made with this local secret.
      interactivity: { enabled: false, signingSecrets: [LOCAL_SLACK_SIGNING_SECRET] },
    },
    teams: {
      approvers: `${receiver.url}/teams/approvers`,
      outcome: `${receiver.url}/teams/outcome`,
      grantEnded: `${receiver.url}/teams/grant-ended`,
    },
    webhooks: [{ name: 'local', url: `${receiver.url}/webhook/local`, secrets: [LOCAL_DEFAULT_WEBHOOK_SECRET] }],
  });
  process.env[NOTIFY_ENV.retryBaseSeconds] ||= '5';
  return receiver;
}

type LoadedFunction = HttpFunction & QueueFunction & ScheduledFunction;

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
