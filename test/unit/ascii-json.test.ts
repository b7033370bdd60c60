import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { asciiJson, asciiText } from '../../lambda/ascii-json.ts';
import { pathBeyondDepth } from '../../lambda/json-depth.ts';
import { isOktaKey, type LogEvent, subjectUserId } from '../../lambda/okta/event-hook.ts';

/** What SQS accepts in a message: #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF. */
const SQS_ALLOWED = /^[\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

describe('asciiJson', () => {
  test.prop([fc.jsonValue({ depthSize: 'small' }), fc.string({ unit: 'binary' })], { numRuns: 300 })(
    'is printable ASCII, accepted by SQS, and JSON.parse gives back exactly what went in',
    (value, text) => {
      for (const input of [value, text, { text, value }]) {
        const encoded = asciiJson(input);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(encoded).toMatch(SQS_ALLOWED);
        expect(JSON.parse(encoded)).toEqual(JSON.parse(JSON.stringify(input)));
      }
    },
  );

  it('escapes the characters SQS refuses, emoji and lone surrogates, and leaves ASCII ids alone', () => {
    expect(asciiJson({ m: '\uffff\ufffe😀\ud800' })).toBe('{"m":"\\uffff\\ufffe\\ud83d\\ude00\\ud800"}');
    expect(asciiText('6c1d2f4e-8a9b-11f0')).toBe('6c1d2f4e-8a9b-11f0');
    expect(asciiText('user.lifecycle.créate')).toBe('user.lifecycle.cr\\u00e9ate');
  });
});

describe('pathBeyondDepth', () => {
  it('finds the path into a depth bomb without recursion', () => {
    const bomb = JSON.parse(`{"data":{"events":[{"debugContext":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}}`);
    expect(pathBeyondDepth(bomb, 32)?.slice(0, 5)).toEqual(['data', 'events', 0, 'debugContext', 0]);
    expect(pathBeyondDepth({ a: [{ b: [1, { c: null }] }] }, 5)).toBeUndefined();
    expect(pathBeyondDepth({ a: [{ b: [1, { c: {} }] }] }, 5)).toEqual(['a', 0, 'b', 1, 'c']);
  });
});

describe('the Okta key rule', () => {
  it.each([
    '6c1d2f4e-8a9b-11f0-9c3d-5b7e21a0f4c2',
    '00u8new3Hs5LpQ2zY1d7',
    'aZx3kQ9mT2pL7vR1sN4bYw@AABcD',
    'a'.repeat(64),
  ])('accepts %s', (id) => expect(isOktaKey(id)).toBe(true));
  it.each([
    '',
    'a'.repeat(65),
    '?r4',
    '\ud800r4',
    '../x',
    `\${jndi:ldap://x}`,
    '<script>',
    'a\u0000b',
    'a\u202eb',
    'é',
  ])('refuses %j', (id) => expect(isOktaKey(id)).toBe(false));

  it('a User whose id is not a key is nobody: the event is not about any user', () => {
    const event = (target: unknown[], actor?: unknown) => ({ target, actor }) as unknown as LogEvent;
    expect(subjectUserId(event([{ id: '00uGood', type: 'User' }]))).toBe('00uGood');
    expect(subjectUserId(event([{ id: '', type: 'User' }], { id: '00uActor', type: 'User' }))).toBeUndefined();
    expect(subjectUserId(event([{ id: 'x'.repeat(3000), type: 'User' }]))).toBeUndefined();
    expect(subjectUserId(event([], { id: '', type: 'User' }))).toBeUndefined();
    expect(subjectUserId(event([], { id: '00uActor', type: 'User' }))).toBe('00uActor');
  });
});
