import { describe, expect, it } from 'vitest';
import { ExportRowError, placeRow, readExport } from '../../cli/password-export.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('legacy password export', () => {
  it('reads CSV with quoted fields and a header, and JSONL', () => {
    const csv = `login,firstName,algorithm,hash,salt\r\n"a@x.example","Ann, ""A""",sha1,${b64('h')},${b64('s')}\n`;
    expect(readExport(csv, 'csv')).toEqual([
      {
        line: 2,
        row: { login: 'a@x.example', firstName: 'Ann, "A"', algorithm: 'sha1', hash: b64('h'), salt: b64('s') },
      },
    ]);
    expect(readExport('{"login":"b@x.example","iterations":4096}\n\n', 'jsonl')).toEqual([
      { line: 1, row: { login: 'b@x.example', iterations: '4096' } },
    ]);
  });

  it('sends PBKDF2 to Okta only with an HMAC-SHA-256/512 digest and at least 4096 iterations', () => {
    const row = { login: 'a@x.example', algorithm: 'pbkdf2', hash: b64('x'.repeat(32)), salt: b64('s') };
    expect(placeRow(1, { ...row, iterations: '4096', digest: 'sha512' }).target).toBe('okta');
    expect(placeRow(1, { ...row, iterations: '4095', digest: 'sha512' }).target).toBe('hook');
    expect(placeRow(1, { ...row, iterations: '100000', digest: 'sha1' }).target).toBe('hook');
    expect(placeRow(1, { ...row, algorithm: 'scrypt', N: '16384', r: '8', p: '1' }).target).toBe('hook');
    expect(placeRow(1, { ...row, algorithm: 'argon2id' }).target).toBe('unsupported');
  });

  it('salted SHA keeps its salt order; an unsalted hash has none', () => {
    expect(
      placeRow(1, { login: 'a@x.example', algorithm: 'SHA-256', hash: b64('h'), salt: b64('s'), saltOrder: 'postfix' }),
    ).toMatchObject({
      target: 'okta',
      hash: { algorithm: 'SHA-256', salt: b64('s'), saltOrder: 'POSTFIX' },
    });
    expect(placeRow(1, { login: 'a@x.example', algorithm: 'md5', hash: b64('h') })).toMatchObject({
      hash: { algorithm: 'MD5', value: b64('h') },
    });
  });

  it('refuses a malformed row naming the line and the column, never the value', () => {
    const secretish = '$2b$10$notreallyabcryptstring';
    const cases: [Record<string, string>, RegExp][] = [
      [{ login: 'nope', algorithm: 'md5', hash: b64('h') }, /^line 7: login:/],
      [{ login: 'a@x.example', algorithm: 'bcrypt', hash: secretish }, /^line 7: hash: not a bcrypt string/],
      [{ login: 'a@x.example', algorithm: 'rot13', hash: b64('h') }, /^line 7: algorithm:/],
      [
        { login: 'a@x.example', algorithm: 'pbkdf2', hash: b64('h'), salt: b64('s'), iterations: 'many' },
        /^line 7: iterations:/,
      ],
      [{ login: 'a@x.example', algorithm: 'sha1', hash: 'not base64!' }, /^line 7: hash: must be base64/],
    ];
    for (const [row, message] of cases) {
      let error: unknown;
      try {
        placeRow(7, row);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ExportRowError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(secretish);
    }
  });
});

describe('the example export (cli/examples/legacy-passwords.csv)', () => {
  it('places each user as documented, and its scrypt hash verifies the password import fixture’s password', async () => {
    const { readFileSync } = await import('node:fs');
    const { verifyLegacyPassword } = await import('../../lambda/domain/legacy-hash.ts');
    const rows = readExport(readFileSync('cli/examples/legacy-passwords.csv', 'utf8'), 'csv');
    const placed = rows.map(({ line, row }) => placeRow(line, row));
    expect(placed.map((p) => p.target)).toEqual(['hook', 'hook', 'okta', 'okta', 'okta', 'unsupported']);
    const request = JSON.parse(readFileSync('test/fixtures/okta/inline-password-import-request.json', 'utf8'));
    const legacy = placed[0];
    expect(legacy?.profile.login).toBe(request.data.context.credential.username);
    if (legacy?.target !== 'hook') throw new Error('the first row is for the hook');
    expect(verifyLegacyPassword(Buffer.from(request.data.context.credential.password), legacy.hash)).toBe(true);
  });
});
