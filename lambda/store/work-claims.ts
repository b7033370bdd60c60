import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../errors.ts';
import type { WorkClaims } from '../ports.ts';
import { IDEMPOTENCY_TABLE } from './tables.ts';

const CONCURRENCY = 16;
/** Claim items are bookkeeping: DynamoDB's TTL removes them a day after they run out. */
const KEEP_SECONDS = 24 * 3600;

/**
 * Claims as items of the idempotency table (`<prefix>#<key>`, beside the consumers' Powertools records, which have
 * other ids), written only with conditional puts: a claim is taken when the item is absent or its `leaseUntil` has
 * passed, and released by its holder putting a lapsed lease. No update or delete is needed, so the receiver holds the
 * table's `append` access only.
 */
export class DynamoWorkClaims implements WorkClaims {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly prefix: string,
  ) {}

  async claim(keys: readonly string[], holder: string, until: Date): Promise<Set<string>> {
    const held = new Set<string>();
    try {
      await inParallel(keys, async (key) => {
        if (await this.put(key, holder, until, 'attribute_not_exists(#id) OR leaseUntil < :now')) held.add(key);
      });
    } catch (error) {
      // Failing part-way: give back what was taken, so a retry does not wait out leases nobody uses.
      await this.release([...held], holder);
      throw error;
    }
    return held;
  }

  async release(keys: readonly string[], holder: string): Promise<void> {
    await inParallel(keys, async (key) => {
      await this.put(key, holder, new Date(0), 'holder = :holder').catch(() => undefined);
    });
  }

  /** True when the conditional put was made; false when the condition did not hold. */
  private async put(key: string, holder: string, until: Date, condition: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [IDEMPOTENCY_TABLE.partitionKey]: `${this.prefix}#${key}`,
            holder,
            leaseUntil: until.toISOString(),
            [IDEMPOTENCY_TABLE.ttlAttribute]: Math.ceil(until.getTime() / 1000) + KEEP_SECONDS,
          },
          ConditionExpression: condition,
          ExpressionAttributeNames: condition.includes('#id') ? { '#id': IDEMPOTENCY_TABLE.partitionKey } : undefined,
          ExpressionAttributeValues: condition.includes(':now')
            ? { ':now': new Date().toISOString() }
            : { ':holder': holder },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new DependencyError('the claims store (DynamoDB) is unavailable', error);
    }
  }
}

async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  // Every worker finishes before this settles (a failing one does not leave others writing behind the caller's back).
  const settled = await Promise.allSettled(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
