import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  InternalServerError,
  RateLimitError,
} from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/error';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { DEFAULT_RECOMMENDATION, type OpenAiStub, startOpenAiStub } from '../../../local/openai-stub/index.ts';
import { chatRequests, client, recommend, rejection } from './helpers.ts';

let stub: OpenAiStub;

beforeAll(async () => {
  // Short waits keep the retry tests fast; the defaults (30 s, 1 s) are what the local stack gets.
  stub = await startOpenAiStub({ retryAfterMs: 20, delayMs: 30_000 });
});

afterAll(async () => {
  await stub.stop();
});

beforeEach(() => stub.reset());

describe('content failures (HTTP 200)', () => {
  it('malformed: truncated JSON → the SDK throws a SyntaxError from JSON.parse', async () => {
    stub.setMode('malformed');
    const error = await rejection(recommend(client(stub)));
    expect(error).toBeInstanceOf(SyntaxError);
    expect(chatRequests(stub)[0]).toMatchObject({
      status: 200,
      mode: 'malformed',
      schemaIssues: ['$: not valid JSON'],
    });
  });

  it('length: finish_reason "length" → LengthFinishReasonError before any parsing', async () => {
    stub.setMode('length');
    expect(await rejection(recommend(client(stub)))).toBeInstanceOf(LengthFinishReasonError);
  });

  it('content_filter: finish_reason "content_filter" → ContentFilterFinishReasonError', async () => {
    stub.setMode('content_filter');
    expect(await rejection(recommend(client(stub)))).toBeInstanceOf(ContentFilterFinishReasonError);
  });

  it('refusal: no error; parsed is null, content null and message.refusal set', async () => {
    stub.setMode('refusal');
    const completion = await recommend(client(stub));
    const message = completion.choices[0]?.message;
    expect(message?.parsed).toBeNull();
    expect(message?.content).toBeNull();
    expect(message?.refusal).toBe("I can't help with that.");
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  it('schema_violation: valid JSON of the wrong shape → the SDK throws a ZodError', async () => {
    stub.setMode('schema_violation');
    const error = await rejection(recommend(client(stub)));
    expect(error).toBeInstanceOf(z.ZodError);
    const paths = (error as z.ZodError).issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['assessment', 'actions.0.params.groupId', 'actions.0.confidence']));
    expect(chatRequests(stub)[0]?.schemaIssues?.length).toBeGreaterThan(0);
  });

  it('a mode set with times applies to the next N requests only, then the standing mode is back', async () => {
    const openai = client(stub);
    stub.setMode('refusal', { times: 2 });
    expect((await recommend(openai)).choices[0]?.message.refusal).not.toBeNull();
    expect(stub.state().next).toEqual({ mode: 'refusal', remaining: 1 });
    expect((await recommend(openai)).choices[0]?.message.refusal).not.toBeNull();
    expect((await recommend(openai)).choices[0]?.message.parsed).toEqual(DEFAULT_RECOMMENDATION);
    expect(chatRequests(stub).map((r) => r.mode)).toEqual(['refusal', 'refusal', 'normal']);
  });
});

