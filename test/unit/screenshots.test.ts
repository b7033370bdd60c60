import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../lib/root.ts';
import { readPng, SCREENSHOTS } from '../support/screenshots.ts';

/** The console screenshots the README shows are committed, whole, and of the browser tests' viewport. */
describe('the committed console screenshots', () => {
  for (const [name, { path, viewport }] of Object.entries(SCREENSHOTS)) {
    it(`${name}: ${path} is a valid PNG of its viewport's size`, () => {
      const info = readPng(readFileSync(resolve(ROOT, path)));
      expect({ width: info.width, height: info.height }).toEqual(viewport);
    });
  }

  it('the README shows both, and links the console guide', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    for (const { path } of Object.values(SCREENSHOTS)) expect(readme).toContain(`](${path})`);
    expect(readme).toContain('](docs/console.md)');
  });
});

describe('readPng', () => {
  const png = readFileSync(resolve(ROOT, SCREENSHOTS.list.path));

  it('refuses a file that is not a PNG, a truncated one and one with a corrupted chunk', () => {
    expect(() => readPng(Buffer.from('GIF89a not a png'))).toThrow(/signature/);
    expect(() => readPng(png.subarray(0, png.length - 20))).toThrow(/past the end|truncated|IEND/);
    const corrupted = Buffer.from(png);
    const middle = Math.floor(png.length / 2); // inside the image data
    corrupted[middle] = (corrupted[middle] ?? 0) ^ 0xff;
    expect(() => readPng(corrupted)).toThrow(/CRC/);
  });
});
