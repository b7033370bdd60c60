import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SCREENSHOT_VIEWPORT } from './screenshots.ts';

/**
 * Real headless Chromium for the `browser` test project: Debian's `chromium` package driven by `playwright-core` (no
 * browser download). One browser per test file, started in `beforeAll` and closed in `afterAll`; each test opens its
 * own context (cookies, storage), closed with the browser.
 *
 * ```ts
 * describeBrowser('the approvals console', () => {
 *   const browser = useBrowser();
 *   it('…', async () => {
 *     const page = await browser.newPage();
 *   });
 * });
 * ```
 *
 * Where no Chromium is installed the suite is skipped with one message saying what to install — except on CI
 * (`CI=true`), where `.ci/run` installs it: there a missing Chromium fails the run instead of skipping it silently.
 */

/** The Chromium (or Chrome) binary to drive; default Debian's. */
export const CHROMIUM_ENV = 'HOOKPILOT_CHROMIUM';
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags that work on this kind of machine: root needs `--no-sandbox`; the rest keep Chromium off the network and quiet
 * (no component updates, sync, QUIC or background requests). Playwright adds a fresh user-data dir per launch.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** The viewport every browser test uses (and the committed screenshots have). */
export const VIEWPORT = SCREENSHOT_VIEWPORT;

export type ChromiumLookup =
  | { readonly found: true; readonly path: string }
  | { readonly found: false; reason: string };

const INSTALL_HINT = `install it with \`apt-get install chromium\` (Debian/Ubuntu), or set ${CHROMIUM_ENV} to a Chromium or Chrome binary`;

/** Where Chromium is: `HOOKPILOT_CHROMIUM`, else `/usr/bin/chromium`; or why there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const configured = env[CHROMIUM_ENV]?.trim();
  const path = configured || DEFAULT_CHROMIUM;
  if (isExecutableFile(path)) return { found: true, path };
  return {
    found: false,
    reason: configured
      ? `${CHROMIUM_ENV}=${configured} is not an executable file: ${INSTALL_HINT}`
      : `no Chromium at ${DEFAULT_CHROMIUM}: ${INSTALL_HINT}`,
  };
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let warned = false;

/**
 * A `describe` for tests that need Chromium: runs them where it is installed; elsewhere skips them with the reason
 * (printed once per file), or, on CI, fails with it.
 */
export function describeBrowser(title: string, body: () => void): void {
  const lookup = findChromium();
  if (lookup.found) {
    describe(title, body);
    return;
  }
  if (process.env.CI === 'true' || process.env.CI === '1') {
    describe(title, () => {
      it('needs Chromium (CI installs it in .ci/run)', () => {
        throw new Error(`browser tests cannot run: ${lookup.reason}`);
      });
    });
    return;
  }
  if (!warned) {
    warned = true;
    process.stderr.write(`\nSKIPPED browser tests (${title}): ${lookup.reason}\n`);
  }
  describe.skip(`${title} — skipped: ${lookup.reason}`, body);
}

export interface TestBrowser {
  readonly browser: Browser;
  /** A fresh context (its own cookies) with the test viewport; closed with the browser. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a fresh context. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
}

/** How long a Playwright action or wait may take before it fails (the test timeout is 30 s). */
export const ACTION_TIMEOUT_MS = 10_000;

/** One headless Chromium for this test file: launched in `beforeAll`, closed in `afterAll`. */
export function useBrowser(): TestBrowser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    const lookup = findChromium();
    if (!lookup.found) throw new Error(lookup.reason);
    browser = await chromium.launch({
      executablePath: lookup.path,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: 30_000,
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  const current = (): Browser => {
    if (!browser) throw new Error('useBrowser: the browser starts in beforeAll; use it inside a hook or a test');
    return browser;
  };
  const newContext = async (options: BrowserContextOptions = {}) => {
    const context = await current().newContext({
      viewport: VIEWPORT,
      deviceScaleFactor: 1,
      locale: 'en-GB',
      ...options,
    });
    // Well inside the test's own timeout, so a missing element fails with Playwright's message, not a test timeout.
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    return context;
  };
  return {
    get browser() {
      return current();
    },
    newContext,
    newPage: async (options) => (await newContext(options)).newPage(),
  };
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** The page's accessibility violations, by axe-core (WCAG 2.x A/AA rules and best practices). */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[]; readonly html: string }[];
}

/**
 * Runs axe-core in the page. Its source is evaluated through the DevTools protocol (`page.evaluate`), which the page's
 * Content-Security-Policy does not govern — so the console's strict CSP stays on for the run, as users get it.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= (await import('node:fs')).readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const result = (await page.evaluate(`axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    resultTypes: ['violations'],
  }).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html })),
  })))`)) as AxeViolation[];
  return result;
}

/** The serious and critical ones, one line each (for a readable assertion). */
export function seriousViolations(violations: readonly AxeViolation[]): string[] {
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.html).join(' | ')}`);
}
