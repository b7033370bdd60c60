/**
 * `npm run bench:approvals`: what an approval request costs against DynamoDB Local and the SQS emulator on this machine.
 * (1) Creating requests the way the events consumer does (one transaction: request + outbox event; then the relay:
 * audit put, SQS send, mark published), one after another. (2) One sweep expiring all of them (per request: a
 * consistent read, a transaction, the relay). (3) The catch-up relay of events left in the outbox (SQS was down).
 * Figures only; nothing is asserted. Everything is local (127.0.0.1) and bounded (N requests).
 */
import { randomUUID } from 'node:crypto';
import { startFauxqs } from 'fauxqs';
import { approvalEvent, approvalEventSource } from '../lambda/domain/approval-events.ts';
import { DEFAULT_POLICY } from '../lambda/domain/policy-config.ts';
import { ApprovalRequests, buildRequest } from '../lambda/pipeline/approvals.ts';
import { publishApprovalEvents } from '../lambda/pipeline/publish-approval-events.ts';
import { sweepApprovals } from '../lambda/pipeline/sweep-approvals.ts';
import type { PendingApproval } from '../lambda/ports.ts';
import { DynamoApprovalStore } from '../lambda/store/approval-store.ts';
import { DynamoAuditLog } from '../lambda/store/audit-log.ts';
import { SqsQueue } from '../lambda/store/sqs-queue.ts';
import { startDynamoLocal } from '../local/dynamodb-local.ts';
import { createResources, localDocuments, localSqs } from '../local/resources.ts';
import { ms, percentiles, timed } from './stats.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const N = Number(process.env.BENCH_APPROVALS ?? 200);

const pending = (): PendingApproval => {
  const correlationId = randomUUID();
  return {
    message: {
      schemaVersion: 1,
      actionId: `${correlationId}:0`,
      action: { type: 'app.assign', params: { userId: `00u${correlationId.slice(0, 8)}`, appId: '0oabench' } },
      origin: { kind: 'recommendation', correlationId },
      decidedAt: new Date().toISOString(),
    },
    risk: 'medium',
    confidence: 0.7,
    rationale: '7 of 10 peers hold it',
    evidence: ['peers: 7/10'],
    rule: 'mode-assisted',
    reason: 'assisted mode',
    eventType: 'user.lifecycle.create',
  };
};

const [dynamo, sqsServer] = await Promise.all([startDynamoLocal(), startFauxqs({ port: 0, logger: false })]);
try {
  const resources = await createResources({ dynamodb: dynamo.endpoint, sqs: sqsServer.address }, { prefix: 'bench' });
  const documents = localDocuments(dynamo.endpoint);
  const store = new DynamoApprovalStore(documents, resources.tables.approvalsTable);
  const publish = {
    outbox: store,
    audit: new DynamoAuditLog(documents, resources.tables.auditTable),
    approvalQueue: new SqsQueue(localSqs(sqsServer.address), resources.queues.approvalQueue.url, 'approval'),
    source: approvalEventSource('bench'),
  };
  const past = new Date(Date.now() - 100 * 3_600_000); // so that the sweep below finds them all expired
  const requests = new ApprovalRequests({ store, clock: () => past, policy: DEFAULT_POLICY, publish });

  console.log(`\nhookpilot approvals benchmark — Node ${process.version}, ${N} requests, DynamoDB Local + fauxqs\n`);
  const create: number[] = [];
  for (let i = 0; i < N; i++) create.push(await timed(() => requests.submit(pending())));
  const c = percentiles(create);
  console.log(
    `create + relay, per request      p50 ${ms(c.p50)}  p95 ${ms(c.p95)}  p99 ${ms(c.p99)}  max ${ms(c.max)}`,
  );
  const again = pending();
  await requests.submit(again);
  const repeats: number[] = [];
  for (let i = 0; i < 20; i++) repeats.push(await timed(() => requests.submit(again)));
  const redelivered = percentiles(repeats);
  console.log(`redelivered (request exists)     p50 ${ms(redelivered.p50)}  (a conditional write refused, one read)`);

  let result: Awaited<ReturnType<typeof sweepApprovals>> | undefined;
  const sweepMs = await timed(async () => {
    result = await sweepApprovals({ store, publish, batchSize: N + 10 }, new Date());
  });
  console.log(
    `one sweep expiring ${result?.expired} requests  ${ms(sweepMs)} total, ${ms(sweepMs / Math.max(1, result?.expired ?? 1))} per request`,
  );

  // Events left in the outbox (as if SQS had been down when they were written), then one catch-up.
  for (let i = 0; i < N; i++) {
    const record = buildRequest(pending(), DEFAULT_POLICY, new Date());
    await store.create(record, [approvalEvent('requested', record)]);
  }
  let published = 0;
  const catchUpMs = await timed(async () => {
    published = (await publishApprovalEvents(publish)).published;
  });
  console.log(
    `catch-up relay of ${published} outbox events  ${ms(catchUpMs)} total, ${ms(catchUpMs / Math.max(1, published))} per event`,
  );
} finally {
  await sqsServer.stop();
  await dynamo.stop();
}
