import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { controlRequestRefusal, listen, readBody } from '../http.ts';
import {
  type ContentMode,
  completeAnswer,
  isRawAnswer,
  isStubMode,
  modeContent,
  type Responder,
  STUB_MODES,
  type StubAnswer,
  type StubChatRequest,
  type StubMode,
} from './answers.ts';
import { DEFAULT_MAX_COMPROMISED_ACTIONS } from './compromised.ts';
import { type JsonSchema, strictSchemaProblem, validateInstance } from './json-schema.ts';
import type { CalibrationDraw, TruthAction } from './miscalibrated.ts';
import {
  ChatCompletionRequestSchema,
  type ChoiceContent,
  chatCompletion,
  errorBody,
  messagesText,
  type OpenAiErrorBody,
  validationError,
} from './protocol.ts';

export interface StubRule {
  /** A substring of the messages' text, a RegExp tested on it, or a predicate on the whole request. */
  match: string | RegExp | ((request: StubChatRequest) => boolean);
  respond: Responder;
  /** Retire the rule after answering this many requests (default: never). */
  times?: number;
}

export interface OpenAiStubOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** The standing mode at start (default `normal`); `reset()` returns to it. */
  mode?: StubMode;
  /** How long `slow` waits before answering, in ms (default 30 000: longer than any sensible client timeout). */
  delayMs?: number;
  /** The wait a 429 asks for (`retry-after-ms`, and `retry-after` in whole seconds), in ms (default 1000). */
  retryAfterMs?: number;
  /** Accept only this API key (default: any non-empty Bearer token). */
  apiKey?: string;
  /** Rules present from the start (`reset()` keeps them). */
  rules?: readonly StubRule[];
  /** What `GET /v1/models` lists (any model name is accepted in requests). */
  models?: readonly string[];
  /** Most actions a compromised answer proposes (default 60; every category is always present). */
  maxCompromisedActions?: number;
  /** The seed of the mis-calibrated modes' draws (default 0): the same seed and prompt give the same answer. */
  seed?: number;
  /** Called once per request when it is answered or aborted (for a request log). */
  onRequest?: (record: StubRequestRecord) => void;
}

export interface ModeSettings {
  /** Only the next `times` chat completion requests, then back to the standing mode. */
  times?: number;
  /** For `slow`: the delay in ms. */
  delayMs?: number;
  /** For `rate_limited`: the wait the 429 asks for, in ms. */
  retryAfterMs?: number;
  /** For the mis-calibrated modes: the seed of their draws. */
  seed?: number;
}

export interface StubRequestRecord {
  /** 1, 2, 3… in order of arrival. */
  seq: number;
  at: string;
  method: string;
  path: string;
  /** Lower-case names; Authorization (and any other credential header) left out. */
  headers: Record<string, string>;
  /** The parsed JSON body (the raw text if it is not JSON; undefined when empty). */
  body: unknown;
  /** `pending` while a `slow` answer waits; `aborted` when the client went away first (or the stub stopped). */
  outcome: 'pending' | 'answered' | 'aborted';
  status?: number;
  /** For chat completions: the mode that shaped the answer (`normal` for scripted, rule and default answers). */
  mode?: StubMode;
  /** For chat completions: where the answer came from. */
  source?: 'mode' | 'script' | 'rule' | 'handler' | 'default';
  /** When the JSON content sent does not fit the requested schema: where (expected for the failure modes). */
  schemaIssues?: string[];
  /** The mis-calibrated modes: where the truth came from, and per answered action its stated confidence and whether it was right. */
  calibration?: { truth: 'rules' | 'labels'; draws: CalibrationDraw[] };
  ms?: number;
}

export interface StubModeState {
  standing: StubMode;
  /** A mode set with `times`, and how many requests it still applies to. */
  next?: { mode: StubMode; remaining: number };
  scripted: number;
  rules: number;
  /** The seed of the mis-calibrated modes' draws. */
  seed: number;
  /** How many events have labels (`setTruth`) for the mis-calibrated modes. */
  labelledEvents: number;
}

