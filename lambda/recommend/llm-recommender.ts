import type OpenAI from 'openai';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  InternalServerError,
  OpenAIError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { PolicyConfig } from '../domain/policy-config.ts';
import type { Proposal, RecommendationContext, RecommendationResult, TokenUsage } from '../domain/recommendation.ts';
import type { Recommender } from '../ports.ts';
import { type ModelAction, ModelRecommendationSchema, RESPONSE_FORMAT_NAME } from './model-output.ts';
import { buildMessages, PROMPT_VERSION } from './prompt.ts';

/**
 * Why a model call gave no usable answer, in one short word the audit trail can keep (never the provider's text: it
 * could echo the data, or be written by a hostile endpoint).
 */
export const MODEL_FAILURE_REASONS = [
  /** No answer in time: the per-attempt timeout on every attempt, or the overall deadline. */
  'timeout',
  /** HTTP 429 after the retries (or a 429 asking for a longer wait than we allow). */
  'rate_limited',
  /** HTTP 5xx (or 408/409) after the retries. */
  'server_error',
  /** A 200 whose content is not JSON. */
  'malformed_json',
  /** JSON that does not fit the answer schema. */
  'schema_violation',
  /** The model declined to answer (`message.refusal`). */
  'refusal',
  /** The answer was cut off (`finish_reason: "length"`). */
  'length',
  /** The provider's content filter stopped the answer. */
  'content_filter',
  /** The endpoint could not be reached (DNS, TLS, connection refused or reset). */
  'connection',
  /** HTTP 401/403, or the API key could not be read (Secrets Manager). */
  'auth',
  /** Another HTTP 4xx: the request was refused (unknown model, a schema the server rejects…). */
  'bad_request',
  'unknown',
] as const;
export type ModelFailureReason = (typeof MODEL_FAILURE_REASONS)[number];

/** A model call that gave no usable answer. Its message and fields are safe to log and audit. */
export class ModelFailure extends Error {
  override readonly name = 'ModelFailure';
  /** HTTP status, when the provider answered with an error. */
  readonly status?: number;
  /** The provider's request id (`x-request-id`), when it looks like one: for a support ticket. */
  readonly requestId?: string;
  /** The class of the underlying error (e.g. `RateLimitError`, `ZodError`), not its message. */
  readonly errorType?: string;

  constructor(
    readonly reason: ModelFailureReason,
    details: { status?: number; requestId?: string; errorType?: string } = {},
  ) {
    super(`the model call failed: ${reason}${details.status !== undefined ? ` (HTTP ${details.status})` : ''}`);
    if (details.status !== undefined) this.status = details.status;
    if (details.requestId !== undefined) this.requestId = details.requestId;
    if (details.errorType !== undefined) this.errorType = details.errorType;
  }
}

export interface LlmRecommenderOptions {
  readonly client: OpenAI;
  /** The model (or Azure deployment) name sent with every request. */
  readonly model: string;
  /** Per attempt (the SDK retries timeouts). */
  readonly timeoutMs: number;
  /** Retries of timeouts, connection errors, 408/409/429/5xx (the SDK's own retry loop). */
  readonly maxRetries: number;
  /**
   * The longest retry wait the client allows (see `cappedRetryFetch` in llm-config.ts); used only to compute the
   * default deadline. Default 2000.
   */
  readonly maxRetryWaitMs?: number;
  /**
   * A hard cap on one call, retries and waits included: the call fails with `timeout` then, and its request is aborted.
   * Default: `worstCaseCallMs(...)`.
   */
  readonly deadlineMs?: number;
}

/**
 * The longest one model call can take: every attempt times out, and every wait between attempts is as long as allowed
 * (a server's retry-after up to `maxRetryWaitMs`; without one, the SDK's backoff of 0.5 s, 1 s, 2 s… at most 8 s).
 */
export function worstCaseCallMs(settings: { timeoutMs: number; maxRetries: number; maxRetryWaitMs?: number }): number {
  const cap = settings.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
  let waits = 0;
  for (let retry = 0; retry < settings.maxRetries; retry++) waits += Math.max(cap, Math.min(500 * 2 ** retry, 8000));
  return (settings.maxRetries + 1) * settings.timeoutMs + waits;
}

export const DEFAULT_MAX_RETRY_WAIT_MS = 2000;

/** Built once: the strict JSON schema the model must answer in (and the parser `parse()` applies). */
const RESPONSE_FORMAT = zodResponseFormat(ModelRecommendationSchema, RESPONSE_FORMAT_NAME);

/**
 * The model recommender: the prompt (`prompt.ts`) to any OpenAI-compatible Chat Completions endpoint, with structured
 * output, temperature 0, and the answer converted to catalog-shaped proposals. Its answer is untrusted: validation and
 * the policy come after it. Every failure is a `ModelFailure` with a short reason (`FallbackRecommender` then answers
 * with the rules).
 */