describe('HTTP failures', () => {
  it('rate_limited: 429 with OpenAI’s body and headers; retried, then RateLimitError when retries run out', async () => {
    stub.setMode('rate_limited');
    const error = await rejection(recommend(client(stub, { maxRetries: 2 })));
    expect(error).toBeInstanceOf(RateLimitError);
    const rateLimit = error as RateLimitError;
    expect(rateLimit.status).toBe(429);
    expect(rateLimit.code).toBe('rate_limit_exceeded');
    expect(rateLimit.type).toBe('requests');
    expect(rateLimit.headers.get('retry-after-ms')).toBe('20');
    expect(rateLimit.headers.get('retry-after')).toBe('1');
    expect(rateLimit.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(rateLimit.headers.get('x-ratelimit-reset-requests')).toBe('20ms');
    expect(rateLimit.requestID).toMatch(/^req_[0-9a-f]{32}$/);
    // one attempt and two retries, numbered by the SDK
    expect(chatRequests(stub).map((r) => [r.status, r.headers['x-stainless-retry-count']])).toEqual([
      [429, '0'],
      [429, '1'],
      [429, '2'],
    ]);
  });

  it('rate_limited once (times: 1): the SDK retries after retry-after-ms and succeeds', async () => {
    stub.setMode('rate_limited', { times: 1 });
    stub.script({ assessment: 'after the retry', actions: [] });
    const completion = await recommend(client(stub, { maxRetries: 2 }));
    expect(completion.choices[0]?.message.parsed?.assessment).toBe('after the retry');
    expect(chatRequests(stub).map((r) => r.status)).toEqual([429, 200]);
  });

  it('rate_limited with maxRetries 0: RateLimitError after a single request', async () => {
    stub.setMode('rate_limited');
    expect(await rejection(recommend(client(stub, { maxRetries: 0 })))).toBeInstanceOf(RateLimitError);
    expect(chatRequests(stub)).toHaveLength(1);
  });

  it('server_error: 500 → InternalServerError (with maxRetries 0)', async () => {
    stub.setMode('server_error');
    const error = await rejection(recommend(client(stub, { maxRetries: 0 })));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({ status: 500, type: 'server_error', code: null });
    expect((error as Error).message).toBe(
      '500 The server had an error while processing your request. Sorry about that!',
    );
  });

  it('server_error once: the SDK retries a 500 (its own backoff, no retry-after) and succeeds', async () => {
    stub.setMode('server_error', { times: 1 });
    const completion = await recommend(client(stub, { maxRetries: 1 }));
    expect(completion.choices[0]?.message.parsed).toEqual(DEFAULT_RECOMMENDATION);
    expect(chatRequests(stub).map((r) => r.status)).toEqual([500, 200]);
  });
});

describe('slow', () => {
  it('a client timeout → APIConnectionTimeoutError, and the aborted request is released', async () => {
    stub.setMode('slow');
    const error = await rejection(recommend(client(stub, { timeout: 150, maxRetries: 0 })));
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
    expect((error as Error).message).toBe('Request timed out.');
    await vi.waitFor(() => expect(chatRequests(stub)[0]?.outcome).toBe('aborted'), { timeout: 2000 });
    expect(chatRequests(stub)[0]?.status).toBeUndefined();
  });

  it('timeouts are retried like 5xx: maxRetries 1 means two slow requests before the error', async () => {
    stub.setMode('slow');
    expect(await rejection(recommend(client(stub, { timeout: 100, maxRetries: 1 })))).toBeInstanceOf(
      APIConnectionTimeoutError,
    );
    await vi.waitFor(() => expect(chatRequests(stub).map((r) => r.outcome)).toEqual(['aborted', 'aborted']), {
      timeout: 2000,
    });
  });

  it('an AbortSignal → APIUserAbortError', async () => {
    stub.setMode('slow');
    const controller = new AbortController();
    const pending = client(stub).chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
      { signal: controller.signal },
    );
    await vi.waitFor(() => expect(chatRequests(stub)).toHaveLength(1));
    controller.abort();
    expect(await rejection(pending)).toBeInstanceOf(APIUserAbortError);
    await vi.waitFor(() => expect(chatRequests(stub)[0]?.outcome).toBe('aborted'));
  });

  it('answers after delayMs with what it would have answered (script, rules, default)', async () => {
    stub.setMode('slow', { times: 1, delayMs: 50 });
    stub.script({ assessment: 'late but fine', actions: [] });
    const completion = await recommend(client(stub, { timeout: 5000 }));
    expect(completion.choices[0]?.message.parsed?.assessment).toBe('late but fine');
    expect(chatRequests(stub)[0]).toMatchObject({ mode: 'slow', source: 'script', outcome: 'answered', status: 200 });
  });

  it('stop() does not wait for pending slow answers', { timeout: 5000 }, async () => {
    const own = await startOpenAiStub({ mode: 'slow' }); // 30 s delay
    const pending = recommend(client(own, { timeout: 60_000 }));
    await vi.waitFor(() => expect(own.requests()).toHaveLength(1));
    expect(own.requests()[0]?.outcome).toBe('pending');
    await own.stop();
    const error = await rejection(pending); // the connection closed under it
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect(own.requests()[0]?.outcome).toBe('aborted');
  });
});
