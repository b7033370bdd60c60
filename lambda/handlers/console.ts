import { consoleConfig, consoleOrigin } from '../config.ts';
import { approvalsConsole } from '../console/app.ts';
import { createNameResolver, type NameSource } from '../console/names.ts';
import type { ActionMessage } from '../domain/action-message.ts';
import { loadPolicy } from '../domain/policy-config.ts';
import { approverTokenVerifier } from '../okta/access-token-config.ts';
import { consoleOidcSettings, createOidcSignIn, lazySignIn } from '../okta/oidc-client.ts';
import { oktaSettings } from '../okta/okta-config.ts';
import { approvalEventQueues } from '../store/approval-event-queues.ts';
import { DynamoApprovalStore } from '../store/approval-store.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { DynamoConsoleSessionStore } from '../store/console-sessions.ts';
import { SqsQueue } from '../store/sqs-queue.ts';
import { httpHandler } from './http.ts';

/**
 * The approvals console (`/console/…`): Okta sign-in (OIDC code + PKCE), server-side sessions, and pages over the
 * approvals API's use cases (docs/console.md). Everything is built once per warm function.
 */
const config = consoleConfig();
const store = new DynamoApprovalStore(dynamoDocumentClient(), config.approvalsTable);
const audit = new DynamoAuditLog(dynamoDocumentClient(), config.auditTable);
const origin = consoleOrigin();
const settings = oktaSettings();
// The Okta SDK (most of this bundle) is evaluated on the first name lookup, not during the cold start.
let okta: Promise<NameSource> | undefined;
const sdk = () => {
  okta ??= import('../okta/okta-sdk-adapter.ts').then(({ OktaSdkAdapter }) => new OktaSdkAdapter(settings));
  return okta;
};
const names: NameSource = {
  getUser: async (id) => (await sdk()).getUser(id),
  getGroup: async (id) => (await sdk()).getGroup(id),
  getApp: async (id) => (await sdk()).getApp(id),
};
export const handler = httpHandler(
  approvalsConsole({
    verifier: approverTokenVerifier(),
    // Read on first use: a missing client id is a "misconfigured" page (and a log line naming the variable), not a
    // function that fails to start.
    oidc: lazySignIn(() => createOidcSignIn(consoleOidcSettings())),
    sessions: new DynamoConsoleSessionStore(dynamoDocumentClient(), config.sessionsTable),
    names: createNameResolver(names),
    store,
    actionsQueue: new SqsQueue<ActionMessage>(sqsClient(), config.actionsQueueUrl, 'actions'),
    audit,
    publish: {
      outbox: store,
      audit,
      ...approvalEventQueues(config),
    },
    policy: loadPolicy(),
    clock: () => new Date(),
    ...(origin ? { origin } : {}),
  }),
);
