import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { DependencyError } from '../errors.ts';
import type { AuditKey, AuditLog, AuditRecord } from '../ports.ts';
import { auditKeyString } from '../ports.ts';
import { redactSecrets } from '../redact.ts';
import { AUDIT_TABLE } from './tables.ts';

const SCHEMA_VERSION = 1;
const WRITE_CONCURRENCY = 16;

// What the table holds, checked on read (zod/mini: this adapter is in the synchronous receiver's bundle). Unknown
// attributes — the table's own `day` and `schemaVersion` — are left out of the records returned.
const AuditKeySchema = z.object({ correlationId: z.string(), recordKey: z.string() });
const AuditRecordSchema = z.object({
  correlationId: z.string(),
  recordKey: z.string(),
  kind: z.string(),
  at: z.string(),
  actor: z.string(),
  summary: z.string(),
  subjectUserId: z.optional(z.string()),
  eventType: z.optional(z.string()),
  detail: z.optional(z.record(z.string(), z.unknown())),
});

export interface DynamoAuditLogOptions {
  /**
   * Items asked for per Query request (DynamoDB's `Limit`). Every read pages with `Limit` + `ExclusiveStartKey` and stops
   * as soon as it holds what the caller asked for, so a busy day (100k+ records in one `byDay` partition) costs the
   * reader one or two small requests, not a scan of the partition.
   * @default 1000
   */
  readonly pageSize?: number;
}

/** The item stored for a record: redacted, with the `day` the `byDay` index is keyed on and the schema version. */
export function auditItem(record: AuditRecord): Record<string, unknown> {
  const { subjectUserId, ...rest } = redactSecrets(record);
  return {
    ...rest,
    // An index key DynamoDB cannot hold would make the whole write fail: such a record is kept, just not indexed.
    ...(subjectUserId !== undefined && isIndexKey(subjectUserId) ? { subjectUserId } : {}),
    day: record.at.slice(0, 10),
    schemaVersion: SCHEMA_VERSION,
  };
}

/**
 * The audit trail in DynamoDB. Append-only: every write is a conditional put that never replaces an existing record
 * (the deployed functions hold only `dynamodb:PutItem` and read permissions on this table, so nothing can rewrite
 * history even by mistake).
 */
export class DynamoAuditLog implements AuditLog {
  private readonly pageSize: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoAuditLogOptions = {},
  ) {
    this.pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    const queue = [...records];
    const worker = async () => {
      for (let record = queue.shift(); record; record = queue.shift()) await this.put(record);
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, queue.length) }, worker));
  }

  private async put(record: AuditRecord): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: auditItem(record),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': AUDIT_TABLE.partitionKey },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // already recorded: a retry of the same step
      // DynamoDB refusing the record is a bug to fix, not an outage to wait out: say so, and do not blame the store.
      if ((error as { name?: unknown }).name === 'ValidationException') {
        throw new Error(`the audit store refused record ${record.recordKey} as invalid`, { cause: error });
      }
      throw new DependencyError('the audit store (DynamoDB) is unavailable', error);
    }
  }

  async existing(keys: readonly AuditKey[]): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Map(keys.map((k) => [auditKeyString(k), k])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((k) => ({ correlationId: k.correlationId, recordKey: k.recordKey }));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt === 4) throw new DependencyError('the audit store (DynamoDB) is throttling reads');
        if (attempt > 0) await sleep(25 * 2 ** attempt);
        let result: BatchGetCommandOutput;
        try {
          result = await this.client.send(
            new BatchGetCommand({
              RequestItems: {
                [this.tableName]: {
                  Keys: pending,
                  ProjectionExpression: 'correlationId, recordKey',
                  ConsistentRead: true,
                },
              },
            }),
          );
        } catch (error) {
          throw new DependencyError('the audit store (DynamoDB) is unavailable', error);
        }
        for (const item of result.Responses?.[this.tableName] ?? [])
          found.add(auditKeyString(read(AuditKeySchema, item)));
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  async byCorrelation(correlationId: string, options: { limit?: number } = {}): Promise<AuditRecord[]> {
    const items = await this.query(
      { KeyConditionExpression: 'correlationId = :c', ExpressionAttributeValues: { ':c': correlationId } },
      options.limit,
    );
    return items.sort((a, b) => a.at.localeCompare(b.at) || a.recordKey.localeCompare(b.recordKey));
  }

  async bySubject(userId: string, options: { limit?: number; since?: string } = {}): Promise<AuditRecord[]> {
    return this.query(
      {
        IndexName: 'bySubject',
        KeyConditionExpression: options.since ? 'subjectUserId = :u AND #at >= :s' : 'subjectUserId = :u',
        ExpressionAttributeValues: { ':u': userId, ...(options.since ? { ':s': options.since } : {}) },
        ...(options.since ? { ExpressionAttributeNames: { '#at': 'at' } } : {}),
        ScanIndexForward: false,
      },
      options.limit,
    );
  }

  async byTime(
    from: string,
    to: string,
    options: { limit?: number; newestFirst?: boolean } = {},
  ): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    const days = daysBetween(from, to);
    if (options.newestFirst) days.reverse();
    for (const day of days) {
      const remaining = options.limit === undefined ? undefined : options.limit - out.length;
      if (remaining !== undefined && remaining <= 0) break;
      out.push(
        ...(await this.query(
          {
            IndexName: 'byDay',
            KeyConditionExpression: '#day = :d AND #at BETWEEN :f AND :t',
            ExpressionAttributeNames: { '#day': 'day', '#at': 'at' },
            ExpressionAttributeValues: { ':d': day, ':f': from, ':t': to },
            ScanIndexForward: !options.newestFirst,
          },
          remaining,
        )),
      );
    }
    return out;
  }

  /** Pages through a query (`Limit` + `ExclusiveStartKey`) until it ends or `limit` items are in hand. */
  private async query(input: Omit<QueryCommandInput, 'TableName'>, limit?: number): Promise<AuditRecord[]> {
    const items: AuditRecord[] = [];
    if (limit !== undefined && limit <= 0) return items;
    let startKey: Record<string, unknown> | undefined;
    do {
      const want = limit === undefined ? this.pageSize : Math.min(this.pageSize, limit - items.length);
      let page: QueryCommandOutput;
      try {
        page = await this.client.send(
          new QueryCommand({ ...input, TableName: this.tableName, Limit: want, ExclusiveStartKey: startKey }),
        );
      } catch (error) {
        throw new DependencyError('the audit store (DynamoDB) is unavailable', error);
      }
      for (const item of page.Items ?? []) items.push(read(AuditRecordSchema, item));
      startKey = page.LastEvaluatedKey;
    } while (startKey && (limit === undefined || items.length < limit));
    return limit === undefined ? items : items.slice(0, limit);
  }
}

/** DynamoDB's rules for an index partition key: a non-empty string of at most 2,048 UTF-8 bytes (1,024 to be safe). */
export function isIndexKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && Buffer.byteLength(value, 'utf8') <= 1024;
}

/** An item as the schema says, or a DependencyError naming the first field that is not (the store holds something else). */
function read<T>(schema: z.ZodMiniType<T>, item: Record<string, unknown>): T {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new DependencyError(
    `the audit store (DynamoDB) returned an item that is not an audit record (${issue?.path.join('.') || 'item'}: ${issue?.message ?? 'invalid'})`,
  );
}

/** UTC days from `from` to `to` inclusive (at most 366, so a typo cannot start a year-long scan). */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from.slice(0, 10)}T00:00:00Z`);
  const end = Date.parse(`${to.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return [];
  const days: string[] = [];
  for (let t = start; t <= end && days.length < 366; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
