import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { HookpilotError } from '../../lambda/errors.ts';
import { parseEventHookRequest } from '../../lambda/okta/event-hook-request.ts';
import { createSecretVerifier } from '../../lambda/okta/hook-auth.ts';
import type { HttpRequest } from '../../lambda/ports.ts';
import { fixture } from '../support/fixtures.ts';

const SECRET = 'unit-test-secret-0123456789';
const options = {
  verify: createSecretVerifier([SECRET], 'TEST'),
  authHeader: 'authorization',
  maxBodyBytes: 64 * 1024,
  maxEventBytes: 16 * 1024,
};
const post = (body: string, headers: Record<string, string> = {}): HttpRequest => ({
  method: 'POST',
  path: '/okta/events',
  headers: { authorization: SECRET, 'content-type': 'application/json', ...headers },
  body,
});
const FIXTURES = [
  'event-hook-delivery-user-lifecycle-create.json',
  'event-hook-delivery-group-user-membership-add.json',
  'event-hook-delivery-user-session-start-failure.json',
];

describe('parseEventHookRequest', () => {
  it.each(FIXTURES)('parses the %s fixture, keeping every field', (name) => {
    const raw = fixture(`okta/${name}`);
    const parsed = parseEventHookRequest(post(JSON.stringify(raw)), options);
    if (parsed.kind !== 'delivery') throw new Error('expected a delivery');
    expect(parsed.delivery).toEqual(raw); // lenient parsing drops nothing
  });

  it('accepts a charset on the content type, and a custom auth header name', () => {
    const body = JSON.stringify(fixture(`okta/${FIXTURES[0]}`));
    expect(parseEventHookRequest(post(body, { 'content-type': 'application/json; charset=utf-8' }), options).kind).toBe(
      'delivery',
    );
    const custom = { ...options, authHeader: 'x-hook-secret' };
    const request = { ...post(body), headers: { 'x-hook-secret': SECRET, 'content-type': 'application/json' } };
    expect(parseEventHookRequest(request, custom).kind).toBe('delivery');
  });

  it('authenticates before it reads the body', () => {
    expect(() => parseEventHookRequest(post('{not json', { authorization: 'wrong' }), options)).toThrow(
      expect.objectContaining({ status: 401 }),
    );
  });

  it('says where a body nests too deep without echoing what it holds (a key may be any text, e.g. a pasted token)', () => {
    const key = `secret-${'x'.repeat(20_000)}`;
    const body = `{"data":{"${key}":${'['.repeat(40)}${']'.repeat(40)}}}`;
    let error: unknown;
    try {
      parseEventHookRequest(post(body), options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HookpilotError);
    const { status, code, message } = error as HookpilotError;
    expect({ status, code }).toEqual({ status: 400, code: 'too_deep' });
    expect(message).toMatch(/^the body nests objects and arrays deeper than 32 levels \(at data\.secret-x+…\[0\]/);
    expect(JSON.stringify(error).length + message.length).toBeLessThan(1000);
  });

  it('rejects one event larger than a queue message can hold, naming it', () => {
    const raw = fixture<{ data: { events: Record<string, unknown>[] } }>(`okta/${FIXTURES[0]}`);
    const event = raw.data.events[0] as Record<string, unknown>;
    event.debugContext = { debugData: { blob: 'x'.repeat(20 * 1024) } };
    expect(() => parseEventHookRequest(post(JSON.stringify(raw)), options)).toThrow(
      /data\.events\[0\] \(uuid 6c1d2f4e-8a9b-11f0-9c3d-5b7e21a0f4c2\) is \d+ bytes/,
    );
  });

  test.prop([fc.jsonValue()], { numRuns: 300 })(
    'any JSON body is a delivery or a 4xx, never anything else',
    (value) => {
      try {
        parseEventHookRequest(post(JSON.stringify(value)), options);
      } catch (error) {
        expect(error).toBeInstanceOf(HookpilotError);
        expect((error as HookpilotError).status).toBeGreaterThanOrEqual(400);
        expect((error as HookpilotError).status).toBeLessThan(500);
      }
    },
  );

  test.prop([fc.string({ maxLength: 2000 })], { numRuns: 300 })('any text body is a delivery or a 4xx', (body) => {
    try {
      parseEventHookRequest(post(body), options);
    } catch (error) {
      expect((error as HookpilotError).status).toBeGreaterThanOrEqual(400);
      expect((error as HookpilotError).status).toBeLessThan(500);
    }
  });
});
