import { approvalsApiConfig } from '../config.ts';
import type { ActionMessage } from '../domain/action-message.ts';
import { loadPolicy } from '../domain/policy-config.ts';
import { createAccessTokenVerifier } from '../okta/access-token.ts';
import { approverTokenSettings } from '../okta/access-token-config.ts';
import { approvalsApi } from '../pipeline/approvals-api.ts';
import { approvalEventQueues } from '../store/approval-event-queues.ts';
import { DynamoApprovalStore } from '../store/approval-store.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { DynamoGrantStore } from '../store/grant-store.ts';
import { SqsQueue } from '../store/sqs-queue.ts';
import { httpHandler } from './http.ts';

/**
 * `GET /approvals`, `GET /approvals/{id}`, `POST /approvals/{id}/decision`, `GET /grants`, `POST /grants/{id}/end`: approvers (Okta access tokens, verified
 * here even behind API Gateway's JWT authorizer) list, read and decide approval requests.
 */
const config = approvalsApiConfig();
const store = new DynamoApprovalStore(dynamoDocumentClient(), config.approvalsTable);
const audit = new DynamoAuditLog(dynamoDocumentClient(), config.auditTable);
export const handler = httpHandler(
  approvalsApi({
    verifier: createAccessTokenVerifier(approverTokenSettings()),
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
    grants: { store: new DynamoGrantStore(dynamoDocumentClient(), config.grantsTable) },
  }),
);
