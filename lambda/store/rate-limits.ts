import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../errors.ts';
import type { RateLimiter } from '../ports.ts';
import { RATE_LIMITS_TABLE } from './tables.ts';

/**
 * Fixed-window counters in DynamoDB: one conditional `ADD 1` per take, refused by the condition once the window's count
 * reached the limit — concurrent takes can never exceed it (DynamoDB serialises updates of one item). Items expire by TTL
 * one window after theirs ends.
 */
export class DynamoRateLimiter implements RateLimiter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async take(key: string, limit: number, windowSeconds: number, now: Date): Promise<boolean> {
    const epoch = Math.floor(now.getTime() / 1000);
    const windowStart = epoch - (epoch % windowSeconds);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [RATE_LIMITS_TABLE.partitionKey]: `${key}#${windowSeconds}#${windowStart}` },
          UpdateExpression: 'ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'uses', '#ttl': RATE_LIMITS_TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': windowStart + 2 * windowSeconds },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new DependencyError('the rate-limit store (DynamoDB) is unavailable', error);
    }
  }
}
