import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type Grant, GrantSchema } from '../domain/grant.ts';
import { DependencyError } from '../errors.ts';
import type { GrantStore } from '../ports.ts';

const GRANT = 'grant';
const DUE_SHARD = 'due';
const MAX_LIST_LIMIT = 100;
/** A revoking grant is looked at again this long after its inverse was queued (re-queued under the same action id). */
export const REVOKE_RETRY_SECONDS = 15 * 60;
/** Attributes the table adds to a grant (index attributes); stripped when reading one back. */
const TABLE_ATTRIBUTES = ['kind', 'dueShard', 'dueAt'] as const;

/** When the sweeper must look at a grant next: at expiry while active, a retry time while revoking, never once ended. */
export function grantDueAt(grant: Grant): string | undefined {
  if (grant.state === 'active') return grant.expiresAt;
  if (grant.state === 'revoking') {
    const queued = Date.parse(grant.revokeQueuedAt ?? grant.expiresAt);
    return new Date(queued + REVOKE_RETRY_SECONDS * 1000).toISOString();
  }
  return undefined;
}

/**
 * The grants table in DynamoDB (design: `GRANTS_TABLE` in tables.ts). Every write is a conditional put: a new grant only
 * if its id is free, a change only at the version the writer read — so a redelivered grant, a sweeper retry and an
 * approver ending the grant at the same moment cannot overwrite each other.
 */
export class DynamoGrantStore implements GrantStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  create(grant: Grant) {
    return this.put(grant, 'attribute_not_exists(grantId)', {});
  }

  update(next: Grant, expectedVersion: number) {
    if (next.version !== expectedVersion + 1) {
      throw new Error(`grant ${next.grantId}: version ${next.version} does not follow ${expectedVersion}`);
    }
    return this.put(next, '#version = :expected', { ':expected': expectedVersion });
  }

  async get(grantId: string) {
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { grantId }, ConsistentRead: true }),
      );
      return result.Item ? toGrant(result.Item) : undefined;
    } catch (error) {
      throw new DependencyError('the grants table (DynamoDB) is unavailable', error);
    }
  }

  async due(now: Date, limit: number) {
    return this.query({
      IndexName: 'byDue',
      KeyConditionExpression: 'dueShard = :due AND dueAt <= :now',
      ExpressionAttributeValues: { ':due': DUE_SHARD, ':now': now.toISOString() },
      Limit: limit,
    });
  }

  async list(options: { subjectUserId?: string; activeOnly?: boolean; limit: number }) {
    const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(options.limit)));
    const base: Omit<QueryCommandInput, 'TableName'> = options.subjectUserId
      ? {
          IndexName: 'bySubject',
          KeyConditionExpression: 'subjectUserId = :u',
          ExpressionAttributeValues: { ':u': options.subjectUserId },
        }
      : { IndexName: 'byTime', KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': GRANT } };
    const found: Grant[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.page({
        ...base,
        ...(options.activeOnly
          ? {
              FilterExpression: '#state IN (:active, :revoking)',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: {
                ...base.ExpressionAttributeValues,
                ':active': 'active',
                ':revoking': 'revoking',
              },
            }
          : {}),
        ScanIndexForward: false,
        Limit: limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      found.push(...page.items);
      start = page.next;
    } while (start && found.length < limit);
    return found.slice(0, limit);
  }

  private async put(grant: Grant, condition: string, values: Record<string, unknown>): Promise<boolean> {
    const dueAt = grantDueAt(grant);
    const item = { ...grant, kind: GRANT, ...(dueAt ? { dueShard: DUE_SHARD, dueAt } : {}) };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ...(Object.keys(values).length > 0
            ? { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: values }
            : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new DependencyError('the grants table (DynamoDB) is unavailable', error);
    }
  }

  private async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Grant[]> {
    return (await this.page(input)).items;
  }

  private async page(input: Omit<QueryCommandInput, 'TableName'>) {
    try {
      const result = await this.client.send(new QueryCommand({ TableName: this.tableName, ...input }));
      return { items: (result.Items ?? []).map(toGrant), next: result.LastEvaluatedKey };
    } catch (error) {
      throw new DependencyError('the grants table (DynamoDB) is unavailable', error);
    }
  }
}

function toGrant(item: Record<string, unknown>): Grant {
  const rest = { ...item };
  for (const key of TABLE_ATTRIBUTES) delete rest[key];
  return GrantSchema.parse(rest);
}
