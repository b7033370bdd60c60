/**
 * Renders an `hookpilot eval` HTML report to a PNG with a headless Chromium (a one-off for the docs; the report itself
 * needs no browser). Usage:
 *
 *   npx tsx scripts/report-png.ts <eval-report.html> <out.png> [--width 1180] [--height 1900] [--chromium /usr/bin/chromium]
 *
 * The browser runs with no network access to anything but the file (the report fetches nothing anyway).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const [html, png] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (!html || !png) {
  process.stderr.write('usage: npx tsx scripts/report-png.ts <eval-report.html> <out.png> [--width N] [--height N]\n');
  process.exit(2);
}
const chromium = option('chromium', process.env.CHROMIUM ?? '/usr/bin/chromium');
if (!existsSync(chromium)) {
  process.stderr.write(`no Chromium at ${chromium} (pass --chromium <path> or set CHROMIUM)\n`);
  process.exit(1);
}
const width = Number(option('width', '1180'));
const height = Number(option('height', '1900'));
const result = spawnSync(
  chromium,
  [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--no-first-run',
    '--disable-extensions',
    '--proxy-server=127.0.0.1:9', // nothing to fetch: make sure nothing is
    `--window-size=${width},${height}`,
    `--screenshot=${resolve(png)}`,
    pathToFileURL(resolve(html)).href,
  ],
  { encoding: 'utf8', timeout: 60_000 },
);
if (result.status !== 0 || !existsSync(resolve(png))) {
  process.stderr.write(
    `Chromium failed (status ${result.status}): ${(result.stderr ?? '').split('\n').slice(-3).join(' ')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`${resolve(png)} (${width}×${height})\n`);
