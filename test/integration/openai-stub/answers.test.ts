import { AuthenticationError, BadRequestError, NotFoundError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ModelRecommendationSchema, RESPONSE_FORMAT_NAME } from '../../../lambda/recommend/model-output.ts';
import {
  DEFAULT_RECOMMENDATION,
  type OpenAiStub,
  rawAnswer,
  startOpenAiStub,
  stubOptionsFromEnv,
} from '../../../local/openai-stub/index.ts';
import { chatRequests, client, IDS, recommend, recommendationMessages, rejection } from './helpers.ts';

let stub: OpenAiStub;

beforeAll(async () => {
  stub = await startOpenAiStub({
    rules: [{ match: 'RULE-AT-START', respond: { assessment: 'from a start rule', actions: [] } }],
  });
});

afterAll(async () => {
  await stub.stop();
});

beforeEach(() => stub.reset());

const groupAdd = (groupId: string) => ({ type: 'group.add_member', params: { userId: IDS.subject, groupId } });

describe('answers', () => {
  it('answers with the default recommendation when nothing is scripted, as a real chat.completion', async () => {
    const completion = await recommend(client(stub));
    expect(completion).toMatchObject({ object: 'chat.completion', model: 'gpt-4o-mini' });
    expect(completion.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(completion.created).toBeGreaterThan(1_700_000_000);
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('stop');
    expect(choice?.message.role).toBe('assistant');
    expect(choice?.message.refusal).toBeNull();
    expect(choice?.message.parsed).toEqual(DEFAULT_RECOMMENDATION);
    const usage = completion.usage;
    expect(usage?.prompt_tokens).toBeGreaterThan(50);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    expect(chatRequests(stub)[0]).toMatchObject({ source: 'default', mode: 'normal', status: 200 });
  });

  it('serves scripted answers first in, first out, then the default; partial actions are completed', async () => {
    const openai = client(stub);
    stub.script(
      { assessment: 'first', actions: [groupAdd(IDS.sales)] },
      {
        assessment: 'second',
        actions: [{ ...groupAdd(IDS.admins), confidence: 0.4, rationale: 'why', evidence: ['peer data'] }],
      },
    );
    const first = (await recommend(openai)).choices[0]?.message.parsed;
    const second = (await recommend(openai)).choices[0]?.message.parsed;
    const third = (await recommend(openai)).choices[0]?.message.parsed;
    expect(first).toEqual({
      assessment: 'first',
      actions: [
        {
          type: 'group.add_member',
          params: {
            userId: IDS.subject,
            groupId: IDS.sales,
            appId: null,
            roleType: null,
            attributes: null,
            oauthTokens: null,
          },
          confidence: 0.9,
          rationale: 'Scripted answer of the OpenAI stub.',
          evidence: [],
        },
      ],
    });
    expect(second?.actions[0]).toMatchObject({ confidence: 0.4, rationale: 'why', evidence: ['peer data'] });
    expect(second?.actions[0]?.params.groupId).toBe(IDS.admins);
    expect(third).toEqual(DEFAULT_RECOMMENDATION);
    expect(chatRequests(stub).map((r) => r.source)).toEqual(['script', 'script', 'default']);
    expect(chatRequests(stub).every((r) => r.schemaIssues === undefined)).toBe(true);
  });

  it('matches rules by substring, RegExp and predicate, in order, with a `times` limit', async () => {
    const openai = client(stub);
    stub.addRule({ match: 'PROMOTION', respond: { assessment: 'substring', actions: [] } });
    stub.addRule({ match: /terminat(ed|ion)/i, respond: { assessment: 'regexp', actions: [] }, times: 1 });
    stub.addRule({
      match: (request) => request.body.messages.length === 3,
      respond: (request) => ({ assessment: `predicate saw ${request.schemaName}`, actions: [] }),
    });
    const ask = async (extra: string, messages = recommendationMessages(extra)) =>
      (await recommend(openai, messages)).choices[0]?.message.parsed?.assessment;

    expect(await ask(' PROMOTION and Termination')).toBe('substring');
    expect(await ask(' Termination')).toBe('regexp');
    expect(await ask(' Termination')).toBe(DEFAULT_RECOMMENDATION.assessment); // times: 1 used up
    expect(await ask('', [...recommendationMessages(), { role: 'user', content: 'third message' }])).toBe(
      `predicate saw ${RESPONSE_FORMAT_NAME}`,
    );
    expect(await ask(' RULE-AT-START')).toBe('from a start rule');
    expect(chatRequests(stub).map((r) => r.source)).toEqual(['rule', 'rule', 'default', 'rule', 'rule']);
  });

  it('a script entry wins over a matching rule, and removing a rule stops it matching', async () => {
    const openai = client(stub);
    const remove = stub.addRule({ match: 'anything', respond: { assessment: 'rule', actions: [] } });
    stub.script({ assessment: 'script', actions: [] });
    const messages = recommendationMessages(' anything');
    expect((await recommend(openai, messages)).choices[0]?.message.parsed?.assessment).toBe('script');
    expect((await recommend(openai, messages)).choices[0]?.message.parsed?.assessment).toBe('rule');
    remove();
    expect((await recommend(openai, messages)).choices[0]?.message.parsed?.assessment).toBe(
      DEFAULT_RECOMMENDATION.assessment,
    );
  });

  it('a rule or script entry can answer with a failure mode', async () => {
    const openai = client(stub);
    stub.addRule({ match: 'REFUSE-ME', respond: 'refusal' });
    const refused = await recommend(openai, recommendationMessages(' REFUSE-ME'));
    expect(refused.choices[0]?.message.parsed).toBeNull();
    expect(refused.choices[0]?.message.refusal).toBe("I can't help with that.");

    stub.script('schema_violation');
    expect(await rejection(recommend(openai))).toBeInstanceOf(z.ZodError);
  });

  it('respondWith is consulted after rules; undefined falls through to the default', async () => {
    const openai = client(stub);
    stub.respondWith((request) =>
      request.text.includes('HANDLED') ? { assessment: 'handler', actions: [groupAdd(IDS.everyone)] } : undefined,
    );
    const handled = (await recommend(openai, recommendationMessages(' HANDLED'))).choices[0]?.message.parsed;
    expect(handled?.assessment).toBe('handler');
    expect(handled?.actions[0]?.params.groupId).toBe(IDS.everyone);
    expect((await recommend(openai)).choices[0]?.message.parsed).toEqual(DEFAULT_RECOMMENDATION);
    stub.respondWith(null);
    expect((await recommend(openai, recommendationMessages(' HANDLED'))).choices[0]?.message.parsed).toEqual(
      DEFAULT_RECOMMENDATION,
    );
  });

  it('sends a raw answer untouched (a fenced JSON answer breaks JSON.parse in the SDK)', async () => {
    stub.script(rawAnswer(`\`\`\`json\n${JSON.stringify(DEFAULT_RECOMMENDATION)}\n\`\`\``));
    expect(await rejection(recommend(client(stub)))).toBeInstanceOf(SyntaxError);
  });

  it('answers any other schema with a minimal valid instance', async () => {
    const Other = z.object({
      title: z.string(),
      score: z.number(),
      level: z.enum(['low', 'high']),
      note: z.string().nullable(),
      tags: z.array(z.string()),
      nested: z.object({ flag: z.boolean(), count: z.number().int() }),
    });
    const completion = await client(stub).chat.completions.parse({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'anything' }],
      response_format: zodResponseFormat(Other, 'other_thing'),
    });
    expect(completion.choices[0]?.message.parsed).toEqual({
      title: '',
      score: 0,
      level: 'low',
      note: null,
      tags: [],
      nested: { flag: false, count: 0 },
    });
  });

  it('answers plain text requests with text', async () => {
    const completion = await client(stub).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    });
    expect(completion.choices[0]?.message.content).toMatch(/OpenAI stub/);
    expect(chatRequests(stub)[0]?.body).toMatchObject({ messages: [{ content: [{ type: 'text', text: 'hello' }] }] });
  });

  it('answers n > 1 with n choices', async () => {
    const completion = await client(stub).chat.completions.create({
      model: 'gpt-4o-mini',
      n: 2,
      messages: [{ role: 'user', content: 'two please' }],
    });
    expect(completion.choices.map((c) => c.index)).toEqual([0, 1]);
  });
});

