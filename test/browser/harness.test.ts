import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { axeViolations, describeBrowser, seriousViolations, useBrowser, VIEWPORT } from '../support/browser.ts';

/**
 * The harness itself: Chromium starts, a strict Content-Security-Policy stays in force for the page's own scripts, and
 * axe-core still runs under it (it is evaluated through the DevTools protocol, not as a page script) and finds what it
 * should.
 */
describeBrowser('the browser test harness', () => {
  const browser = useBrowser();
  let server: Server;
  let url = '';

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'",
      });
      res.end(`<!doctype html><html lang="en"><head><title>CSP page</title></head><body><main>
<h1>A page with a strict CSP</h1>
<script>window.inlineRan = true;</script>
<img src="/logo.png">
</main></body></html>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('keeps the page CSP on, and runs axe-core under it', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    expect(page.viewportSize()).toEqual(VIEWPORT);
    await expect.poll(() => page.locator('h1').textContent()).toBe('A page with a strict CSP');
    // the inline script was refused by the CSP…
    expect(await page.evaluate('window.inlineRan')).toBeUndefined();
    // …and axe ran anyway, finding the image without a text alternative (a critical violation).
    const violations = await axeViolations(page);
    expect(violations.map((v) => v.id)).toContain('image-alt');
    expect(seriousViolations(violations).some((line) => line.startsWith('critical image-alt'))).toBe(true);
    await page.context().close();
  });
});
