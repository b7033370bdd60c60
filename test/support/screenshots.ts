import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { ROOT } from '../../lib/root.ts';

/**
 * The console's screenshots, committed under `docs/images/` and shown in the README. The browser tests take them on
 * every run (and check them), but write them only when asked — `HOOKPILOT_UPDATE_SCREENSHOTS=1 npm run test:browser` —
 * and only when the image changed, so a CI run never rewrites committed files.
 */
export const SCREENSHOT_VIEWPORT = { width: 1280, height: 800 } as const;

/**
 * Where each screenshot goes and the viewport it is taken at (fixed, so the images only change when the pages do).
 * The request page's is tall enough to show the whole page: what would run, why, the approvals, the decision form and
 * the history.
 */
export const SCREENSHOTS = {
  list: { path: 'docs/images/console-list.png', viewport: SCREENSHOT_VIEWPORT },
  request: { path: 'docs/images/console-request.png', viewport: { width: 1280, height: 1520 } },
} as const;

export const UPDATE_SCREENSHOTS_ENV = 'HOOKPILOT_UPDATE_SCREENSHOTS';

export const updatingScreenshots = (env: NodeJS.ProcessEnv = process.env) => env[UPDATE_SCREENSHOTS_ENV] === '1';

/** Writes the screenshot when asked to and when it differs from the committed file; says whether it wrote. */
export function saveScreenshot(name: keyof typeof SCREENSHOTS, png: Buffer): boolean {
  if (!updatingScreenshots()) return false;
  const path = resolve(ROOT, SCREENSHOTS[name].path);
  let current: Buffer | undefined;
  try {
    current = readFileSync(path);
  } catch {
    current = undefined;
  }
  if (current?.equals(png)) return false;
  writeFileSync(path, png);
  return true;
}

export interface PngInfo {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Samples per pixel by PNG colour type (greyscale, RGB, palette, grey + alpha, RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Reads a PNG the strict way: the signature, every chunk's CRC, IHDR first and IEND last, and the image data inflating
 * to exactly one filter byte plus one row of samples per line (non-interlaced, 8 bits per sample — what Chromium
 * writes). Throws saying what is wrong.
 */
export function readPng(data: Buffer): PngInfo {
  if (data.length < 8 || !data.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG (bad signature)');
  let offset = 8;
  let header: PngInfo | undefined;
  let interlaced = false;
  const idat: Buffer[] = [];
  let ended = false;
  while (offset < data.length) {
    if (offset + 12 > data.length) throw new Error(`truncated chunk at byte ${offset}`);
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > data.length) throw new Error(`chunk ${type} runs past the end of the file`);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (crc32(data.subarray(offset + 4, offset + 8 + length)) !== data.readUInt32BE(offset + 8 + length)) {
      throw new Error(`chunk ${type} has a bad CRC`);
    }
    if (!header && type !== 'IHDR') throw new Error('the first chunk is not IHDR');
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8] ?? 0,
        colorType: body[9] ?? 0,
      };
      interlaced = body[12] === 1;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') {
      ended = true;
      offset = end;
      break;
    }
    offset = end;
  }
  if (!header) throw new Error('no IHDR chunk');
  if (!ended || offset !== data.length) throw new Error('no IEND chunk at the end');
  const channels = CHANNELS[header.colorType];
  if (channels === undefined || header.bitDepth !== 8 || interlaced) {
    throw new Error(`unexpected PNG format (colour type ${header.colorType}, depth ${header.bitDepth})`);
  }
  const pixels = inflateSync(Buffer.concat(idat));
  const expected = header.height * (1 + header.width * channels);
  if (pixels.length !== expected) throw new Error(`image data is ${pixels.length} bytes, expected ${expected}`);
  return header;
}