describe('the protocol', () => {
  it('refuses a request without a Bearer key with 401 in OpenAI’s error shape', async () => {
    for (const authorization of [undefined, 'Bearer ', 'Basic dGVzdDp0ZXN0']) {
      const response = await fetch(`${stub.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(body.error.type).toBe('invalid_request_error');
      expect(String(body.error.message)).toMatch(/API key/);
    }
    expect(chatRequests(stub).map((r) => r.status)).toEqual([401, 401, 401]);
  });

  it('with a configured key, a wrong key is an AuthenticationError in the SDK (and is never recorded)', async () => {
    const keyed = await startOpenAiStub({ apiKey: 'sk-right' });
    try {
      const error = await rejection(recommend(client(keyed, { apiKey: 'sk-wrong-secret' })));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect((await recommend(client(keyed, { apiKey: 'sk-right' }))).choices[0]?.message.parsed).toEqual(
        DEFAULT_RECOMMENDATION,
      );
      expect(JSON.stringify(keyed.requests())).not.toMatch(/sk-wrong-secret|sk-right/);
    } finally {
      await keyed.stop();
    }
  });

  it('answers invalid requests with OpenAI-shaped 400s', async () => {
    const post = async (body: string) => {
      const response = await fetch(`${stub.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
        body,
      });
      return { status: response.status, body: (await response.json()) as { error: Record<string, unknown> } };
    };
    const noModel = await post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(noModel).toEqual({
      status: 400,
      body: {
        error: {
          message: "Missing required parameter: 'model'.",
          type: 'invalid_request_error',
          param: 'model',
          code: 'missing_required_parameter',
        },
      },
    });
    const badRole = await post(JSON.stringify({ model: 'm', messages: [{ role: 'wizard', content: 'hi' }] }));
    expect(badRole.status).toBe(400);
    expect(badRole.body.error).toMatchObject({ param: 'messages[0].role', code: 'invalid_value' });
    const noMessages = await post(JSON.stringify({ model: 'm', messages: [] }));
    expect(noMessages.body.error.param).toBe('messages');
    const notJson = await post('{"model": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/could not parse the JSON body/);
    const streaming = await post(
      JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(streaming).toMatchObject({ status: 400, body: { error: { param: 'stream', code: 'unsupported_value' } } });
    expect(streaming.body.error.message).toMatch(/does not stream/);
  });

  it('refuses a strict schema that OpenAI would refuse (BadRequestError on response_format)', async () => {
    const error = await rejection(
      client(stub).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'loose',
            strict: true,
            schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
          },
        },
      }),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'response_format' });
    expect((error as Error).message).toMatch(/'additionalProperties' is required to be supplied and to be false/);
  });

  it('lists models, serves /health, and 404s unknown URLs in OpenAI’s shape', async () => {
    const openai = client(stub);
    const models = [];
    for await (const model of openai.models.list()) models.push(model.id);
    expect(models).toContain('gpt-4o-mini');
    expect((await openai.models.retrieve('gpt-4o')).id).toBe('gpt-4o');
    expect(await rejection(openai.models.retrieve('no-such-model'))).toBeInstanceOf(NotFoundError);

    const health = await fetch(`${stub.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok', mode: 'normal' });
    const unknown = await fetch(`${stub.baseURL}/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer t' },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: { message: 'Invalid URL (POST /v1/completions)', type: 'invalid_request_error', param: null, code: null },
    });
  });
});

