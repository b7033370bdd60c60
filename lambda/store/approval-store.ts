import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ApprovalRecord, ApprovalRecordSchema, canonicalJson, nextDueAt } from '../domain/approval.ts';
import { BadRequestError, DependencyError } from '../errors.ts';
import type { ApprovalEvent, ApprovalOutbox, ApprovalStore } from '../ports.ts';

const REQUEST = 'request';
const EVENT = 'event';
const PENDING_SHARD = 'pending';
const UNPUBLISHED = 'unpublished';
const PUBLISHED_RETENTION_SECONDS = 14 * 24 * 3600;
/** How many reads one filtered page (subject and state) may take before it is returned short, with a cursor. */
const FILTERED_LIST_READS = 10;
const MAX_LIST_LIMIT = 100;
const MARK_CONCURRENCY = 8;
/** Attributes the table adds to a record (keys and index attributes); stripped when reading one back. */
const TABLE_ATTRIBUTES = ['pk', 'kind', 'dueShard', 'dueAt'] as const;

const eventKey = (id: string) => `event#${id}`;

/**
 * The approvals table in DynamoDB (design: `APPROVALS_TABLE` in tables.ts): requests and their outbox events. Every
 * write is one transaction — the request (conditional: new, or at the version the writer read) together with the events
 * it causes (conditional: new) — so a state change and its events are stored together or not at all, once.
 */
