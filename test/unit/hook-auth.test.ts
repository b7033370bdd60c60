import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/errors.ts';
import { createSecretVerifier, MIN_SECRET_LENGTH, parseSecretList } from '../../lambda/okta/hook-auth.ts';

const current = 'current-secret-0123456789';
const previous = 'previous-secret-0123456789';

describe('createSecretVerifier', () => {
  it('accepts every configured secret, so a rotation needs no downtime', () => {
    const verify = createSecretVerifier([current, previous], 'TEST');
    expect(verify(current)).toBe(true);
    expect(verify(previous)).toBe(true);
  });

  it('rejects a missing, empty, wrong, prefixed or padded value', () => {
    const verify = createSecretVerifier([current], 'TEST');
    for (const presented of [
      undefined,
      '',
      'wrong',
      `${current} `,
      ` ${current}`,
      current.slice(0, -1),
      `Basic ${current}`,
    ]) {
      expect(verify(presented)).toBe(false);
    }
  });

  test.prop([fc.string({ minLength: MIN_SECRET_LENGTH }), fc.string()])(
    'accepts exactly the configured value',
    (secret, presented) => {
      const verify = createSecretVerifier([secret], 'TEST');
      expect(verify(presented)).toBe(presented === secret && presented.length > 0);
      expect(verify(secret)).toBe(true);
    },
  );

  it('refuses to start with no secret or a short one, naming the setting', () => {
    expect(() => createSecretVerifier([], 'HOOKPILOT_X')).toThrow(new ConfigError('HOOKPILOT_X holds no secret'));
    expect(() => createSecretVerifier(['short'], 'HOOKPILOT_X')).toThrow(/HOOKPILOT_X: .*at least 16 characters/);
  });
});

describe('parseSecretList', () => {
  it('reads one secret, or a JSON array of secrets', () => {
    expect(parseSecretList(`  ${current}\n`, 'S')).toEqual([current]);
    expect(parseSecretList(JSON.stringify([current, previous]), 'S')).toEqual([current, previous]);
  });

  it('explains a malformed array without echoing its content', () => {
    expect(() => parseSecretList(`["${current}"`, 'S')).toThrow('S starts with "[" but is not a JSON array of strings');
    expect(() => parseSecretList('[1, ""]', 'S')).toThrow('S must be a JSON array of non-empty strings');
  });
});