describe('requests()', () => {
  it('records every request with its body and headers, but never the Authorization header', async () => {
    await recommend(client(stub, { apiKey: 'sk-do-not-record-me' }));
    const [record] = chatRequests(stub);
    expect(record).toMatchObject({ seq: expect.any(Number), method: 'POST', outcome: 'answered', status: 200 });
    expect(record?.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: RESPONSE_FORMAT_NAME, strict: true } },
    });
    const prompt = JSON.stringify((record?.body as { messages?: unknown } | undefined)?.messages);
    expect(prompt).toContain(IDS.subject);
    expect(record?.headers['x-stainless-helper-method']).toBe('chat.completions.parse');
    expect(record?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(stub.requests())).not.toContain('sk-do-not-record-me');

    const overHttp = (await (await fetch(`${stub.url}/__stub/requests`)).json()) as unknown[];
    expect(overHttp).toEqual(stub.requests());
  });

  it('reset() clears requests, scripts, added rules, the handler and the mode', async () => {
    const openai = client(stub);
    stub.script({ assessment: 'scripted', actions: [] });
    stub.addRule({ match: 'x', respond: 'refusal' });
    stub.respondWith(() => 'refusal');
    stub.setMode('compromised');
    await recommend(openai);
    stub.reset();
    expect(stub.requests()).toEqual([]);
    expect(stub.state()).toEqual({ standing: 'normal', scripted: 0, rules: 1, seed: 0, labelledEvents: 0 }); // the start rule stays
    expect((await recommend(openai, recommendationMessages(' x'))).choices[0]?.message.parsed).toEqual(
      DEFAULT_RECOMMENDATION,
    );
  });
});