export interface OpenAiStub {
  /** `http://127.0.0.1:<port>/v1`: the `baseURL` of the OpenAI client (or `OPENAI_BASE_URL`). */
  readonly baseURL: string;
  /** `http://127.0.0.1:<port>` (health and control endpoints). */
  readonly url: string;
  readonly port: number;
  /** Sets the standing mode, or with `times` a mode for the next N chat completion requests only. */
  setMode(mode: StubMode, settings?: ModeSettings): void;
  state(): StubModeState;
  /** Queues one-off answers, used in order by the next requests (before rules and the default). */
  script(...answers: Responder[]): void;
  /** Adds a rule (after the existing ones); returns a function that removes it. */
  addRule(rule: StubRule): () => void;
  /** A catch-all consulted after the rules; return undefined for the default answer. `null` removes it. */
  respondWith(handler: ((request: StubChatRequest) => StubAnswer | undefined) | null): void;
  /**
   * The mis-calibrated modes' truth for events (by the event uuid in the prompt's context), instead of the rules
   * recommender's answer; merged with earlier labels (`reset()` clears them).
   */
  setTruth(byEvent: Readonly<Record<string, readonly TruthAction[]>>): void;
  /** Every request received so far except the control endpoint's, oldest first (copies). */
  requests(): StubRequestRecord[];
  /** Back to the state at start: requests, scripts, added rules, the handler and the mode are cleared. */
  reset(): void;
  /** Closes the server; pending `slow` answers are dropped (their connections closed). */
  stop(): Promise<void>;
}

export const DEFAULT_DELAY_MS = 30_000;
export const DEFAULT_RETRY_AFTER_MS = 1000;
export const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1'];
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_KEPT_REQUESTS = 2000;
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'cookie']);

const Seed = z.number().int().min(0).max(0xffffffff);
const ModeBodySchema = z.strictObject({
  mode: z.enum(STUB_MODES),
  times: z.number().int().min(1).optional(),
  delayMs: z.number().int().min(0).optional(),
  retryAfterMs: z.number().int().min(0).optional(),
  seed: Seed.optional(),
});
const TruthBodySchema = z.strictObject({
  events: z.record(
    z.string().min(1).max(64),
    z
      .array(z.strictObject({ type: z.string().min(1).max(100), params: z.record(z.string(), z.unknown()).optional() }))
      .max(100),
  ),
});
const ScriptBodySchema = z.strictObject({
  answers: z.array(z.union([z.enum(STUB_MODES), z.record(z.string(), z.unknown())])).min(1),
});

const digest = (value: string) => createHash('sha256').update(value).digest();

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const fail = (status: number, body: OpenAiErrorBody, headers?: Record<string, string>): Reply => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

interface ActiveMode {
  mode: StubMode;
  remaining?: number;
  delayMs?: number;
  retryAfterMs?: number;
  seed?: number;
}

