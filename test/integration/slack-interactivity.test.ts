import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import type { ApprovalRecord } from '../../lambda/domain/approval.ts';
import { loadPolicy } from '../../lambda/domain/policy-config.ts';
import { httpHandler } from '../../lambda/handlers/http.ts';
import { parseSlackConfig, type SlackConfig } from '../../lambda/notify/slack/config.ts';
import { ACTION_APPROVE, ACTION_REJECT, decisionValue } from '../../lambda/notify/slack/messages.ts';
import { slackSignature } from '../../lambda/notify/slack/signature.ts';
import { respondToInteraction, SlackWebApi } from '../../lambda/notify/slack/web-api.ts';
import { INTERACTIVE_OKTA_BUDGET } from '../../lambda/okta/okta-config.ts';
import { OktaSdkAdapter } from '../../lambda/okta/okta-sdk-adapter.ts';
import { slackInteractivity } from '../../lambda/pipeline/slack-interactivity.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import { startGateway } from '../../local/gateway.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import type { LocalResources } from '../../local/resources.ts';
import { LOCAL_SLACK_TOKEN, type RunningSlackStandIn, startSlackStandIn } from '../../local/slack-standin.ts';
import { pendingRecord } from '../support/approval-fakes.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { startTestSim, type TestSim } from '../support/okta-sim.ts';
import { groupNamed, handlerEnv, newUser, simSettings } from '../support/okta-users.ts';
import { consumeAll, drain, queueDepth } from '../support/queues.ts';

/**
 * Approve / Reject from Slack, end to end over real HTTP: a signed Slack click → the local gateway → the interactivity
 * handler (signature, the Slack→Okta mapping through the Okta simulator, `decideApproval` on DynamoDB Local and the SQS
 * emulator) → the ephemeral answer on the Slack stand-in's `response_url` → the executor acting on the simulator.
 */
const SECRET = 'aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb';
const { sqs, documents } = testClients();
let okta: TestSim;
let slack: RunningSlackStandIn;
let resources: LocalResources;
let store: DynamoApprovalStore;
let url = '';
let stopGateway: () => Promise<void>;
let executor: typeof import('../../lambda/handlers/executor.ts')['handler'];
let route: ReturnType<typeof httpHandler>;
let clicks = 0;
let approver: { id: string; login: string; slack: string };
let secondApprover: { id: string; login: string; slack: string };

function settings(overrides: Partial<SlackConfig['interactivity']> = {}): SlackConfig {
  return parseSlackConfig({
    botToken: LOCAL_SLACK_TOKEN,
    approvalsChannel: 'C0APPROVALS',
    apiUrl: slack.apiUrl,
    interactivity: { enabled: true, signingSecrets: [SECRET], ...overrides },
  });
}

function handlerFor(config: SlackConfig) {
  const audit = new DynamoAuditLog(documents, resources.tables.auditTable);
  const api = new SlackWebApi({ token: config.botToken, apiUrl: config.apiUrl });
  return httpHandler(
    slackInteractivity({
      config,
      store,
      audit,
      policy: loadPolicy(),
      clock: () => new Date(),
      actionsQueue: new SqsQueue<ActionMessage>(sqs, resources.queues.actionsQueue.url, 'actions'),
      // The budget the handler gives Okta (Slack's 3 s).
      directory: new OktaSdkAdapter({ ...simSettings(okta), ...INTERACTIVE_OKTA_BUDGET }),
      slackEmailOf: (id) => api.userEmail(id),
      respond: respondToInteraction,
      consoleUrl: (id) => `http://127.0.0.1:8787/console/approvals/${id}`,
    }),
  );
}

async function slackUser(slackId: string, groups: string[], profile: Record<string, string> = {}) {
  const user = await newUser(okta, 'ACTIVE', { slackUserId: slackId, ...profile });
  for (const g of groups)
    await okta.client().groupApi.assignUserToGroup({ groupId: groupNamed(okta, g), userId: user.id });
  return { ...user, slack: slackId };
}

