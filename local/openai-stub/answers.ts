import { NULL_PARAMS, RESPONSE_FORMAT_NAME } from '../../lambda/recommend/model-output.ts';
import { COMPROMISED_TEXT, compromisedRecommendation } from './compromised.ts';
import { fillRequired, type JsonSchema, minimalInstance, validateInstance } from './json-schema.ts';
import {
  type CalibrationDraw,
  isMiscalibratedMode,
  miscalibratedRecommendation,
  type TruthAction,
} from './miscalibrated.ts';
import type { ChatCompletionRequest, ChoiceContent, FinishReason } from './protocol.ts';

/** The failure modes (and `normal`). See docs/openai-stub.md. */
export const STUB_MODES = [
  'normal',
  'malformed',
  'refusal',
  'schema_violation',
  'slow',
  'rate_limited',
  'server_error',
  'compromised',
  'length',
  'content_filter',
  'overconfident',
  'underconfident',
  'random',
  'calibrated',
] as const;
export type StubMode = (typeof STUB_MODES)[number];

export const isStubMode = (value: unknown): value is StubMode =>
  typeof value === 'string' && (STUB_MODES as readonly string[]).includes(value);

/** A chat completion request as scripts, rules and handlers see it. */
export interface StubChatRequest {
  /** The validated request body (unknown fields kept). */
  readonly body: ChatCompletionRequest;
  /** Every message's content, one per line: what string and RegExp rules match against. */
  readonly text: string;
  /** `response_format.json_schema.name`, when the request asks for structured output. */
  readonly schemaName: string | undefined;
  /** `response_format.json_schema.schema`. */
  readonly schema: JsonSchema | undefined;
  /** `text`, `json_object` or `json_schema` (`text` when there is no `response_format`). */
  readonly format: 'text' | 'json_object' | 'json_schema';
  /** Lower-case header names, without Authorization. */
  readonly headers: Readonly<Record<string, string>>;
}

const RAW = Symbol('openai-stub.raw');

/** An answer sent exactly as given: the message `content` text (or null), its `refusal` and `finish_reason`. */
export interface RawAnswer {
  readonly [RAW]: true;
  readonly content: string | null;
  readonly refusal: string | null;
  readonly finishReason: FinishReason;
}

/**
 * `rawAnswer('```json\n{…}\n```')` — content the stub does not touch (no JSON encoding, no completion of missing
 * fields): for answers no schema could describe, such as JSON wrapped in a Markdown fence.
 */
export function rawAnswer(
  content: string | null,
  options: { refusal?: string | null; finishReason?: FinishReason } = {},
): RawAnswer {
  return { [RAW]: true, content, refusal: options.refusal ?? null, finishReason: options.finishReason ?? 'stop' };
}

export const isRawAnswer = (value: unknown): value is RawAnswer =>
  typeof value === 'object' && value !== null && RAW in value;

/**
 * What a script entry, a rule or a handler answers with: an object (encoded as the message's JSON content; for
 * `hookpilot_recommendation`, missing fields are filled in, so `{ actions: [{ type, params: { userId, groupId } }] }`
 * is enough), a mode (the answer that mode gives), or a {@link rawAnswer}.
 */
export type StubAnswer = StubMode | RawAnswer | Readonly<Record<string, unknown>>;
export type Responder = StubAnswer | ((request: StubChatRequest) => StubAnswer | undefined);

export const REFUSAL_TEXT = "I can't help with that.";

/** The default answer for `hookpilot_recommendation`: nothing to do. */
export const DEFAULT_RECOMMENDATION = {
  assessment: 'No change is needed (default answer of the OpenAI stub: nothing was scripted for this request).',
  actions: [],
} as const;

const DEFAULT_TEXT = 'This is the OpenAI stub. Nothing was scripted for this request.';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Fills what a scripted recommendation leaves out: confidence 0.9, a rationale, no evidence, null parameters. */
function completeRecommendation(answer: Record<string, unknown>): Record<string, unknown> {
  return {
    assessment: 'Scripted answer of the OpenAI stub.',
    ...answer,
    actions: Array.isArray(answer.actions)
      ? answer.actions.map((a) =>
          isRecord(a)
            ? {
                confidence: 0.9,
                rationale: 'Scripted answer of the OpenAI stub.',
                evidence: [],
                ...a,
                params: isRecord(a.params) ? { ...NULL_PARAMS, ...a.params } : a.params,
              }
            : a,
        )
      : (answer.actions ?? []),
  };
}

/** The JSON value an object answer becomes for this request (completed against the requested schema). */
export function completeAnswer(request: StubChatRequest, answer: Readonly<Record<string, unknown>>): unknown {
  if (request.format !== 'json_schema' || !request.schema) return answer;
  const value = request.schemaName === RESPONSE_FORMAT_NAME ? completeRecommendation({ ...answer }) : answer;
  return fillRequired(value, request.schema);
}

