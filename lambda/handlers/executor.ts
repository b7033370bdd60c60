import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { executorConfig } from '../config.ts';
import { type ActionMessage, ActionMessageSchema } from '../domain/action-message.ts';
import { loadPolicy } from '../domain/policy-config.ts';
import { logger } from '../log.ts';
import { oktaSettings } from '../okta/okta-config.ts';
import { OktaSdkAdapter } from '../okta/okta-sdk-adapter.ts';
import { ApprovalOutcomes } from '../pipeline/approval-outcomes.ts';
import { executeAction } from '../pipeline/execute-action.ts';
import { GrantKeeper } from '../pipeline/grants.ts';
import { DynamoActionLedger } from '../store/action-ledger.ts';
import { approvalEventQueues } from '../store/approval-event-queues.ts';
import { DynamoApprovalStore } from '../store/approval-store.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { DynamoGrantStore } from '../store/grant-store.ts';
import { SqsQueue } from '../store/sqs-queue.ts';

/**
 * Consumes the actions queue: each message is one catalogued action, executed once per action id against Okta. A record
 * that must be retried (transient failure) is reported alone; rate-limited ones are re-queued with a delay.
 */
const config = executorConfig();
const approvalStore = new DynamoApprovalStore(dynamoDocumentClient(), config.approvalsTable);
const audit = new DynamoAuditLog(dynamoDocumentClient(), config.auditTable);
const publish = {
  outbox: approvalStore,
  audit,
  ...approvalEventQueues(config),
};
const clock = () => new Date();
const deps = {
  okta: new OktaSdkAdapter(oktaSettings()),
  ledger: new DynamoActionLedger(dynamoDocumentClient(), config.actionsTable),
  audit,
  actionsQueue: new SqsQueue<ActionMessage>(sqsClient(), config.actionsQueueUrl, 'actions'),
  clock,
  approvals: new ApprovalOutcomes({ store: approvalStore, publish }),
  grants: new GrantKeeper({
    store: new DynamoGrantStore(dynamoDocumentClient(), config.grantsTable),
    policy: loadPolicy(),
    audit,
    clock,
    approvals: { store: approvalStore, publish },
  }),
};
const processor = new BatchProcessor(EventType.SQS);

export const handler = async (event: SQSEvent, context: Context) => {
  const handleRecord = async (record: SQSRecord) => {
    let json: unknown;
    try {
      json = JSON.parse(record.body);
    } catch {
      throw new Error(`message ${record.messageId} is not JSON`);
    }
    const parsed = ActionMessageSchema.safeParse(json);
    if (!parsed.success) throw new Error(`message ${record.messageId} is not an actions queue message (schema v1)`);
    // Hold the action a little longer than this invocation can run, so no other worker takes it meanwhile.
    const outcome = await executeAction(parsed.data, { ...deps, leaseMs: context.getRemainingTimeInMillis() + 5_000 });
    logger.info('action processed', { actionId: parsed.data.actionId, type: parsed.data.action.type, outcome });
  };
  return processPartialResponse(event, handleRecord, processor, { context });
};
