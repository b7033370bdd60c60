import { timingSafeEqual } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  hashLegacyPassword,
  type LegacyHash,
  LegacyHashSchema,
  type LegacyHashSpec,
  verifyLegacyPassword,
} from '../../lambda/domain/legacy-hash.ts';

/** Cheap settings (the property runs many times): the code path is the same as with production-strength settings. */
const SPECS: LegacyHashSpec[] = [
  { algorithm: 'pbkdf2', digest: 'sha1', iterations: 10, salt: Buffer.from('salt-1').toString('base64') },
  { algorithm: 'pbkdf2', digest: 'sha512', iterations: 10, salt: Buffer.from('salt-2').toString('base64') },
  { algorithm: 'scrypt', N: 16, r: 1, p: 1, salt: Buffer.from('salt-3').toString('base64') },
];

/** Records every comparison, then answers as `timingSafeEqual` would. */
function recorder() {
  const calls: { a: number; b: number }[] = [];
  const compare = (a: Buffer, b: Buffer) => {
    calls.push({ a: a.length, b: b.length });
    return timingSafeEqual(a, b);
  };
  return { calls, compare };
}

describe('legacy password verification', () => {
  it('verifies the right password and refuses a wrong one, for each scheme', () => {
    for (const spec of SPECS) {
      const stored = LegacyHashSchema.parse(hashLegacyPassword('Corr3ct-H0rse-Battery!', spec));
      expect(verifyLegacyPassword(Buffer.from('Corr3ct-H0rse-Battery!'), stored)).toBe(true);
      expect(verifyLegacyPassword(Buffer.from('Corr3ct-H0rse-Battery?'), stored)).toBe(false);
    }
  });

  it('matches a known PBKDF2-HMAC-SHA1 vector (RFC 6070, 2 iterations)', () => {
    const stored: LegacyHash = {
      algorithm: 'pbkdf2',
      digest: 'sha1',
      iterations: 2,
      salt: Buffer.from('salt').toString('base64'),
      hash: Buffer.from('ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957', 'hex').toString('base64'),
    };
    expect(verifyLegacyPassword(Buffer.from('password'), stored)).toBe(true);
  });

  test.prop([
    fc.string({ maxLength: 64 }),
    fc.string({ maxLength: 64 }),
    fc.constantFrom(...SPECS),
    fc.integer({ min: 4, max: 64 }),
  ])(
    'is constant-time: exactly one comparison, of two equal-length digests, whatever the password and wherever it differs',
    (stored, offered, spec, keyLength) => {
      const hash = LegacyHashSchema.parse(hashLegacyPassword(stored, spec, keyLength));
      const { calls, compare } = recorder();
      const result = verifyLegacyPassword(Buffer.from(offered), hash, compare);
      expect(result).toBe(stored === offered);
      // One comparison always — no early exit on a length or prefix mismatch before the constant-time compare.
      expect(calls).toEqual([{ a: keyLength, b: keyLength }]);
    },
  );

  test.prop([fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 31 })])(
    'a hash differing in any one byte is refused through the same single comparison',
    (password, position) => {
      const good = LegacyHashSchema.parse(hashLegacyPassword(password, SPECS[0] as LegacyHashSpec));
      const bytes = Buffer.from(good.hash, 'base64');
      bytes[position] = (bytes[position] ?? 0) ^ 0xff;
      const bad = { ...good, hash: bytes.toString('base64') };
      const { calls, compare } = recorder();
      expect(verifyLegacyPassword(Buffer.from(password), bad, compare)).toBe(false);
      expect(calls).toHaveLength(1);
    },
  );

  it('zeroes the derived digest after comparing', () => {
    const stored = hashLegacyPassword('x', SPECS[0] as LegacyHashSpec);
    let seen: Buffer | undefined;
    verifyLegacyPassword(Buffer.from('x'), stored, (a, b) => {
      seen = a;
      return timingSafeEqual(a, b);
    });
    expect(seen && [...seen].every((byte) => byte === 0)).toBe(true);
  });
});
