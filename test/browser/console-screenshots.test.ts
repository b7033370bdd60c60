import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { runDemo } from '../../local/demo.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { describeBrowser, useBrowser } from '../support/browser.ts';
import { emulators, testClients } from '../support/emulators.ts';
import { readPng, SCREENSHOTS, saveScreenshot, UPDATE_SCREENSHOTS_ENV } from '../support/screenshots.ts';

/**
 * The README's screenshots of the console, taken from what `npm start` shows: the local stack plays its demo (a joiner,
 * a mover, a leaver, a burst of failed sign-ins, through the real pipeline and the rules recommender), and an approver
 * signs in and looks at the list and at the mover's request. Each run takes both and checks them; they are written
 * to docs/images/ only with HOOKPILOT_UPDATE_SCREENSHOTS=1, and only when they changed.
 */
const APPROVER = 'patrick.doyle@acme-demo.example'; // it-approvers

describeBrowser('the console screenshots', () => {
  const browser = useBrowser();
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      emulators: emulators(),
      prefix: `sc${randomUUID().slice(0, 6)}`,
      okta: { port: 0 },
      sweepIntervalSeconds: 0,
    });
    await runDemo(stack, () => undefined);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('takes the list and the request page, each at its fixed viewport', async () => {
    const { documents } = testClients();
    const store = new DynamoApprovalStore(documents, stack.resources.tables.approvalsTable as string);
    const pending = (await store.list({ state: 'pending', limit: 100 })).items;
    // The mover's new department group: a request with a rationale and several evidence items.
    const mover = pending.find(
      (r) => r.eventType === 'user.account.update_profile' && r.message.action.type === 'group.add_member',
    );
    if (!mover) throw new Error('the demo left no request to add the mover to a group');

    const context = await browser.newContext({
      viewport: SCREENSHOTS.list.viewport,
      reducedMotion: 'reduce',
      colorScheme: 'light',
    });
    const page = await context.newPage();
    await page.goto(`${stack.url}/console/approvals`);
    await page.waitForURL((url) => url.origin === stack.okta.orgUrl);
    await page.locator(`button[name="login"][value="${APPROVER}"]`).click();
    await page.waitForURL(`${stack.url}/console/approvals`);
    expect(await page.getByRole('row').count()).toBeGreaterThan(pending.length); // a header row, then one per request

    const shots: [keyof typeof SCREENSHOTS, Buffer][] = [];
    const shoot = () => page.screenshot({ type: 'png', animations: 'disabled', caret: 'hide' });
    shots.push(['list', await shoot()]);
    await page.setViewportSize(SCREENSHOTS.request.viewport);
    await page.goto(`${stack.url}/console/approvals/${mover.approvalId}`);
    expect(await page.getByRole('heading', { name: 'Evidence' }).isVisible()).toBe(true);
    shots.push(['request', await shoot()]);
    for (const [name, png] of shots) {
      const { width, height } = readPng(png);
      expect({ width, height }).toEqual(SCREENSHOTS[name].viewport);
      if (saveScreenshot(name, png)) {
        process.stderr.write(`wrote ${SCREENSHOTS[name].path} (${UPDATE_SCREENSHOTS_ENV}=1)\n`);
      }
    }
    await context.close();
  });
});
