import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../lambda/domain/approval.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { simApi } from '../../local/sim-api.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { pendingRecord } from '../support/approval-fakes.ts';
import { axeViolations, describeBrowser, seriousViolations, useBrowser } from '../support/browser.ts';
import { emulators, testClients } from '../support/emulators.ts';

/**
 * The approvals console in real headless Chromium, against the local stack (the gateway serving the console handler,
 * DynamoDB Local, the SQS emulator, the executor's worker, the Okta simulator and its sign-in page): the issue's
 * acceptance points — approve as an approver and see it executed; refused as the subject; attacker-controlled profile
 * text rendered as text; a forged cross-site POST refused; the decision form by keyboard alone; no serious
 * accessibility violations.
 */
const IT = 'patrick.doyle@acme-demo.example'; // it-approvers
const SUBJECT_APPROVER = 'sarah.mitchell@acme-demo.example'; // it-approvers, and the subject of a request below

describeBrowser('the approvals console in Chromium', () => {
  const browser = useBrowser();
  let stack: LocalStack;
  let store: DynamoApprovalStore;
  const { documents } = testClients();

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      emulators: emulators(),
      prefix: `br${randomUUID().slice(0, 6)}`,
      // No event hook: the requests on screen are exactly the ones these tests store.
      okta: { port: 0, registerHook: false },
      sweepIntervalSeconds: 0,
    });
    store = new DynamoApprovalStore(documents, stack.resources.tables.approvalsTable as string);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const sim = () => simApi(stack.okta);
  const groupId = (name: string) => String(stack.okta.sim.state.group(name)?.id);
  const userId = (login: string) => String(stack.okta.sim.state.user(login)?.id);

  /** A fresh ACTIVE user in the simulated org, with this profile. */
  async function newUser(profile: Record<string, string> = {}): Promise<{ id: string; login: string }> {
    const tag = randomUUID().slice(0, 8);
    const login = `new.hire.${tag}@acme-demo.example`;
    const user = await sim().call<{ id: string }>('POST', '/api/v1/users?activate=true', {
      profile: {
        firstName: 'Jordan',
        lastName: `Reyes-${tag}`,
        email: login,
        login,
        department: 'Sales',
        city: 'London',
        ...profile,
      },
      credentials: { password: { value: `Pw1-${tag}-${tag}!` } },
    });
    return { id: user.id, login };
  }

  /** A pending request to add the user to a group, stored as the events consumer stores it. */
  async function request(
    subjectId: string,
    group: string,
    text: { rationale?: string; evidence?: string[] } = {},
  ): Promise<ApprovalRecord> {
    const record: ApprovalRecord = {
      ...pendingRecord({
        userId: subjectId,
        action: { type: 'group.add_member', params: { userId: subjectId, groupId: groupId(group) } },
        preconditions: { status: ['ACTIVE'] },
      }),
      ...(text.rationale ? { rationale: text.rationale } : {}),
      ...(text.evidence ? { evidence: text.evidence } : {}),
    };
    const { created } = await store.create(record, []);
    expect(created).toBe(true);
    return record;
  }

  const consoleUrl = (path = '/approvals') => `${stack.url}/console${path}`;
  const requestUrl = (record: ApprovalRecord) => consoleUrl(`/approvals/${record.approvalId}`);

  /** Signs in through the simulator's sign-in page, by clicking the user, and lands back on the console page asked for. */
  async function signIn(login: string, path = '/approvals'): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(consoleUrl(path));
    await page.waitForURL((url) => url.origin === stack.okta.orgUrl);
    await page.locator(`button[name="login"][value="${login}"]`).click();
    await page.waitForURL(consoleUrl(path));
    return page;
  }

  const stateOf = async (record: ApprovalRecord) => (await store.get(record.approvalId))?.state;
  /** The state badge under the request page's heading. */
  const shownState = (page: Page) => page.locator('main h1 + p .state').textContent();
  const statusRegion = async (page: Page) => ((await page.getByRole('status').textContent()) ?? '').trim();
  const mainText = async (page: Page) => (await page.locator('main').textContent()) ?? '';

  /** Submits the decision form (by `submit`) and waits for the page the console redirects back to; the POST's status. */
  async function decideBy(page: Page, record: ApprovalRecord, submit: () => Promise<void>): Promise<number> {
    const posted = page.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url() === `${requestUrl(record)}/decision`,
    );
    const landed = page.waitForResponse((r) => r.request().method() === 'GET' && r.url() === requestUrl(record));
    await submit();
    const response = await posted;
    // The console's own form posts carry its origin (under `Referrer-Policy: no-referrer` Chromium sent "null", and
    // the CSRF check refused every decision).
    expect(await response.request().headerValue('origin')).toBe(new URL(stack.url).origin);
    const status = response.status();
    await landed;
    await page.waitForLoadState('load');
    return status;
  }

  it('an approver signs in, finds the pending request, approves it with a reason, and sees it executed', async () => {
    const subject = await newUser();
    const record = await request(subject.id, 'dept-sales');
    const page = await signIn(IT);

    // the list: the request is there, pending; open it
    const row = page.getByRole('row').filter({ hasText: subject.login });
    expect(await row.count()).toBe(1);
    expect(await row.locator('.state').textContent()).toBe('pending');
    expect(await row.textContent()).toMatch(/expires in 3 d/);
    await row.getByRole('link').click();
    await page.waitForURL(requestUrl(record));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain(subject.login);
    expect(await shownState(page)).toBe('pending');

    // approve, with a reason
    await page.getByLabel('Reason').fill('Joined Sales in London; same access as the team.');
    expect(await decideBy(page, record, () => page.getByRole('button', { name: 'Approve' }).click())).toBe(303);
    expect(await statusRegion(page)).toMatch(/^You approved this request\./);

    // the executor (a queue worker in the local stack) runs it: the page shows it executed, with Okta's request id
    await expect
      .poll(
        async () => {
          await page.reload();
          return shownState(page);
        },
        { timeout: 30_000, interval: 300 },
      )
      .toBe('executed');
    const requestId = page.locator('dt', { hasText: 'Okta request id' }).locator('+ dd');
    expect(((await requestId.textContent()) ?? '').trim()).not.toBe('');
    expect(await mainText(page)).toContain('“Joined Sales in London; same access as the team.”');
    expect(await stateOf(record)).toBe('executed');
    expect(stack.okta.sim.state.userGroups(subject.id)).toContain(groupId('dept-sales'));
    await page.context().close();
  }, 60_000);

  it('the subject of a request sees Approve refused, with the reason', async () => {
    const record = await request(userId(SUBJECT_APPROVER), 'loc-london');
    const page = await signIn(SUBJECT_APPROVER, `/approvals/${record.approvalId}`);
    const approve = page.getByRole('button', { name: 'Approve' });
    expect(await approve.isDisabled()).toBe(true);
    // the reason is next to the button, and is its description for assistive technology
    const why = page.locator(`#${await approve.getAttribute('aria-describedby')}`);
    expect(await why.textContent()).toMatch(/^You are the subject of this request/);
    expect(await why.isVisible()).toBe(true);
    expect(await stateOf(record)).toBe('pending');
    await page.context().close();
  });

  it('renders attacker-controlled profile text as text: no script runs, no element is injected', async () => {
    // (Okta allows 50 characters in a name)
    const SCRIPT = "<script>window.__xss = 'script'</script>";
    const IMG = `"><img src=x onerror="window.__xss = 'img'">`;
    const subject = await newUser({ firstName: SCRIPT, lastName: IMG, title: `${IMG} Manager` });
    const record = await request(subject.id, 'dept-sales', {
      rationale: `Peers of ${SCRIPT} in Sales hold dept-sales`,
      evidence: [`profile.title: ${IMG} Manager`, `profile.firstName: ${SCRIPT}`],
    });
    const page = await signIn(IT, `/approvals/${record.approvalId}`);
    const noInjection = async () => {
      // The CSP alone would stop the scripts; these show the markup never became elements at all.
      expect(await page.evaluate('window.__xss')).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('[onerror]').count()).toBe(0);
      expect(await page.locator('script').count()).toBe(0);
    };
    // the request page: the subject's name (from Okta), the rationale and the evidence, all as the text they are
    const text = await mainText(page);
    expect(text).toContain(`${SCRIPT} ${IMG} (${subject.login})`);
    expect(text).toContain(`Peers of ${SCRIPT} in Sales hold dept-sales`);
    expect(text).toContain(`profile.title: ${IMG} Manager`);
    expect(await page.getByText(`profile.firstName: ${SCRIPT}`, { exact: true }).isVisible()).toBe(true);
    await noInjection();
    // the list: the subject's name again
    await page.goto(consoleUrl());
    const row = page.getByRole('row').filter({ hasText: subject.login });
    expect(await row.textContent()).toContain(`${SCRIPT} ${IMG} (${subject.login})`);
    await noInjection();
    await page.context().close();
  });

  describe('a forged cross-site POST', () => {
    let attacker: Server;
    let attackerPort = 0;
    let forged = { action: '', fields: {} as Record<string, string> };

    beforeAll(async () => {
      // The attacker's page: a form that posts itself to the console as soon as it loads.
      attacker = createServer((_req, res) => {
        const inputs = Object.entries(forged.fields)
          .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
          .join('');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><title>You won a prize</title>
<form id="f" method="post" action="${forged.action}">${inputs}</form>
<script>document.getElementById('f').submit()</script>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerPort = (attacker.address() as AddressInfo).port;
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => attacker?.close(() => resolve()));
    });

    it('is refused with 403 while the victim is signed in, and the request stays pending', async () => {
      const subject = await newUser();
      const record = await request(subject.id, 'dept-sales');
      const page = await signIn(IT); // the victim: a signed-in approver, the session cookie in the browser
      // The attacker knows the request and its hash (they are no secret), not the victim's CSRF token.
      forged = {
        action: `${requestUrl(record)}/decision`,
        fields: { decision: 'approve', payloadHash: record.payloadHash, reason: 'looks fine', csrf: 'guessed' },
      };
      // From 127.0.0.1:<another port>: another origin on the same site, so SameSite=Lax still sends the session cookie
      // and only the console's own checks stop the POST. From localhost: another site (the cookie stays back too).
      for (const host of ['127.0.0.1', 'localhost']) {
        const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === forged.action);
        await page.goto(`http://${host}:${attackerPort}/`);
        const response = await posted;
        expect(response.status(), host).toBe(403);
        const cookie = (await response.request().allHeaders()).cookie ?? '';
        if (host === '127.0.0.1') expect(cookie).toContain('__Host-hookpilot-session=');
        else expect(cookie).not.toContain('__Host-hookpilot-session=');
        await page.waitForURL(forged.action);
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Refused');
        expect(await stateOf(record)).toBe('pending');
      }
      // the victim's own page still offers the decision, untouched
      await page.goto(requestUrl(record));
      expect(await shownState(page)).toBe('pending');
      expect(await mainText(page)).toContain('No decisions yet.');
      await page.context().close();
    });
  });

  it('the decision form works with the keyboard alone, with a visible focus', async () => {
    const subject = await newUser();
    const record = await request(subject.id, 'dept-sales');
    const page = await signIn(IT, `/approvals/${record.approvalId}`);
    const focused = () =>
      page.evaluate(`(() => {
        const e = document.activeElement;
        if (!e) return { what: '', outline: '' };
        const style = getComputedStyle(e);
        return {
          what: [e.tagName, e.getAttribute('name') ?? '', (e.textContent ?? '').trim()].join('|'),
          outline: style.outlineStyle + ' ' + style.outlineWidth,
        };
      })()`) as Promise<{ what: string; outline: string }>;
    const tabTo = async (wanted: string) => {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        const now = await focused();
        if (now.what === wanted) return now;
      }
      throw new Error(`Tab never reached ${wanted}`);
    };
    const reason = await tabTo('TEXTAREA|reason|');
    expect(reason.outline).toMatch(/^solid [1-9]/);
    await page.keyboard.type('Approved from the keyboard.');
    const approve = await tabTo('BUTTON|decision|Approve');
    expect(approve.outline).toMatch(/^solid [1-9]/);
    expect(await decideBy(page, record, () => page.keyboard.press('Enter'))).toBe(303);
    expect(await statusRegion(page)).toMatch(/^You approved this request\./);
    expect((await store.get(record.approvalId))?.decisions[0]).toMatchObject({
      outcome: 'approve',
      approverId: userId(IT),
      reason: 'Approved from the keyboard.',
    });
    await page.context().close();
  });

  it('has no serious or critical accessibility violations on the list and request pages (axe-core)', async () => {
    const subject = await newUser();
    const record = await request(subject.id, 'dept-sales');
    const page = await signIn(IT);
    expect(seriousViolations(await axeViolations(page))).toEqual([]);
    await page.goto(requestUrl(record));
    expect(seriousViolations(await axeViolations(page))).toEqual([]);
    await page.context().close();
  });
});