/** Starts the stub; resolves once it listens. */
export async function startOpenAiStub(options: OpenAiStubOptions = {}): Promise<OpenAiStub> {
  const startMode = options.mode ?? 'normal';
  if (!isStubMode(startMode)) throw new Error(`unknown OpenAI stub mode "${String(startMode)}"`);
  const baseRules = [...(options.rules ?? [])].map((rule) => ({ rule, used: 0 }));
  let rules = [...baseRules];
  let standing: ActiveMode = { mode: startMode };
  let next: ActiveMode | undefined;
  let scripted: Responder[] = [];
  let handler: ((request: StubChatRequest) => StubAnswer | undefined) | undefined;
  let records: StubRequestRecord[] = [];
  let labels = new Map<string, readonly TruthAction[]>();
  let seq = 0;
  const startSeed = options.seed ?? 0;
  if (!Number.isInteger(startSeed) || startSeed < 0 || startSeed > 0xffffffff) {
    throw new Error('seed must be a whole number from 0 to 4294967295');
  }
  const pending = new Set<() => void>();
  const expectedKey = options.apiKey === undefined ? undefined : digest(options.apiKey);

  const setMode = (mode: StubMode, settings: ModeSettings = {}) => {
    if (!isStubMode(mode)) throw new Error(`unknown OpenAI stub mode "${String(mode)}"`);
    const active: ActiveMode = {
      mode,
      ...(settings.delayMs !== undefined ? { delayMs: settings.delayMs } : {}),
      ...(settings.retryAfterMs !== undefined ? { retryAfterMs: settings.retryAfterMs } : {}),
      ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    };
    if (settings.times !== undefined) {
      if (!Number.isInteger(settings.times) || settings.times < 1) throw new Error('times must be a positive integer');
      next = { ...active, remaining: settings.times };
    } else {
      standing = active;
      next = undefined;
    }
  };

  const state = (): StubModeState => ({
    standing: standing.mode,
    ...(next ? { next: { mode: next.mode, remaining: next.remaining ?? 0 } } : {}),
    scripted: scripted.length,
    rules: rules.length,
    seed: (next ?? standing).seed ?? startSeed,
    labelledEvents: labels.size,
  });

  /** The mode this request gets from `setMode` (consuming one use of a `times` mode), if not `normal`. */
  const takeMode = (): ActiveMode | undefined => {
    if (next) {
      const taken = next;
      next.remaining = (next.remaining ?? 1) - 1;
      if (next.remaining <= 0) next = undefined;
      return taken;
    }
    return standing.mode === 'normal' ? undefined : standing;
  };

  const matches = (rule: StubRule, request: StubChatRequest): boolean => {
    const { match } = rule;
    if (typeof match === 'string') return request.text.includes(match);
    if (match instanceof RegExp) {
      match.lastIndex = 0;
      return match.test(request.text);
    }
    return match(request);
  };

  /** Script, then rules, then the handler: the first that has an answer (undefined: the default answer). */
  const pickAnswer = (request: StubChatRequest): { answer?: StubAnswer; source: StubRequestRecord['source'] } => {
    const evaluate = (responder: Responder) => (typeof responder === 'function' ? responder(request) : responder);
    const fromScript = scripted.shift();
    if (fromScript !== undefined) return { answer: evaluate(fromScript) ?? 'normal', source: 'script' };
    for (const entry of rules) {
      if (!matches(entry.rule, request)) continue;
      entry.used += 1;
      if (entry.rule.times !== undefined && entry.used >= entry.rule.times) rules = rules.filter((r) => r !== entry);
      return { answer: evaluate(entry.rule.respond) ?? 'normal', source: 'rule' };
    }
    const fromHandler = handler?.(request);
    if (fromHandler !== undefined) return { answer: fromHandler, source: 'handler' };
    return { source: 'default' };
  };

  /** Waits `ms` unless the client goes away or the stub stops first; true when the wait ran out. */
  const wait = (ms: number, res: ServerResponse) =>
    new Promise<boolean>((resolve) => {
      const cancel = () => {
        clearTimeout(timer);
        pending.delete(cancel);
        res.off('close', cancel);
        resolve(false);
      };
      const timer = setTimeout(() => {
        pending.delete(cancel);
        res.off('close', cancel);
        resolve(true);
      }, ms);
      pending.add(cancel);
      res.on('close', cancel);
    });

  const rateLimited = (request: StubChatRequest, retryAfterMs: number): Reply =>
    fail(
      429,
      errorBody(
        `Rate limit reached for ${request.body.model} in organization org-openai-stub on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in ${retryAfterMs}ms. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        'requests',
        null,
        'rate_limit_exceeded',
      ),
      {
        'retry-after-ms': String(retryAfterMs),
        'retry-after': String(Math.ceil(retryAfterMs / 1000)),
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': `${retryAfterMs}ms`,
        'x-ratelimit-limit-tokens': '200000',
        'x-ratelimit-remaining-tokens': '199000',
        'x-ratelimit-reset-tokens': '300ms',
      },
    );

  const serverError = (): Reply =>
    fail(
      500,
      errorBody('The server had an error while processing your request. Sorry about that!', 'server_error', null, null),
    );

  const completion = (request: StubChatRequest, record: StubRequestRecord, choice: ChoiceContent): Reply => {
    if (request.format === 'json_schema' && request.schema && choice.content !== null) {
      try {
        const issues = validateInstance(JSON.parse(choice.content), request.schema);
        if (issues.length > 0) record.schemaIssues = issues.slice(0, 20);
      } catch {
        record.schemaIssues = ['$: not valid JSON'];
      }
    }
    return { status: 200, body: chatCompletion(request.body, choice) };
  };

  /** The reply for a mode: an HTTP error, or a message (after a delay for `slow`, or null if the client left). */
  const replyForMode = async (
    request: StubChatRequest,
    record: StubRequestRecord,
    active: ActiveMode,
    res: ServerResponse,
    afterDelay: () => Reply | Promise<Reply | null>,
  ): Promise<Reply | null> => {
    record.mode = active.mode;
    switch (active.mode) {
      case 'rate_limited':
        return rateLimited(request, active.retryAfterMs ?? options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
      case 'server_error':
        return serverError();
      case 'slow': {
        const elapsed = await wait(active.delayMs ?? options.delayMs ?? DEFAULT_DELAY_MS, res);
        return elapsed ? afterDelay() : null;
      }
      default:
        return completion(
          request,
          record,
          modeContent(request, active.mode as ContentMode, {
            maxActions: options.maxCompromisedActions ?? DEFAULT_MAX_COMPROMISED_ACTIONS,
            seed: active.seed ?? startSeed,
            labels,
            onDraws: (draws, truth) => {
              record.calibration = { truth, draws: [...draws] };
            },
          }),
        );
    }
  };

  /** Script, rules, handler or default; the answer may itself be a mode. */
  const normalReply = async (
    request: StubChatRequest,
    record: StubRequestRecord,
    res: ServerResponse,
  ): Promise<Reply | null> => {
    const { answer, source } = pickAnswer(request);
    record.source = source;
    record.mode = 'normal';
    if (answer === undefined) return completion(request, record, modeContent(request, 'normal'));
    if (isRawAnswer(answer)) {
      return completion(request, record, {
        content: answer.content,
        refusal: answer.refusal,
        finishReason: answer.finishReason,
      });
    }
    if (isStubMode(answer)) {
      if (answer === 'normal') return completion(request, record, modeContent(request, 'normal'));
      // a `slow` answer from a script or rule: the default answer, late
      return replyForMode(request, record, { mode: answer }, res, () =>
        completion(request, record, modeContent(request, 'normal')),
      );
    }
    const value = completeAnswer(request, answer);
    const content = typeof value === 'string' && request.format === 'text' ? value : JSON.stringify(value);
    return completion(request, record, { content, refusal: null, finishReason: 'stop' });
  };

  const chat = async (body: unknown, record: StubRequestRecord, res: ServerResponse): Promise<Reply | null> => {
    const parsed = ChatCompletionRequestSchema.safeParse(body);
    if (!parsed.success) return fail(400, validationError(parsed.error));
    const request = parsed.data;
    if (request.stream) {
      return fail(
        400,
        errorBody(
          'The OpenAI stub does not stream: send the request without `stream: true` (hookpilot never streams).',
          'invalid_request_error',
          'stream',
          'unsupported_value',
        ),
      );
    }
    const format = request.response_format;
    let schema: JsonSchema | undefined;
    let schemaName: string | undefined;
    if (format?.type === 'json_schema') {
      schemaName = format.json_schema.name;
      schema = format.json_schema.schema ?? {};
      const problem = format.json_schema.strict ? strictSchemaProblem(schema) : undefined;
      if (problem) {
        return fail(
          400,
          errorBody(
            `Invalid schema for response_format '${schemaName}': ${problem}`,
            'invalid_request_error',
            'response_format',
          ),
        );
      }
    }
    const stubRequest: StubChatRequest = {
      body: request,
      text: messagesText(request.messages),
      schemaName,
      schema,
      format: format?.type ?? 'text',
      headers: record.headers,
    };
    const active = takeMode();
    if (!active) return normalReply(stubRequest, record, res);
    record.source = 'mode';
    // `slow` set by setMode: after the delay, whatever the script, rules or default would answer
    return replyForMode(stubRequest, record, active, res, async () => {
      const late = await normalReply(stubRequest, record, res);
      record.mode = 'slow';
      return late;
    });
  };

  const authenticate = (header: string | undefined): Reply | undefined => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) {
      return fail(
        401,
        errorBody(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). The OpenAI stub accepts any non-empty key unless it was started with one.",
        ),
      );
    }
    if (expectedKey && !timingSafeEqual(digest(match[1]), expectedKey)) {
      return fail(401, errorBody('Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key'));
    }
    return undefined;
  };

  const model = (id: string) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'openai-stub' });

  const control = (method: string, path: string, body: unknown): Reply => {
    const invalid = (error: z.ZodError) => fail(400, validationError(error));
    if (path === '/__stub/mode' && method === 'GET') return { status: 200, body: state() };
    if (path === '/__stub/mode' && method === 'POST') {
      const parsed = ModeBodySchema.safeParse(body);
      if (!parsed.success) return invalid(parsed.error);
      const { mode, ...settings } = parsed.data;
      setMode(mode, settings);
      return { status: 200, body: state() };
    }
    if (path === '/__stub/script' && method === 'POST') {
      const parsed = ScriptBodySchema.safeParse(body);
      if (!parsed.success) return invalid(parsed.error);
      scripted.push(...parsed.data.answers);
      return { status: 200, body: state() };
    }
    if (path === '/__stub/truth' && method === 'POST') {
      const parsed = TruthBodySchema.safeParse(body);
      if (!parsed.success) return invalid(parsed.error);
      setTruth(parsed.data.events);
      return { status: 200, body: state() };
    }
    if (path === '/__stub/requests' && method === 'GET') return { status: 200, body: records.map(copyRecord) };
    if (path === '/__stub/reset' && method === 'POST') {
      reset();
      return { status: 200, body: state() };
    }
    return fail(404, errorBody(`Invalid URL (${method} ${path})`));
  };

  const setTruth = (byEvent: Readonly<Record<string, readonly TruthAction[]>>) => {
    labels = new Map([...labels, ...Object.entries(byEvent).map(([uuid, list]) => [uuid, [...list]] as const)]);
  };

  const reset = () => {
    labels = new Map();
    records = [];
    scripted = [];
    rules = baseRules.map((entry) => ({ rule: entry.rule, used: 0 }));
    handler = undefined;
    standing = { mode: startMode };
    next = undefined;
  };

  const route = async (
    method: string,
    path: string,
    req: IncomingMessage,
    body: unknown,
    record: StubRequestRecord,
    res: ServerResponse,
  ): Promise<Reply | null> => {
    if (path === '/health') {
      return method === 'GET' ? { status: 200, body: { status: 'ok', mode: standing.mode } } : notAllowed(method, path);
    }
    if (path === '/v1/chat/completions' || path === '/v1/models' || path.startsWith('/v1/models/')) {
      const denied = authenticate(req.headers.authorization);
      if (denied) return denied;
      if (path === '/v1/chat/completions')
        return method === 'POST' ? chat(body, record, res) : notAllowed(method, path);
      if (method !== 'GET') return notAllowed(method, path);
      const models = options.models ?? DEFAULT_MODELS;
      if (path === '/v1/models') return { status: 200, body: { object: 'list', data: models.map(model) } };
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      return models.includes(id)
        ? { status: 200, body: model(id) }
        : fail(404, errorBody(`The model '${id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found'));
    }
    return fail(404, errorBody(`Invalid URL (${method} ${path})`));
  };

  const notAllowed = (method: string, path: string) =>
    fail(
      405,
      errorBody(`Method ${method} is not allowed on ${path}.`, 'invalid_request_error', null, 'method_not_allowed'),
    );

  const send = (res: ServerResponse, reply: Reply) => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'x-request-id': `req_${randomBytes(16).toString('hex')}`,
      'openai-version': '2020-10-01',
      'openai-processing-ms': '1',
      ...reply.headers,
    });
    res.end(JSON.stringify(reply.body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://stub.invalid').pathname;
    const isControl = path.startsWith('/__stub/');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || SECRET_HEADERS.has(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const record: StubRequestRecord = {
      seq: ++seq,
      at: new Date(started).toISOString(),
      method,
      path,
      headers,
      body: undefined,
      outcome: 'pending',
    };
    const finish = (reply: Reply | null) => {
      if (reply && !res.destroyed) {
        send(res, reply);
        record.status = reply.status;
        record.outcome = 'answered';
      } else {
        record.outcome = 'aborted';
      }
      record.ms = Date.now() - started;
      options.onRequest?.(copyRecord(record));
    };
    try {
      const bytes = await readBody(req, MAX_BODY_BYTES);
      if (!bytes) return finish(fail(413, errorBody('The request body is too large.', 'invalid_request_error')));
      const raw = bytes.toString('utf8');
      const refused = isControl ? controlRequestRefusal(req, bytes.length > 0) : undefined;
      if (refused) {
        const code = refused.status === 415 ? 'unsupported_media_type' : 'cross_origin_refused';
        return finish(fail(refused.status, errorBody(refused.message, 'invalid_request_error', null, code)));
      }
      let body: unknown;
      let badJson = false;
      if (raw.trim() !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
          badJson = true;
        }
      }
      record.body = body;
      if (!isControl) {
        records.push(record);
        if (records.length > MAX_KEPT_REQUESTS) records.splice(0, records.length - MAX_KEPT_REQUESTS);
      }
      if (badJson) {
        return finish(
          fail(
            400,
            errorBody(
              "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
            ),
          ),
        );
      }
      finish(isControl ? control(method, path, body) : await route(method, path, req, body, record, res));
    } catch (error) {
      if (req.destroyed || res.destroyed) return finish(null); // the client went away mid-request
      console.error('openai-stub: unexpected error', error);
      finish(serverError());
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const listening = await listen(server, options.host, options.port ?? 0);
  const { url, port } = listening;

  return {
    baseURL: `${url}/v1`,
    url,
    port,
    setMode,
    state,
    script: (...answers) => {
      scripted.push(...answers);
    },
    addRule: (rule) => {
      const entry = { rule, used: 0 };
      rules.push(entry);
      return () => {
        rules = rules.filter((r) => r !== entry);
      };
    },
    respondWith: (fn) => {
      handler = fn ?? undefined;
    },
    setTruth,
    requests: () => records.map(copyRecord),
    reset,
    stop: async () => {
      for (const cancel of [...pending]) cancel();
      await listening.stop();
    },
  };
}

function copyRecord(record: StubRequestRecord): StubRequestRecord {
  return structuredClone(record);
}
