import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../errors.ts';
import type { ChannelStateStore, DeliveryBegin, DeliveryLedger, DeliveryResult } from '../ports.ts';
import { IDEMPOTENCY_TABLE } from './tables.ts';

/** Delivery records are bookkeeping: DynamoDB's TTL removes them after a month (the queue keeps messages 14 days). */
const DELIVERY_KEEP_SECONDS = 30 * 86_400;
/** A channel's state about a request outlives it: a time-bound grant may end weeks after the request. */
const STATE_KEEP_SECONDS = 400 * 86_400;

const ID = IDEMPOTENCY_TABLE.partitionKey;
const TTL = IDEMPOTENCY_TABLE.ttlAttribute;

/**
 * The notifier's delivery records and the channels' per-request state, as items of the idempotency table
 * (`notify#<notification id>#<channel>`, `notify-state#<approval id>#<channel>`), written only with conditional puts
 * (like `work-claims.ts`): the notifier holds the table's `append` access and nothing more.
 *
 * A delivery moves `sending` (claimed, with a lease) → `delivered` | `refused`, or back to `released` after a retryable
 * failure. The one window left is a crash after the platform accepted a message and before `delivered` was written:
 * then the lease runs out and the next attempt sends again (at least once; the webhook's `webhook-id` lets a receiver
 * drop that copy).
 */
export class DynamoDeliveryLedger implements DeliveryLedger {
  /** The holder token of each claim this process holds, so only the holder finishes or releases it. */
  private readonly held = new Map<string, string>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async begin(notificationId: string, channel: string, now: Date, leaseMs: number): Promise<DeliveryBegin> {
    const id = deliveryKey(notificationId, channel);
    const holder = randomUUID();
    const claimed = await this.put(
      {
        [ID]: id,
        status: 'sending',
        holder,
        leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
        [TTL]: Math.ceil(now.getTime() / 1000) + DELIVERY_KEEP_SECONDS,
      },
      'attribute_not_exists(#id) OR #status = :released OR (#status = :sending AND leaseUntil < :now)',
      { ':released': 'released', ':sending': 'sending', ':now': now.toISOString() },
    );
    if (claimed) {
      this.held.set(id, holder);
      return { outcome: 'claimed' };
    }
    const existing = await this.read(id);
    if (existing?.status === 'delivered') return { outcome: 'delivered' };
    if (existing?.status === 'refused') return { outcome: 'refused' };
    return { outcome: 'busy' };
  }

  async delivered(notificationId: string, channel: string, result: DeliveryResult, now: Date): Promise<void> {
    await this.finish(notificationId, channel, now, {
      status: 'delivered',
      outcome: result.outcome,
      ...(result.detail ? { detail: result.detail.slice(0, 500) } : {}),
    });
  }

  async refused(notificationId: string, channel: string, reason: string, now: Date): Promise<void> {
    await this.finish(notificationId, channel, now, { status: 'refused', reason: reason.slice(0, 500) });
  }

  async release(notificationId: string, channel: string): Promise<void> {
    const id = deliveryKey(notificationId, channel);
    const holder = this.held.get(id);
    if (!holder) return;
    this.held.delete(id);
    // Best effort: an unreleased claim simply runs out.
    await this.put(
      { [ID]: id, status: 'released', [TTL]: Math.ceil(Date.now() / 1000) + DELIVERY_KEEP_SECONDS },
      'holder = :holder',
      { ':holder': holder },
    ).catch(() => false);
  }

  private async finish(
    notificationId: string,
    channel: string,
    now: Date,
    fields: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    const id = deliveryKey(notificationId, channel);
    this.held.delete(id);
    // Written over a claim (ours, or a lapsed one another worker took meanwhile: the message went out either way); a
    // record that is already final stays as it is.
    await this.put(
      { [ID]: id, ...fields, at: now.toISOString(), [TTL]: Math.ceil(now.getTime() / 1000) + DELIVERY_KEEP_SECONDS },
      'attribute_not_exists(#id) OR #status = :released OR #status = :sending',
      { ':released': 'released', ':sending': 'sending' },
    );
  }

  private async put(
    item: Record<string, unknown>,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: attributeNames(condition),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new DependencyError('the notification delivery records (DynamoDB) are unavailable', error);
    }
  }

  private async read(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { [ID]: id }, ConsistentRead: true }),
      );
      return result.Item;
    } catch (error) {
      throw new DependencyError('the notification delivery records (DynamoDB) are unavailable', error);
    }
  }
}

/** The `#name` placeholders a condition uses (DynamoDB refuses an empty or unused map). */
function attributeNames(condition: string): Record<string, string> | undefined {
  const names: Record<string, string> = {};
  if (condition.includes('#id')) names['#id'] = ID;
  if (condition.includes('#status')) names['#status'] = 'status';
  return Object.keys(names).length > 0 ? names : undefined;
}

const deliveryKey = (notificationId: string, channel: string): string => `notify#${notificationId}#${channel}`;
const stateKey = (approvalId: string, channel: string): string => `notify-state#${approvalId}#${channel}`;

/** `ChannelStateStore` over the same table: one item per (approval id, channel), versioned, conditional puts only. */
export class DynamoChannelStateStore implements ChannelStateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(
    approvalId: string,
    channel: string,
  ): Promise<{ readonly state: Readonly<Record<string, unknown>>; readonly version: number } | undefined> {
    try {
      const result = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [ID]: stateKey(approvalId, channel) },
          ConsistentRead: true,
        }),
      );
      const item = result.Item;
      if (!item || typeof item.version !== 'number') return undefined;
      return { state: (item.state ?? {}) as Record<string, unknown>, version: item.version };
    } catch (error) {
      throw new DependencyError('the notification channel state (DynamoDB) is unavailable', error);
    }
  }

  async put(
    approvalId: string,
    channel: string,
    state: Readonly<Record<string, unknown>>,
    expectedVersion: number | undefined,
  ): Promise<boolean> {
    const first = expectedVersion === undefined;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [ID]: stateKey(approvalId, channel),
            state,
            version: first ? 1 : expectedVersion + 1,
            [TTL]: Math.ceil(Date.now() / 1000) + STATE_KEEP_SECONDS,
          },
          ConditionExpression: first ? 'attribute_not_exists(#id)' : 'version = :expected',
          ...(first
            ? { ExpressionAttributeNames: { '#id': ID } }
            : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new DependencyError('the notification channel state (DynamoDB) is unavailable', error);
    }
  }
}