beforeAll(async () => {
  [resources, okta, slack] = await Promise.all([
    freshResources({ visibilityTimeoutSeconds: 1 }),
    startTestSim(),
    startSlackStandIn({ users: { U0BYEMAIL1: { email: 'placeholder@invalid' } } }),
  ]);
  useLocalEnv(resources, {
    ...handlerEnv(okta),
    HOOKPILOT_POLICY_FILE: 'policy/hookpilot.policy.json',
    // For the handler module itself (its settings come from the notifications configuration, as deployed).
    HOOKPILOT_NOTIFY_CONFIG: JSON.stringify({
      slack: {
        botToken: LOCAL_SLACK_TOKEN,
        approvalsChannel: 'C0APPROVALS',
        apiUrl: slack.apiUrl,
        interactivity: { enabled: true, signingSecrets: [SECRET] },
      },
    }),
    HOOKPILOT_CONSOLE_URL: 'http://127.0.0.1:8787',
  });
  ({ handler: executor } = await import('../../lambda/handlers/executor.ts'));
  store = new DynamoApprovalStore(documents, resources.tables.approvalsTable as string);
  route = handlerFor(settings());
  const gateway = await startGateway({
    port: 0,
    routes: [
      {
        method: 'POST',
        path: '/slack/interactivity',
        fn: {
          handler: (event: APIGatewayProxyEventV2) => route(event),
          context: () => lambdaContext('slack-interactivity', 10, 512),
        },
      },
    ],
  });
  url = gateway.url;
  stopGateway = gateway.stop;
  approver = await slackUser('U0APPROVER1', ['it-approvers']);
  secondApprover = await slackUser('U0APPROVER2', ['security-approvers']);
});

afterAll(async () => {
  await stopGateway?.();
  await Promise.all([okta?.stop(), slack?.stop()]);
});

beforeEach(async () => {
  slack.slack.reset();
  route = handlerFor(settings());
  await drain(sqs, resources.queues.actionsQueue.url);
});

/** A pending request adding a fresh user to dept-sales (low risk unless told). */
async function request(options: { risk?: string; subject?: { id: string } } = {}): Promise<ApprovalRecord> {
  const subject = options.subject ?? (await newUser(okta));
  const record = pendingRecord({
    userId: subject.id,
    action: { type: 'group.add_member', params: { userId: subject.id, groupId: groupNamed(okta, 'dept-sales') } },
    ...(options.risk ? { risk: options.risk, policy: loadPolicy() } : { policy: loadPolicy() }),
  });
  await store.create(record, []);
  return record;
}

/** The form body Slack posts for a click on one of our buttons. */
function clickBody(record: ApprovalRecord, slackUserId: string, actionId = ACTION_APPROVE, responseId?: string) {
  clicks += 1;
  const payload = {
    type: 'block_actions',
    user: { id: slackUserId, username: 'someone', team_id: 'T0LOCAL' },
    team: { id: 'T0LOCAL' },
    response_url: slack.slack.responseUrl(slack.url, responseId ?? `click${clicks}`),
    container: { type: 'message', channel_id: 'C0APPROVALS', message_ts: '1.000001' },
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'actions',
        value: decisionValue({
          approvalId: record.approvalId,
          event: { data: { payloadHash: record.payloadHash } },
        } as never),
        action_ts: '1.2',
      },
    ],
  };
  return { body: `payload=${encodeURIComponent(JSON.stringify(payload))}`, responseId: responseId ?? `click${clicks}` };
}

async function post(body: string, headers: Record<string, string> = {}) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const response = await fetch(`${url}/slack/interactivity`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(SECRET, timestamp, body),
      ...headers,
    },
    body,
  });
  return { status: response.status, text: await response.text() };
}

const answer = (responseId: string) => {
  const found = slack.slack.responses.find((r) => r.id === responseId);
  return found ? { text: String(found.body.text), type: found.body.response_type } : undefined;
};

