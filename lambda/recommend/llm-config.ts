import OpenAI from 'openai';
import { intEnv, optionalEnv, SECRET_PLACEHOLDER } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { readSecret } from '../secrets.ts';
import { LLM_ENV } from './llm-env.ts';

export { LLM_ENV };

import {
  DEFAULT_MAX_RETRY_WAIT_MS,
  type LlmRecommenderOptions,
  ModelFailure,
  worstCaseCallMs,
} from './llm-recommender.ts';

/**
 * Settings of the model recommender, from the environment. Any OpenAI-compatible Chat Completions server works (OpenAI,
 * Azure OpenAI's v1 endpoint, vLLM, Ollama, LM Studio, a gateway) as long as it supports structured output
 * (`response_format: json_schema`, strict) and `temperature: 0`.
 *
 * | Variable | Default | |
 * |---|---|---|
 * | `OPENAI_API_KEY` | | the API key (local use; any value for a server without authentication) |
 * | `HOOKPILOT_OPENAI_API_KEY_SECRET_ARN` | | deployed use: a Secrets Manager secret holding the key (plain, or `{"apiKey": "…"}`), re-read every 5 minutes |
 * | `OPENAI_BASE_URL` | `https://api.openai.com/v1` | the server |
 * | `HOOKPILOT_MODEL` | `gpt-4.1-mini` | the model (or Azure deployment) name |
 * | `HOOKPILOT_LLM_TIMEOUT_MS` | 20000 | per attempt |
 * | `HOOKPILOT_LLM_MAX_RETRIES` | 1 | retries of timeouts, connection errors, 408/409/429/5xx |
 * | `HOOKPILOT_LLM_MAX_RETRY_WAIT_MS` | 2000 | the longest wait a 429/503 `retry-after` may ask for; longer → fail at once (rules answer) |
 *
 * The default model, `gpt-4.1-mini`, is a small current OpenAI model that supports strict structured output and
 * `temperature: 0`. Reasoning models (`gpt-5*`, `o*`) reject `temperature: 0`: the call fails with `bad_request`.
 */

export const DEFAULT_MODEL = 'gpt-4.1-mini';
export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_LLM_TIMEOUT_MS = 20_000;
export const DEFAULT_LLM_MAX_RETRIES = 1;

/** Where the API key comes from. The key itself is never a property of the settings (so logging them is safe). */
export interface ApiKeySource {
  readonly kind: 'env' | 'secret';
  /** `OPENAI_API_KEY`, or the secret's ARN: what to tell a human, never the key. */
  readonly describe: string;
  /** The current key (the secret is cached for five minutes). Throws a `ModelFailure('auth')` when it cannot be read. */
  readonly get: () => Promise<string>;
}

export interface LlmSettings {
  readonly apiKey: ApiKeySource;
  readonly baseURL: string;
  readonly model: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxRetryWaitMs: number;
}

/**
 * Whether a model is configured at all: an API key (or its secret), a base URL or a model is set. When none is, the
 * rules recommender answers alone. When any is, `llmSettings()` must succeed (it names what is missing), so that a
 * half-done configuration fails at start-up instead of silently falling back to the rules.
 */
export function isModelConfigured(): boolean {
  return [LLM_ENV.apiKey, LLM_ENV.apiKeySecretArn, LLM_ENV.baseUrl, LLM_ENV.model].some(
    (name) => optionalEnv(name) !== undefined,
  );
}

/** The model settings from the environment; throws a ConfigError naming the variable that is wrong. */
export function llmSettings(): LlmSettings {
  return {
    apiKey: apiKeySource(),
    baseURL: baseUrl(),
    model: modelName(),
    timeoutMs: intEnv(LLM_ENV.timeoutMs, DEFAULT_LLM_TIMEOUT_MS, { min: 100, max: 300_000 }),
    maxRetries: intEnv(LLM_ENV.maxRetries, DEFAULT_LLM_MAX_RETRIES, { min: 0, max: 5 }),
    maxRetryWaitMs: intEnv(LLM_ENV.maxRetryWaitMs, DEFAULT_MAX_RETRY_WAIT_MS, { min: 0, max: 60_000 }),
  };
}

function apiKeySource(): ApiKeySource {
  const key = optionalEnv(LLM_ENV.apiKey);
  if (key !== undefined) return { kind: 'env', describe: LLM_ENV.apiKey, get: async () => key };
  const arn = optionalEnv(LLM_ENV.apiKeySecretArn);
  if (arn === undefined) {
    throw new ConfigError(
      `${LLM_ENV.apiKey} or ${LLM_ENV.apiKeySecretArn} must be set: the model API key (any value for a local server without authentication), or the ARN of a Secrets Manager secret holding it`,
    );
  }
  if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(arn)) {
    throw new ConfigError(
      `${LLM_ENV.apiKeySecretArn} must be the ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`,
    );
  }
  return { kind: 'secret', describe: arn, get: () => keyFromSecret(arn) };
}

