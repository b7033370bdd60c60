import { sweeperConfig } from '../config.ts';
import type { ActionMessage } from '../domain/action-message.ts';
import { logger } from '../log.ts';
import { dispatchApproved } from '../pipeline/dispatch-approved.ts';
import { sweepGrants } from '../pipeline/grants.ts';
import { runSweep, type SweepStep } from '../pipeline/sweep.ts';
import { sweepApprovals } from '../pipeline/sweep-approvals.ts';
import { approvalEventQueues } from '../store/approval-event-queues.ts';
import { DynamoApprovalStore } from '../store/approval-store.ts';
import { DynamoAuditLog } from '../store/audit-log.ts';
import { dynamoDocumentClient, sqsClient } from '../store/aws-clients.ts';
import { DynamoGrantStore } from '../store/grant-store.ts';
import { SqsQueue } from '../store/sqs-queue.ts';

/**
 * The scheduled sweeper (every 5 minutes in AWS, a timer locally): runs each sweep step; a failed step fails the run
 * after the others have had their turn. Adding a step is one entry in `steps`.
 */
const config = sweeperConfig();
const approvals = new DynamoApprovalStore(dynamoDocumentClient(), config.approvalsTable);
const publish = {
  outbox: approvals,
  audit: new DynamoAuditLog(dynamoDocumentClient(), config.auditTable),
  ...approvalEventQueues(config),
};

const actionsQueue = new SqsQueue<ActionMessage>(sqsClient(), config.actionsQueueUrl, 'actions');
const grants = { store: new DynamoGrantStore(dynamoDocumentClient(), config.grantsTable), actionsQueue };

const steps: readonly SweepStep[] = [
  { name: 'approvals', run: (now) => sweepApprovals({ store: approvals, publish }, now) },
  {
    name: 'approved-dispatch',
    run: (now) => dispatchApproved({ store: approvals, actionsQueue, audit: publish.audit }, now),
  },
  { name: 'grants', run: (now) => sweepGrants(grants, now) },
];

export const handler = async (): Promise<void> => {
  const { results, failed } = await runSweep(steps, new Date());
  logger.info('sweep done', { results });
  if (failed.length > 0) {
    logger.error('sweep steps failed; the next run tries again', { failed });
    throw new Error(`sweep steps failed: ${failed.map((f) => f.step).join(', ')}`);
  }
};