describe('the control endpoint', () => {
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stub.url}${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('POST /__stub/mode sets a mode for the next N requests', async () => {
    const openai = client(stub);
    expect(await control('POST', '/__stub/mode', { mode: 'refusal', times: 1 })).toEqual({
      status: 200,
      body: {
        standing: 'normal',
        next: { mode: 'refusal', remaining: 1 },
        scripted: 0,
        rules: 1,
        seed: 0,
        labelledEvents: 0,
      },
    });
    expect((await recommend(openai)).choices[0]?.message.refusal).toBe("I can't help with that.");
    expect((await recommend(openai)).choices[0]?.message.parsed).toEqual(DEFAULT_RECOMMENDATION);
    expect((await control('GET', '/__stub/mode')).body).toMatchObject({ standing: 'normal' });
    expect(stub.requests().every((r) => !r.path.startsWith('/__stub/'))).toBe(true);
  });

  it('POST /__stub/script queues answers; bad control bodies get a 400', async () => {
    await control('POST', '/__stub/script', { answers: [{ assessment: 'over http', actions: [] }, 'refusal'] });
    const openai = client(stub);
    expect((await recommend(openai)).choices[0]?.message.parsed?.assessment).toBe('over http');
    expect((await recommend(openai)).choices[0]?.message.parsed).toBeNull();
    expect((await control('POST', '/__stub/mode', { mode: 'sleepy' })).status).toBe(400);
    expect((await control('POST', '/__stub/mode', { mode: 'slow', times: 0 })).status).toBe(400);
    expect((await control('POST', '/__stub/script', { answers: [] })).status).toBe(400);
    expect(await control('POST', '/__stub/reset')).toMatchObject({ status: 200, body: { standing: 'normal' } });
  });
});

describe('stubOptionsFromEnv', () => {
  it('reads the mode and timings, and names the variable that is wrong', () => {
    expect(
      stubOptionsFromEnv({ OPENAI_STUB_MODE: 'compromised', OPENAI_STUB_PORT: '8788', OPENAI_STUB_DELAY_MS: '500' }),
    ).toEqual({ mode: 'compromised', port: 8788, delayMs: 500 });
    expect(() => stubOptionsFromEnv({ OPENAI_STUB_MODE: 'evil' })).toThrow(/OPENAI_STUB_MODE must be one of/);
    expect(() => stubOptionsFromEnv({ OPENAI_STUB_RETRY_AFTER_MS: '-1' })).toThrow(/OPENAI_STUB_RETRY_AFTER_MS/);
  });

  it('a stub started in a mode answers in it and returns to it after reset()', async () => {
    const started = await startOpenAiStub(stubOptionsFromEnv({ OPENAI_STUB_MODE: 'refusal' }));
    try {
      expect((await recommend(client(started))).choices[0]?.message.refusal).toBe("I can't help with that.");
      started.setMode('normal');
      expect((await recommend(client(started))).choices[0]?.message.parsed).toEqual(DEFAULT_RECOMMENDATION);
      started.reset();
      expect(started.state().standing).toBe('refusal');
    } finally {
      await started.stop();
    }
  });
});

it('the answer schema is the one the recommender sends', () => {
  // If model-output.ts changes shape, the stub's default answer must still parse.
  expect(ModelRecommendationSchema.parse(DEFAULT_RECOMMENDATION)).toEqual(DEFAULT_RECOMMENDATION);
});