async function keyFromSecret(arn: string): Promise<string> {
  let raw: string;
  try {
    raw = await readSecret(arn, LLM_ENV.apiKeySecretArn, 'the model API key');
  } catch {
    throw new ModelFailure('auth', { errorType: 'SecretUnavailable' });
  }
  const key = keyOf(raw);
  if (!key || key === SECRET_PLACEHOLDER) throw new ModelFailure('auth', { errorType: 'SecretInvalid' });
  return key;
}

/** The key in a secret string: the string itself, or the `apiKey` (or `OPENAI_API_KEY`) field of a JSON object. */
function keyOf(raw: string): string | undefined {
  const text = raw.trim();
  if (!text.startsWith('{')) return text || undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const key = value.apiKey ?? value.OPENAI_API_KEY;
    return typeof key === 'string' && key.trim() ? key.trim() : undefined;
  } catch {
    return undefined;
  }
}

function baseUrl(): string {
  const raw = optionalEnv(LLM_ENV.baseUrl);
  if (raw === undefined) return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${LLM_ENV.baseUrl} is not a URL (expected e.g. ${DEFAULT_BASE_URL})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${LLM_ENV.baseUrl} must be an http(s) URL (got ${url.protocol})`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(
      `${LLM_ENV.baseUrl} must not carry credentials, a query or a fragment (put the key in ${LLM_ENV.apiKey})`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

function modelName(): string {
  const model = optionalEnv(LLM_ENV.model) ?? DEFAULT_MODEL;
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/.test(model)) {
    throw new ConfigError(
      `${LLM_ENV.model} must be a model name such as ${DEFAULT_MODEL} (letters, digits and . _ : / @ -; got "${model.slice(0, 40)}")`,
    );
  }
  return model;
}

/**
 * A `fetch` that refuses to wait long for a rate limit: when a 429 or 503 asks (`retry-after-ms`, or `retry-after` in
 * seconds or as a date) for a longer wait than `maxWaitMs`, the response is marked `x-should-retry: false`, so the SDK
 * gives up at once with its usual error (→ `rate_limited` / `server_error`, and the rules answer) instead of sleeping
 * as long as the server says (openai 6.49 obeys retry-after without an upper bound). Shorter waits are honoured.
 */
export function cappedRetryFetch(maxWaitMs: number, inner: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.status !== 429 && response.status !== 503) return response;
    const wait = requestedWaitMs(response.headers);
    if (wait === undefined || wait <= maxWaitMs) return response;
    const headers = new Headers(response.headers);
    headers.set('x-should-retry', 'false');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** The wait a response asks for, read the way the openai SDK reads it. */
export function requestedWaitMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (!Number.isNaN(ms)) return ms;
  const retryAfter = headers.get('retry-after');
  if (!retryAfter) return undefined;
  const seconds = Number.parseFloat(retryAfter);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : date - now;
}

/**
 * The OpenAI client, with every option explicit so that nothing comes from the SDK's own reading of `OPENAI_*`
 * variables (`OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`, `OPENAI_ADMIN_KEY`, `OPENAI_WEBHOOK_SECRET`, `OPENAI_LOG`…). The key
 * is given as a function, so a rotated secret is picked up without a restart and the key is never part of an option
 * object someone might log. The SDK's own logging is off: failures reach the caller as errors.
 *
 * One thing no option turns off: the SDK still adds headers from `OPENAI_CUSTOM_HEADERS` when that variable is set.
 */
export function createOpenAiClient(settings: LlmSettings, options: { fetch?: typeof fetch } = {}): OpenAI {
  return new OpenAI({
    apiKey: settings.apiKey.get,
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    baseURL: settings.baseURL,
    timeout: settings.timeoutMs,
    maxRetries: settings.maxRetries,
    fetch: cappedRetryFetch(settings.maxRetryWaitMs, options.fetch),
    defaultHeaders: {},
    defaultQuery: {},
    dangerouslyAllowBrowser: false,
    logLevel: 'off',
  });
}

/** The options of an `LlmRecommender` for these settings (the client built by `createOpenAiClient` unless given). */
export function llmRecommenderOptions(settings: LlmSettings, client?: OpenAI): LlmRecommenderOptions {
  return {
    client: client ?? createOpenAiClient(settings),
    model: settings.model,
    timeoutMs: settings.timeoutMs,
    maxRetries: settings.maxRetries,
    maxRetryWaitMs: settings.maxRetryWaitMs,
    deadlineMs: worstCaseCallMs(settings),
  };
}

/** The settings in words, for a start-up log line (never the key). */
export function describeLlmSettings(settings: LlmSettings): string {
  return `model ${settings.model} at ${settings.baseURL} (key from ${settings.apiKey.describe}), timeout ${settings.timeoutMs} ms per attempt, ${settings.maxRetries} retries, retry waits up to ${settings.maxRetryWaitMs} ms, at most ${worstCaseCallMs(settings)} ms per call`;
}
