import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorLocation } from '../../lambda/okta/json-error.ts';

const where = (text: string): string => {
  try {
    JSON.parse(text);
  } catch (error) {
    return jsonErrorLocation(text, error);
  }
  throw new Error(`valid JSON: ${text}`);
};

describe('where a body stops being JSON', () => {
  it('points at the offending character, by line and column', () => {
    expect(where('{"a":secret}')).toBe('line 1, column 6'); // an unexpected token: V8 gives no position
    expect(where('[1,2,]')).toBe('line 1, column 6');
    expect(where('{"a" 1}')).toBe('line 1, column 6');
    expect(where('{"a":1}}')).toBe('line 1, column 8');
    expect(where('{\n  "a": true,\n  "b": wrong\n}')).toBe('line 3, column 8');
    expect(where('x')).toBe('line 1, column 1');
  });

  it('points one past the end when the text stops early', () => {
    expect(where('{"a": ')).toBe('line 1, column 7');
    expect(where('')).toBe('line 1, column 1');
  });

  it('is only a line and a column, for any broken text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        fc.pre(!valid);
        const location = where(text);
        const match = /^line (\d+), column (\d+)$/.exec(location);
        expect(match).not.toBeNull();
        expect(Number(match?.[1])).toBeLessThanOrEqual(text.split('\n').length);
      }),
      { numRuns: 300 },
    );
  });
});
