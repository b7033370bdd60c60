import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../lambda/ports.ts';
import { auditItem } from '../../lambda/store/audit-log.ts';

/**
 * A busy audit trail, written fast: `count` `event.received` records spread evenly over [from, to], in the item format
 * the audit log itself stores (`auditItem`), with BatchWriteItem (25 a request) from `concurrency` writers at once.
 * Record i is about user `subjects[i % subjects.length]`. Returns the records, oldest first.
 */
export async function seedAuditRecords(
  documents: DynamoDBDocumentClient,
  table: string,
  options: { count: number; from: Date; to: Date; subjects?: readonly string[]; concurrency?: number },
): Promise<AuditRecord[]> {
  const subjects = options.subjects ?? ['00u1busybusybusy0001'];
  const span = options.to.getTime() - options.from.getTime();
  const records: AuditRecord[] = Array.from({ length: options.count }, (_, i) => ({
    correlationId: randomUUID(),
    recordKey: 'received',
    kind: 'event.received',
    at: new Date(options.from.getTime() + Math.floor((span * i) / Math.max(1, options.count - 1))).toISOString(),
    actor: 'event-hook',
    summary: 'user.session.start received',
    subjectUserId: subjects[i % subjects.length] as string,
    eventType: 'user.session.start',
    detail: { outcome: 'FAILURE', eventId: `seed-${i}` },
  }));
  let next = 0;
  const writer = async () => {
    while (next < records.length) {
      const batch = records.slice(next, next + 25);
      next += 25;
      let pending = batch.map((record) => ({ PutRequest: { Item: auditItem(record) } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
        const result = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, writer));
  return records;
}
