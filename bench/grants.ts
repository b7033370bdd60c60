/**
 * `npm run bench:grants`: what time-bound grants cost against DynamoDB Local and the SQS emulator on this machine.
 * (1) Recording N grants (one conditional put each, as the executor does after a time-bound action). (2) One sweep over
 * N expired grants (the sparse `byDue` query, then per grant one SQS send of the inverse and one conditional put).
 * (3) The same sweep again right after (every grant now `revoking`, not due: the query alone). Figures only; nothing is
 * asserted. Everything is local (127.0.0.1) and bounded (N grants).
 */
import { randomUUID } from 'node:crypto';
import { startFauxqs } from 'fauxqs';
import type { Grant } from '../lambda/domain/grant.ts';
import { sweepGrants } from '../lambda/pipeline/grants.ts';
import { DynamoGrantStore } from '../lambda/store/grant-store.ts';
import { SqsQueue } from '../lambda/store/sqs-queue.ts';
import { startDynamoLocal } from '../local/dynamodb-local.ts';
import { createResources, localDocuments, localSqs } from '../local/resources.ts';
import { ms, percentiles, timed } from './stats.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const N = Number(process.env.BENCH_GRANTS ?? 200);

const grant = (grantedAt: Date): Grant => {
  const id = randomUUID();
  const userId = `00u${id.replaceAll('-', '').slice(0, 17)}`;
  const params = { userId, groupId: '00gbenchAAAAAAAAAAAA' };
  return {
    grantId: `${id}:0`,
    state: 'active',
    subjectUserId: userId,
    action: { type: 'group.add_member', params },
    inverse: { type: 'group.remove_member', params },
    grantedAt: grantedAt.toISOString(),
    durationSeconds: 3600,
    expiresAt: new Date(grantedAt.getTime() + 3_600_000).toISOString(),
    durationReason: 'asked for 3600 s',
    approvers: ['00uapprover'],
    correlationId: id,
    version: 0,
  };
};

const [dynamo, sqsServer] = await Promise.all([startDynamoLocal(), startFauxqs({ port: 0, logger: false })]);
try {
  const resources = await createResources({ dynamodb: dynamo.endpoint, sqs: sqsServer.address }, { prefix: 'bench' });
  const store = new DynamoGrantStore(localDocuments(dynamo.endpoint), resources.tables.grantsTable);
  const actionsQueue = new SqsQueue(localSqs(sqsServer.address), resources.queues.actionsQueue.url, 'actions');
  const past = new Date(Date.now() - 100 * 3_600_000);

  console.log(`\nhookpilot grants benchmark — Node ${process.version}, ${N} grants, DynamoDB Local + fauxqs\n`);
  const record: number[] = [];
  for (let i = 0; i < N; i++) record.push(await timed(() => store.create(grant(past))));
  const r = percentiles(record);
  console.log(
    `record a grant                   p50 ${ms(r.p50)}  p95 ${ms(r.p95)}  p99 ${ms(r.p99)}  max ${ms(r.max)}`,
  );

  let result: Record<string, number> = {};
  const sweepMs = await timed(async () => {
    result = await sweepGrants({ store, actionsQueue, batch: N + 10 }, new Date());
  });
  console.log(
    `one sweep revoking ${result.queued} grants   ${ms(sweepMs)} total, ${ms(sweepMs / Math.max(1, result.queued ?? 1))} per grant`,
  );
  const idleMs = await timed(() => sweepGrants({ store, actionsQueue, batch: N + 10 }, new Date()));
  console.log(`the next sweep (nothing due)     ${ms(idleMs)}`);
} finally {
  await sqsServer.stop();
  await dynamo.stop();
}