export class DynamoApprovalStore implements ApprovalStore, ApprovalOutbox {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(record: ApprovalRecord, events: readonly ApprovalEvent[]) {
    const written = await this.transact(
      [
        {
          Put: {
            TableName: this.tableName,
            Item: this.requestItem(record),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...this.eventPuts(events, record.requestedAt),
      ],
      { op: 'create', approvalId: record.approvalId, record, events },
    );
    if (written) return { created: true, record };
    const existing = await this.get(record.approvalId);
    if (!existing) throw new DependencyError('the approvals table (DynamoDB) refused a new request it does not hold');
    return { created: false, record: existing };
  }

  async update(next: ApprovalRecord, expectedVersion: number, events: readonly ApprovalEvent[]) {
    if (next.version !== expectedVersion + 1) {
      throw new Error(`approval ${next.approvalId}: version ${next.version} does not follow ${expectedVersion}`);
    }
    // Defence in depth: whoever records a decision, the table refuses one made at or after the request's expiry (an
    // approve racing the expiry loses even if the sweeper has not run yet).
    const lastDecisionAt = next.decisions
      .map((d) => d.at)
      .sort()
      .at(-1);
    const approving = (next.state === 'pending' || next.state === 'approved') && lastDecisionAt !== undefined;
    const decidedAt = lastDecisionAt ?? next.decidedAt ?? new Date().toISOString();
    return this.transact(
      [
        {
          Put: {
            TableName: this.tableName,
            Item: this.requestItem(next),
            ConditionExpression: `#kind = :request AND #version = :expected${approving ? ' AND requestExpiresAt > :decidedAt' : ''}`,
            ExpressionAttributeNames: { '#kind': 'kind', '#version': 'version' },
            ExpressionAttributeValues: {
              ':request': REQUEST,
              ':expected': expectedVersion,
              ...(approving ? { ':decidedAt': decidedAt } : {}),
            },
          },
        },
        ...this.eventPuts(events, decidedAt),
      ],
      { op: 'update', next, expectedVersion, events },
    );
  }

  async get(approvalId: string) {
    let item: Record<string, unknown> | undefined;
    try {
      item = (
        await this.client.send(
          new GetCommand({ TableName: this.tableName, Key: { pk: approvalId }, ConsistentRead: true }),
        )
      ).Item;
    } catch (error) {
      throw unavailable(error);
    }
    return item && item.kind === REQUEST ? toRecord(item) : undefined;
  }

  async list(query: { state?: ApprovalRecord['state']; subjectUserId?: string; limit?: number; cursor?: string }) {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), MAX_LIST_LIMIT);
    const input: QueryCommandInput = {
      TableName: this.tableName,
      ScanIndexForward: false,
      Limit: limit,
      ...(query.cursor ? { ExclusiveStartKey: decodeCursor(query.cursor) } : {}),
    };
    if (query.subjectUserId) {
      Object.assign(input, {
        IndexName: 'bySubject',
        KeyConditionExpression: 'subjectUserId = :subject',
        ExpressionAttributeValues: {
          ':subject': query.subjectUserId,
          ...(query.state ? { ':state': query.state } : {}),
        },
        ...(query.state
          ? { FilterExpression: '#state = :state', ExpressionAttributeNames: { '#state': 'state' } }
          : {}),
      });
    } else if (query.state) {
      Object.assign(input, {
        IndexName: 'byState',
        KeyConditionExpression: '#state = :state',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':state': query.state },
      });
    } else {
      Object.assign(input, {
        IndexName: 'byTime',
        KeyConditionExpression: '#kind = :request',
        ExpressionAttributeNames: { '#kind': 'kind' },
        ExpressionAttributeValues: { ':request': REQUEST },
      });
    }
    if (!input.FilterExpression) {
      const result = await this.query(input);
      return {
        items: (result.Items ?? []).map(toRecord),
        ...(result.LastEvaluatedKey ? { cursor: encodeCursor(result.LastEvaluatedKey) } : {}),
      };
    }
    // A subject and a state: DynamoDB filters after reading `Limit` items, so one read can match none while later ones
    // do. Read on (each read no more than the rows still missing, so the cursor stays exact), a bounded number of times.
    const items: ApprovalRecord[] = [];
    let key = input.ExclusiveStartKey;
    for (let round = 0; round < FILTERED_LIST_READS && items.length < limit; round += 1) {
      const result = await this.query({
        ...input,
        Limit: limit - items.length,
        ...(key ? { ExclusiveStartKey: key } : {}),
      });
      items.push(...(result.Items ?? []).map(toRecord));
      key = result.LastEvaluatedKey;
      if (!key) break;
    }
    return { items, ...(key ? { cursor: encodeCursor(key) } : {}) };
  }

  async pendingDue(now: Date, limit: number) {
    const result = await this.query({
      TableName: this.tableName,
      IndexName: 'byDue',
      KeyConditionExpression: 'dueShard = :pending AND dueAt <= :now',
      ExpressionAttributeValues: { ':pending': PENDING_SHARD, ':now': now.toISOString() },
      Limit: limit,
    });
    return (result.Items ?? []).map(toRecord);
  }

  async unpublished(limit: number): Promise<ApprovalEvent[]> {
    const result = await this.query({
      TableName: this.tableName,
      IndexName: 'unpublished',
      KeyConditionExpression: 'outbox = :unpublished',
      ExpressionAttributeValues: { ':unpublished': UNPUBLISHED },
      Limit: limit,
    });
    return (result.Items ?? []).map((item) => item.event as ApprovalEvent);
  }

  async markPublished(ids: readonly string[]) {
    const now = new Date();
    const queue = [...new Set(ids)];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          await this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { pk: eventKey(id) },
              UpdateExpression: 'REMOVE outbox, eventKey SET publishedAt = :at, expiresAtEpoch = :ttl',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: {
                ':at': now.toISOString(),
                ':ttl': Math.floor(now.getTime() / 1000) + PUBLISHED_RETENTION_SECONDS,
              },
            }),
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw unavailable(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MARK_CONCURRENCY, queue.length) }, worker));
  }

  private requestItem(record: ApprovalRecord): Record<string, unknown> {
    const parsed = ApprovalRecordSchema.parse(record);
    const dueAt = nextDueAt(parsed);
    return { ...parsed, pk: parsed.approvalId, kind: REQUEST, ...(dueAt ? { dueShard: PENDING_SHARD, dueAt } : {}) };
  }

  private eventPuts(events: readonly ApprovalEvent[], createdAt: string) {
    return events.map((event) => ({
      Put: {
        TableName: this.tableName,
        Item: {
          pk: eventKey(event.id),
          kind: EVENT,
          outbox: UNPUBLISHED,
          eventKey: `${event.time}#${event.id}`,
          event: { ...event },
          createdAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    }));
  }

  /**
   * One transaction; false when a condition failed (the request exists / moved on, or an event exists) or another
   * transaction touched the same items at the same moment (the caller re-reads and decides again). The client request
   * token is derived from the content, so the SDK's own retry of a transaction that did succeed succeeds again instead
   * of failing its conditions.
   */
  private async transact(items: NonNullable<TransactWriteCommandInput['TransactItems']>, content: unknown) {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: items,
          ClientRequestToken: createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 36),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
        if (codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) return false;
      }
      throw unavailable(error);
    }
  }

  private async query(input: QueryCommandInput) {
    try {
      return await this.client.send(new QueryCommand(input));
    } catch (error) {
      if (error instanceof BadRequestError) throw error;
      if ((error as { name?: string }).name === 'ValidationException' && input.ExclusiveStartKey) {
        throw new BadRequestError('cursor is not valid', 'invalid_cursor', [
          { path: 'cursor', message: 'not a cursor this list returned' },
        ]);
      }
      throw unavailable(error);
    }
  }
}

function toRecord(item: Record<string, unknown>): ApprovalRecord {
  const rest: Record<string, unknown> = { ...item };
  for (const key of TABLE_ATTRIBUTES) delete rest[key];
  const parsed = ApprovalRecordSchema.safeParse(rest);
  if (!parsed.success) throw new Error(`approval ${String(item.pk)} in the table is not a valid record`);
  return parsed.data;
}

const CURSOR_KEYS = ['pk', 'kind', 'state', 'subjectUserId', 'requestedAt'];

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** A cursor is only ever one this list returned: an object of string key attributes; anything else is a 400. */
function decodeCursor(cursor: string): Record<string, string> {
  const invalid = () =>
    new BadRequestError('cursor is not valid', 'invalid_cursor', [
      { path: 'cursor', message: 'not a cursor this list returned' },
    ]);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid();
  const entries = Object.entries(value);
  if (
    entries.length === 0 ||
    entries.some(([k, v]) => !CURSOR_KEYS.includes(k) || typeof v !== 'string' || v.length > 1024)
  ) {
    throw invalid();
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

const unavailable = (error: unknown) => new DependencyError('the approvals table (DynamoDB) is unavailable', error);