describe('the signature', () => {
  it('a valid signature is accepted; a wrong secret, a stale timestamp or a tampered body is a 401 that changes nothing', async () => {
    const record = await request();
    const { body } = clickBody(record, secondApprover.slack, ACTION_REJECT);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const wrong = await post(body, { 'x-slack-signature': slackSignature('c'.repeat(32), timestamp, body) });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('slack_bad_signature');
    const old = String(Math.floor(Date.now() / 1000) - 301);
    const stale = await post(body, {
      'x-slack-request-timestamp': old,
      'x-slack-signature': slackSignature(SECRET, old, body),
    });
    expect(stale.status).toBe(401);
    expect(stale.text).toContain('slack_stale_timestamp');
    const tampered = await post(body, {
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(SECRET, timestamp, body.replace('block_actions', 'block_actionz')),
    });
    expect(tampered.status).toBe(401);
    expect((await store.get(record.approvalId))?.state).toBe('pending');
    expect(slack.slack.responses).toHaveLength(0);
  });

  it('a base64-encoded body (as API Gateway may deliver it) verifies over the decoded raw bytes', async () => {
    const record = await request();
    const { body, responseId } = clickBody(record, secondApprover.slack, ACTION_REJECT);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const event = {
      version: '2.0',
      routeKey: 'POST /slack/interactivity',
      rawPath: '/slack/interactivity',
      rawQueryString: '',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': slackSignature(SECRET, timestamp, body),
      },
      requestContext: { http: { method: 'POST', path: '/slack/interactivity' } },
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    } as unknown as APIGatewayProxyEventV2;
    const result = await route(event);
    expect(result.statusCode).toBe(200);
    expect(answer(responseId)?.text).toMatch(/You rejected/);
    expect((await store.get(record.approvalId))?.state).toBe('rejected');
  });
});

