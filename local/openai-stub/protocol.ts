import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * The OpenAI wire format the stub speaks: the Chat Completions request it accepts (validated with zod), the
 * `chat.completion` object it answers with, and OpenAI's error body `{"error":{"message","type","param","code"}}`.
 */

const ContentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });

export const ChatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
  name: z.string().optional(),
});

export const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, underscores or dashes'),
      description: z.string().optional(),
      strict: z.boolean().nullable().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
]);

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  response_format: ResponseFormatSchema.optional(),
  stream: z.boolean().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(8).nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
});

export type ChatMessage = z.infer<typeof ChatMessageSchema>;
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export const errorBody = (
  message: string,
  type = 'invalid_request_error',
  param: string | null = null,
  code: string | null = null,
): OpenAiErrorBody => ({ error: { message, type, param, code } });

/** A zod failure as OpenAI words it (first issue only, like the API). */
export function validationError(error: z.ZodError): OpenAiErrorBody {
  const issue = error.issues[0];
  if (!issue) return errorBody('Invalid request.');
  const param = issue.path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return errorBody(
      `Missing required parameter: '${param}'.`,
      'invalid_request_error',
      param,
      'missing_required_parameter',
    );
  }
  const code = issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value';
  return errorBody(
    `Invalid value for '${param || 'body'}': ${issue.message}.`,
    'invalid_request_error',
    param || null,
    code,
  );
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const randomId = (prefix: string, length: number): string =>
  prefix + Array.from(randomBytes(length), (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');

/** Every message's text, one per line (string contents and the text of content parts). */
export function messagesText(messages: readonly ChatMessage[]): string {
  return messages
    .map((m) =>
      typeof m.content === 'string'
        ? m.content
        : Array.isArray(m.content)
          ? m.content.map((p) => p.text ?? '').join('\n')
          : '',
    )
    .join('\n');
}

/** A rough token count (about four characters per token, as OpenAI's rule of thumb). */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

export type FinishReason = 'stop' | 'length' | 'content_filter';

export interface ChoiceContent {
  content: string | null;
  refusal: string | null;
  finishReason: FinishReason;
}

/** A `chat.completion` object, as the API returns it (`n` identical choices). */
export function chatCompletion(request: ChatCompletionRequest, answer: ChoiceContent) {
  const n = request.n ?? 1;
  const completionTokens = estimateTokens(answer.content ?? answer.refusal ?? '');
  const promptTokens = estimateTokens(messagesText(request.messages)) + 3 * request.messages.length;
  return {
    id: randomId('chatcmpl-', 29),
    object: 'chat.completion' as const,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant' as const, content: answer.content, refusal: answer.refusal, annotations: [] },
      finish_reason: answer.finishReason,
      logprobs: null,
    })),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens * n,
      total_tokens: promptTokens + completionTokens * n,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_openai_stub',
  };
}