export class LlmRecommender implements Recommender {
  readonly name = 'llm' as const;
  readonly #options: LlmRecommenderOptions;
  readonly #deadlineMs: number;

  constructor(options: LlmRecommenderOptions) {
    this.#options = options;
    this.#deadlineMs = options.deadlineMs ?? worstCaseCallMs(options);
  }

  async recommend(context: RecommendationContext, policy: PolicyConfig): Promise<RecommendationResult> {
    const { client, model, timeoutMs, maxRetries } = this.#options;
    const messages = buildMessages(context, policy);
    // A hard bound on the whole call: aborts the request in flight, and does not wait for a retry sleep to end (the
    // SDK's sleeps cannot be interrupted).
    const deadline = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new ModelFailure('timeout', { errorType: 'Deadline' }));
        deadline.abort();
      }, this.#deadlineMs);
    });
    const call = client.chat.completions
      .parse(
        { model, temperature: 0, messages, response_format: RESPONSE_FORMAT },
        { timeout: timeoutMs, maxRetries, signal: deadline.signal },
      )
      .catch((error: unknown) => {
        throw toModelFailure(error);
      });
    const completion = await Promise.race([call, expired]).finally(() => clearTimeout(timer));

    const choice = completion.choices[0];
    if (!choice) throw new ModelFailure('malformed_json', { errorType: 'NoChoices' });
    const { message } = choice;
    if (message.refusal) throw new ModelFailure('refusal');
    if (!message.parsed) throw new ModelFailure(message.content ? 'malformed_json' : 'refusal');

    const usage = completion.usage;
    return {
      recommender: 'llm',
      assessment: message.parsed.assessment,
      proposals: message.parsed.actions.map(toProposal),
      model: completion.model || model,
      promptVersion: PROMPT_VERSION,
      ...(usage ? { usage: tokenUsage(usage) } : {}),
    };
  }
}

function tokenUsage(usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number }): TokenUsage {
  const n = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);
  return {
    promptTokens: n(usage.prompt_tokens),
    completionTokens: n(usage.completion_tokens),
    totalTokens: n(usage.total_tokens),
  };
}

/**
 * A model action as a catalog-shaped proposal: the null parameters dropped, the attribute list turned into an object.
 * Nothing is checked here (that is the validator's job), except that a repeated attribute name keeps the list as it
 * came, so that validation rejects it instead of one value silently winning.
 */
export function toProposal(action: ModelAction): Proposal {
  const params: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(action.params)) {
    if (value === null || value === undefined) continue;
    if (name === 'attributes' && Array.isArray(value)) {
      const names = value.map((a) => a.name);
      params.attributes =
        new Set(names).size === names.length ? Object.fromEntries(value.map((a) => [a.name, a.value])) : value;
      continue;
    }
    params[name] = value;
  }
  return {
    type: action.type,
    params,
    confidence: action.confidence,
    rationale: action.rationale,
    evidence: action.evidence,
  };
}

const SAFE_TOKEN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Maps whatever a model call threw to a `ModelFailure` (order matters: several SDK errors are subclasses of others). */
export function toModelFailure(error: unknown): ModelFailure {
  if (error instanceof ModelFailure) return error;
  // An `apiKey` function that failed (the key could not be read) comes back wrapped in an OpenAIError.
  if (error instanceof OpenAIError && error.cause instanceof ModelFailure) return error.cause;
  const errorType = error instanceof Error ? error.constructor.name : typeof error;
  if (error instanceof APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    const requestId =
      typeof error.requestID === 'string' && SAFE_TOKEN.test(error.requestID) ? error.requestID : undefined;
    const details = {
      errorType,
      ...(status !== undefined ? { status } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
    };
    if (error instanceof APIUserAbortError || error instanceof APIConnectionTimeoutError) {
      return new ModelFailure('timeout', details);
    }
    if (error instanceof APIConnectionError) return new ModelFailure('connection', details);
    if (error instanceof RateLimitError) return new ModelFailure('rate_limited', details);
    if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
      return new ModelFailure('auth', details);
    }
    if (error instanceof InternalServerError) return new ModelFailure('server_error', details);
    if (status === 408) return new ModelFailure('timeout', details);
    if (status === 409 || (status !== undefined && status >= 500)) return new ModelFailure('server_error', details);
    if (status !== undefined && status >= 400) return new ModelFailure('bad_request', details);
    return new ModelFailure('unknown', details);
  }
  if (error instanceof LengthFinishReasonError) return new ModelFailure('length', { errorType });
  if (error instanceof ContentFilterFinishReasonError) return new ModelFailure('content_filter', { errorType });
  if (error instanceof SyntaxError) return new ModelFailure('malformed_json', { errorType });
  if (error instanceof z.ZodError || error instanceof z.core.$ZodError) {
    return new ModelFailure('schema_violation', { errorType: 'ZodError' });
  }
  // Our deadline aborting a body that was still being read.
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new ModelFailure('timeout', { errorType });
  }
  return new ModelFailure('unknown', { errorType });
}