/** The default answer: the empty recommendation, a minimal instance of any other schema, `{}`, or a line of text. */
export function defaultContent(request: StubChatRequest): string {
  if (request.format === 'json_schema') {
    if (request.schemaName === RESPONSE_FORMAT_NAME)
      return JSON.stringify(completeAnswer(request, DEFAULT_RECOMMENDATION));
    return JSON.stringify(request.schema ? minimalInstance(request.schema) : {});
  }
  if (request.format === 'json_object') return '{}';
  return DEFAULT_TEXT;
}

/** A proper prefix of the content that is not valid JSON (what a model cut off mid-answer sends). */
export function truncate(content: string): string {
  let cut = content.slice(0, Math.max(1, Math.floor(content.length * 0.6)));
  try {
    JSON.parse(cut);
    cut = `{"${cut}`;
  } catch {
    // not JSON: what we want
  }
  return cut;
}

const wrongType = (value: unknown): unknown =>
  typeof value === 'string' ? 42 : Array.isArray(value) ? 'none' : typeof value === 'number' ? 'high' : [value];

/** Valid JSON of the wrong shape: for hookpilot, wrong types, a missing field and an extra one. */
export function violationContent(request: StubChatRequest): string {
  if (request.schemaName === RESPONSE_FORMAT_NAME) {
    return JSON.stringify({
      assessment: 42,
      actions: [{ type: 'group.add_member', params: { userId: 7 }, confidence: 'very high' }],
      verdict: 'approve',
    });
  }
  if (request.format === 'json_schema' && request.schema) {
    const schema = request.schema;
    const minimal = minimalInstance(schema);
    const wrong: unknown = isRecord(minimal)
      ? Object.fromEntries([
          ...Object.entries(minimal).map(([k, v]) => [k, wrongType(v)]),
          ['unexpected_property', true],
        ])
      : { unexpected_property: true };
    return JSON.stringify(validateInstance(wrong, schema).length > 0 ? wrong : ['not', 'the', 'requested', 'shape']);
  }
  return JSON.stringify({ unexpected_property: true });
}

/** The compromised model's answer (see compromised.ts). */
export function compromisedContent(request: StubChatRequest, maxActions?: number): string {
  if (request.format === 'json_schema') {
    if (request.schemaName === RESPONSE_FORMAT_NAME) {
      return JSON.stringify(compromisedRecommendation(request.text, maxActions).recommendation);
    }
    return JSON.stringify(
      request.schema ? minimalInstance(request.schema, request.schema, { string: () => COMPROMISED_TEXT }) : {},
    );
  }
  if (request.format === 'json_object') return JSON.stringify({ instruction: COMPROMISED_TEXT });
  return COMPROMISED_TEXT;
}

export type ContentMode = Exclude<StubMode, 'slow' | 'rate_limited' | 'server_error'>;

export interface ContentSettings {
  /** `compromised`: most actions per answer. */
  readonly maxActions?: number;
  /** The mis-calibrated modes: the PRNG seed (default 0). */
  readonly seed?: number;
  /** The mis-calibrated modes: true actions by event uuid, instead of the rules recommender's answer. */
  readonly labels?: ReadonlyMap<string, readonly TruthAction[]>;
  /** The mis-calibrated modes: told what was drawn for each answered action (the request log keeps it). */
  readonly onDraws?: (draws: readonly CalibrationDraw[], truth: 'rules' | 'labels') => void;
}

/** A mis-calibrated model's answer; for anything but a hookpilot prompt, the default answer. */
function miscalibratedContent(request: StubChatRequest, mode: ContentMode, settings: ContentSettings): string {
  if (isMiscalibratedMode(mode) && request.schemaName === RESPONSE_FORMAT_NAME) {
    const answer = miscalibratedRecommendation(request.text, mode, {
      ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
      ...(settings.labels ? { labels: settings.labels } : {}),
    });
    if (answer) {
      settings.onDraws?.(answer.draws, answer.truth);
      return JSON.stringify(answer.recommendation);
    }
  }
  return defaultContent(request);
}

/** The message a content mode produces (`normal`: the default answer). */
export function modeContent(
  request: StubChatRequest,
  mode: ContentMode,
  settings: ContentSettings = {},
): ChoiceContent {
  const maxActions = settings.maxActions;
  switch (mode) {
    case 'normal':
      return { content: defaultContent(request), refusal: null, finishReason: 'stop' };
    case 'malformed':
      return { content: truncate(defaultContent(request)), refusal: null, finishReason: 'stop' };
    case 'length':
      return { content: truncate(defaultContent(request)), refusal: null, finishReason: 'length' };
    case 'content_filter':
      return { content: truncate(defaultContent(request)), refusal: null, finishReason: 'content_filter' };
    case 'refusal':
      return { content: null, refusal: REFUSAL_TEXT, finishReason: 'stop' };
    case 'schema_violation':
      return { content: violationContent(request), refusal: null, finishReason: 'stop' };
    case 'compromised':
      return { content: compromisedContent(request, maxActions), refusal: null, finishReason: 'stop' };
    case 'overconfident':
    case 'underconfident':
    case 'random':
    case 'calibrated':
      return { content: miscalibratedContent(request, mode, settings), refusal: null, finishReason: 'stop' };
  }
}
