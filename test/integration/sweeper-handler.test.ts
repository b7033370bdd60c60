import { beforeAll, describe, expect, it } from 'vitest';
import { approvalEvent } from '../../lambda/domain/approval-events.ts';
import { DynamoApprovalStore } from '../../lambda/store/approval-store.ts';
import { dynamoClient } from '../../lambda/store/aws-clients.ts';
import type { LocalResources } from '../../local/resources.ts';
import { newRequest } from '../support/approvals.ts';
import { freshResources, testClients, useLocalEnv } from '../support/emulators.ts';
import { injectFault } from '../support/faults.ts';
import { drain } from '../support/queues.ts';

/** The sweeper function as deployed (its handler, its settings from the environment) against the emulators. */
const { sqs, documents } = testClients();
let resources: LocalResources;
let handler: typeof import('../../lambda/handlers/sweeper.ts')['handler'];
let store: DynamoApprovalStore;

beforeAll(async () => {
  resources = await freshResources();
  useLocalEnv(resources, { HOOKPILOT_INSTANCE: 'SweeperTest' });
  ({ handler } = await import('../../lambda/handlers/sweeper.ts'));
  store = new DynamoApprovalStore(documents, resources.tables.approvalsTable);
});

describe('the sweeper handler', () => {
  it('expires what is due and publishes it with the deployment as the CloudEvent source', async () => {
    const record = newRequest(new Date(Date.now() - 100 * 3_600_000));
    await store.create(record, [approvalEvent('requested', record)]); // never published: the sweeper catches up
    await handler();
    expect((await store.get(record.approvalId))?.state).toBe('expired');
    const bodies = (await drain(sqs, resources.queues.approvalQueue.url)).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(bodies.map((b) => [b.type, b.source]).sort()).toEqual([
      ['dev.hookpilot.approval.expired', 'hookpilot://SweeperTest/approvals'],
      ['dev.hookpilot.approval.requested', 'hookpilot://SweeperTest/approvals'],
    ]);
  });

  it('fails the run when a step fails (so the schedule retries and the alarm sees it), changing nothing', async () => {
    const record = newRequest(new Date(Date.now() - 100 * 3_600_000));
    await store.create(record, []);
    const fault = injectFault(dynamoClient(), 'QueryCommand', { times: 1 });
    await expect(handler()).rejects.toThrow('sweep steps failed: approvals');
    fault.remove();
    expect((await store.get(record.approvalId))?.state).toBe('pending');
    await handler();
    expect((await store.get(record.approvalId))?.state).toBe('expired');
  });
});