describe('deciding from Slack', () => {
  it('the handler module (as deployed and in the local stack) reads its settings and decides', async () => {
    const { handler } = await import('../../lambda/handlers/slack-interactivity.ts');
    route = handler;
    const record = await request();
    const { body, responseId } = clickBody(record, approver.slack, ACTION_REJECT);
    expect((await post(body)).status).toBe(200);
    expect(answer(responseId)?.text).toMatch(/^You rejected ".*"\. It will not run\.$/);
    const rejected = await store.get(record.approvalId);
    expect(rejected?.decisions).toMatchObject([
      { outcome: 'reject', reason: `rejected in Slack by ${approver.login}` },
    ]);
    const forged = await post(body, { 'x-slack-signature': 'v0=00' });
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.text)).toEqual({
      error: { code: 'slack_bad_signature', message: 'the Slack signature does not match' },
    });
  });

  it('approves a non-critical request end to end: the decision is recorded, the action queued and run in Okta', async () => {
    const subject = await newUser(okta);
    const record = await request({ subject });
    const { body, responseId } = clickBody(record, approver.slack);
    const response = await post(body);
    expect(response.status).toBe(200);
    expect(answer(responseId)).toEqual({
      text: expect.stringMatching(/^You approved ".*"\. It is queued to run\.$/),
      type: 'ephemeral',
    });
    const decided = await store.get(record.approvalId);
    expect(decided?.state).toBe('approved');
    expect(decided?.decisions).toMatchObject([
      { outcome: 'approve', approverId: approver.id, approverLogin: approver.login },
    ]);
    expect(await queueDepth(sqs, resources.queues.actionsQueue.url)).toBe(1);
    await consumeAll(sqs, resources.queues.actionsQueue.url, {
      handler: executor as never,
      context: () => lambdaContext('executor', 60, 512),
    });
    const groups = await okta.client().userApi.listUserGroups({ userId: subject.id });
    const names: string[] = [];
    for await (const g of groups) if (g) names.push(String(g.profile?.name));
    expect(names).toContain('dept-sales');
    expect((await store.get(record.approvalId))?.state).toBe('executed');
  });

  it('refuses a critical request even from a forged click, and says why', async () => {
    const record = await request({ risk: 'critical' });
    const { body, responseId } = clickBody(record, secondApprover.slack);
    expect((await post(body)).status).toBe(200);
    expect(answer(responseId)?.text).toMatch(/^Critical actions are decided in the console only/);
    expect((await store.get(record.approvalId))?.decisions).toEqual([]);
    expect(await queueDepth(sqs, resources.queues.actionsQueue.url)).toBe(0);
  });

  it.each([
    ['slow (3 s)', { delayMs: 3000 }],
    ['rate-limited for 30 s', { status: 429, resetInSeconds: 30 }],
  ])('Okta %s: the clicker is told to try again within the budget, and nothing is decided', async (_, fault) => {
    const record = await request();
    const { body, responseId } = clickBody(record, approver.slack);
    const injected = okta.sim.faults.add({ method: 'GET', path: '/api/v1/users', times: 3, ...fault });
    try {
      expect((await post(body)).status).toBe(200);
    } finally {
      okta.sim.faults.remove(injected.id);
    }
    expect(injected.matched).toBeGreaterThan(0);
    expect(answer(responseId)?.text).toMatch(
      /^hookpilot could not look up your Okta account just now; nothing was recorded\. Try again/,
    );
    expect((await store.get(record.approvalId))?.decisions).toEqual([]);
    expect(await queueDepth(sqs, resources.queues.actionsQueue.url)).toBe(0);
  });

  it('refuses the subject of the request', async () => {
    const subject = await slackUser('U0SUBJECT1', ['it-approvers']);
    const record = await request({ subject });
    const { body, responseId } = clickBody(record, subject.slack);
    await post(body);
    expect(answer(responseId)?.text).toMatch(/^Refused: you are the subject of this request/);
    expect((await store.get(record.approvalId))?.state).toBe('pending');
  });

  it('refuses a Slack user linked to no Okta user, and one who is not an approver', async () => {
    const record = await request();
    const unknown = clickBody(record, 'U0NOBODY99');
    await post(unknown.body);
    expect(answer(unknown.responseId)?.text).toMatch(
      /not linked to an Okta user \(no Okta user has slackUserId = U0NOBODY99\)/,
    );
    const outsider = await slackUser('U0OUTSIDER', []);
    const click = clickBody(record, outsider.slack);
    await post(click.body);
    expect(answer(click.responseId)?.text).toMatch(/^Refused: you are not an approver of this request/);
    expect((await store.get(record.approvalId))?.state).toBe('pending');
  });

  it('maps by email only when matchEmail is on', async () => {
    const byEmail = await newUser(okta);
    await okta.client().groupApi.assignUserToGroup({ groupId: groupNamed(okta, 'it-approvers'), userId: byEmail.id });
    const standIn = await startSlackStandIn({ users: { U0BYEMAIL1: { email: byEmail.login } } });
    try {
      const record = await request();
      const base = settings();
      route = handlerFor({ ...base, apiUrl: standIn.apiUrl });
      const off = clickBody(record, 'U0BYEMAIL1');
      await post(off.body.replace(encodeURIComponent(slack.url), encodeURIComponent(standIn.url)));
      expect(standIn.slack.responses[0]?.body.text).toMatch(/not linked to an Okta user/);
      route = handlerFor({
        ...base,
        apiUrl: standIn.apiUrl,
        interactivity: { enabled: true, signingSecrets: [SECRET], matchEmail: true },
      });
      const on = clickBody(record, 'U0BYEMAIL1');
      await post(on.body.replace(encodeURIComponent(slack.url), encodeURIComponent(standIn.url)));
      expect(standIn.slack.responses[1]?.body.text).toMatch(/^You approved/);
    } finally {
      await standIn.stop();
    }
  });

  it('refuses everything while interactivity is off, and a response_url that is not Slack’s is a 400', async () => {
    route = handlerFor(settings({ enabled: false }));
    const record = await request();
    const { body, responseId } = clickBody(record, approver.slack);
    await post(body);
    expect(answer(responseId)?.text).toMatch(/^Deciding in Slack is turned off/);
    route = handlerFor(settings());
    const evil = body.replace(encodeURIComponent(slack.url), encodeURIComponent('https://evil.example'));
    expect((await post(evil)).status).toBe(400);
    expect((await store.get(record.approvalId))?.state).toBe('pending');
  });
});
