import { slackInteractivityConfig } from '../config.ts';
import type { ActionMessage } from '../domain/action-message.ts';
import { loadPolicy } from '../domain/policy-config.ts';
import { ConfigError } from '../errors.ts';
import { consoleBaseUrl, loadNotifyConfig } from '../notify/config.ts';
import { parseSlackConfig, type SlackConfig } from '../notify/slack/config.ts';
import { respondToInteraction, SlackWebApi } from '../notify/slack/web-api.ts';
import { INTERACTIVE_OKTA_BUDGET, oktaSettings } from '../okta/okta-config.ts';
import { type SlackInteractivityDeps, slackInteractivity } from '../pipeline/slack-interactivity.ts';
import type { HttpRequest, HttpResult } from '../ports.ts';
import { approvalEventQueues } from '../store/approval-event-queues.ts';
import { DynamoApprovalStore } from '../store/approval-store.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { SqsQueue } from '../store/sqs-queue.ts';
import { httpHandler } from './http.ts';

/**
 * `POST /slack/interactivity`: Approve / Reject clicks from Slack (docs/notifications.md). Signature first, then the
 * approvals use case with the Okta user the Slack user maps to. The Slack settings (signing secrets, bot token) come
 * from the notifications configuration, read per request through its cache, so a rotated secret applies without a
 * redeploy.
 */
const config = slackInteractivityConfig();
const store = new DynamoApprovalStore(dynamoDocumentClient(), config.approvalsTable);
const audit = new DynamoAuditLog(dynamoDocumentClient(), config.auditTable);
// Slack's 3 s: Okta gets a short budget (no 429 waited out), and the SDK (most of this bundle) is evaluated on the first
// click, not during the cold start.
const settings = { ...oktaSettings(), ...INTERACTIVE_OKTA_BUDGET };
let okta: Promise<SlackInteractivityDeps['directory']> | undefined;
const sdk = () => {
  okta ??= import('../okta/okta-sdk-adapter.ts').then(({ OktaSdkAdapter }) => new OktaSdkAdapter(settings));
  return okta;
};
const directory: SlackInteractivityDeps['directory'] = {
  searchUsers: async (filter, limit) => (await sdk()).searchUsers(filter, limit),
  listUserGroups: async (userId) => (await sdk()).listUserGroups(userId),
};
const policy = loadPolicy();
const shared = {
  store,
  audit,
  policy,
  clock: () => new Date(),
  actionsQueue: new SqsQueue<ActionMessage>(sqsClient(), config.actionsQueueUrl, 'actions'),
  publish: {
    outbox: store,
    audit,
    ...approvalEventQueues(config),
  },
  directory,
  respond: respondToInteraction,
  consoleUrl: (id: string) => `${consoleBaseUrl()}/console/approvals/${encodeURIComponent(id)}`,
};

async function slackSettings(): Promise<SlackConfig> {
  const notify = await loadNotifyConfig();
  if (!notify.slack)
    throw new ConfigError('Slack interactivity: the notifications configuration has no slack settings');
  return parseSlackConfig(notify.slack);
}

export const handler = httpHandler(async (request: HttpRequest): Promise<HttpResult> => {
  const slack = await slackSettings();
  // users.info (matchEmail only) within the same short budget as Okta.
  const api = new SlackWebApi({ token: slack.botToken, apiUrl: slack.apiUrl, timeoutMs: 1_000 });
  return slackInteractivity({ ...shared, config: slack, slackEmailOf: (id) => api.userEmail(id) })(request);
});
