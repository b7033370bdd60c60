import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../errors.ts';
import {
  type ActionResult,
  type ActionStatus,
  type ApprovalQuota,
  type Claim,
  type Claims,
  type ExecutionLedger,
  FINAL_STATUSES,
  type HourlyBudget,
  type RequestRegistry,
} from '../ports.ts';

const WEEK_SECONDS = 7 * 24 * 3600;
const REQUEST_PREFIX = 'okta-request:';
const BUDGET_PREFIX = 'auto-budget:';
const CLAIM_PREFIX = 'claim:';
const QUOTA_PREFIX = 'approval-quota:';
/** Forgotten slots are removed this many per write (an update expression is at most 4 KB). */
const PRUNE_CHUNK = 100;

/**
 * The action ledger in DynamoDB: one item per action id, moved between statuses by conditional writes; the request
 * registry, the hourly budgets, the claims and the approval quotas are items of the same table under their own key
 * prefixes.
 */
export class DynamoActionLedger implements ExecutionLedger, RequestRegistry, HourlyBudget, Claims, ApprovalQuota {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(actionId: string, now: Date, leaseMs: number, seed: Readonly<Record<string, unknown>>): Promise<Claim> {
    const leaseUntil = now.getTime() + leaseMs;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...seed,
            actionId,
            status: 'EXECUTING',
            attempts: 1,
            leaseUntil,
            createdAt: now.toISOString(),
            updatedAt: now.toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(actionId)',
        }),
      );
      return { outcome: 'claimed', attempt: 1 };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw unavailable(error);
    }
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { actionId },
          UpdateExpression: 'SET #s = :executing, leaseUntil = :lease, updatedAt = :at ADD attempts :one',
          ConditionExpression: '#s IN (:deferred, :retrying) OR (#s = :executing AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':executing': 'EXECUTING',
            ':deferred': 'DEFERRED',
            ':retrying': 'RETRYING',
            ':lease': leaseUntil,
            ':now': now.getTime(),
            ':at': now.toISOString(),
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { outcome: 'claimed', attempt: Number(result.Attributes?.attempts ?? 1) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw unavailable(error);
    }
    const current = await this.get(actionId);
    const status = current?.status as ActionStatus | undefined;
    if (!status || !FINAL_STATUSES.includes(status)) return { outcome: 'busy' };
    const result = current?.result as ActionResult | undefined;
    return { outcome: 'finished', status, ...(typeof result?.kind === 'string' ? { result } : {}) };
  }

  async finish(actionId: string, status: 'SUCCEEDED' | 'VOIDED' | 'FAILED', result: ActionResult) {
    await this.update(actionId, { status, finishedAt: result.at, updatedAt: result.at, result });
  }

  async release(actionId: string, status: 'DEFERRED' | 'RETRYING', now: Date) {
    await this.update(actionId, { status, leaseUntil: 0, updatedAt: now.toISOString() });
  }

  async rememberRequest(requestId: string, actionId: string, now: Date) {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            actionId: `${REQUEST_PREFIX}${requestId}`,
            madeBy: actionId,
            expiresAtEpoch: epoch(now) + WEEK_SECONDS,
          },
        }),
      );
    } catch (error) {
      throw unavailable(error);
    }
  }

  async actionForRequest(requestId: string) {
    const item = await this.get(`${REQUEST_PREFIX}${requestId}`);
    return typeof item?.madeBy === 'string' ? item.madeBy : undefined;
  }

  async reserveAutoSlot(hour: string, actionId: string, cap: number, now: Date) {
    if (cap <= 0) return false;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { actionId: `${BUDGET_PREFIX}${hour}` },
          UpdateExpression: 'ADD actionIds :id SET expiresAtEpoch = :ttl',
          ConditionExpression: 'attribute_not_exists(actionIds) OR size(actionIds) < :cap OR contains(actionIds, :one)',
          ExpressionAttributeValues: {
            ':id': new Set([actionId]),
            ':one': actionId,
            ':cap': cap,
            ':ttl': epoch(now) + 2 * 24 * 3600,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw unavailable(error);
    }
  }

  /**
   * One item per user holds a map of action id → when it took its slot (epoch ms). A slot older than the window is
   * forgotten (removed, which is idempotent), then the new one is added by one conditional update — "fewer live slots
   * than the cap, or this action has one already" — so concurrent consumers can never take more than `cap` between them.
   */
  async reserveApprovalSlot(userId: string, actionId: string, cap: number, windowMs: number, now: Date) {
    if (cap <= 0) return false;
    const key = `${QUOTA_PREFIX}${userId}`;
    const since = now.getTime() - windowMs;
    const ttl = epoch(now) + Math.ceil(windowMs / 1000) + 24 * 3600;
    const item = await this.get(key);
    const slots = isRecord(item?.slots) ? item.slots : undefined;
    const mine = slots?.[actionId];
    if (typeof mine === 'number' && mine > since) return true;
    try {
      if (!slots) {
        // Either of two consumers creating the map at once will do.
        await this.client
          .send(
            new PutCommand({
              TableName: this.tableName,
              Item: { actionId: key, slots: {}, expiresAtEpoch: ttl },
              ConditionExpression: 'attribute_not_exists(actionId)',
            }),
          )
          .catch((error: unknown) => {
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
          });
      }
      const expired = Object.entries(slots ?? {})
        .filter(([id, at]) => id !== actionId && !(typeof at === 'number' && at > since))
        .map(([id]) => id);
      for (let i = 0; i < expired.length; i += PRUNE_CHUNK) {
        const chunk = expired.slice(i, i + PRUNE_CHUNK);
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { actionId: key },
            UpdateExpression: `REMOVE ${chunk.map((_, j) => `slots.#e${j}`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries(chunk.map((id, j) => [`#e${j}`, id])),
          }),
        );
      }
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { actionId: key },
          UpdateExpression: 'SET slots.#id = :now, expiresAtEpoch = :ttl',
          ConditionExpression: 'size(slots) < :cap OR attribute_exists(slots.#id)',
          ExpressionAttributeNames: { '#id': actionId },
          ExpressionAttributeValues: { ':now': now.getTime(), ':ttl': ttl, ':cap': cap },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw unavailable(error);
    }
  }

  async claimOnce(claim: string, correlationId: string, now: Date) {
    const key = `${CLAIM_PREFIX}${claim}`;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { actionId: key, correlationId, expiresAtEpoch: epoch(now) + 2 * 24 * 3600 },
          ConditionExpression: 'attribute_not_exists(actionId) OR correlationId = :c',
          ExpressionAttributeValues: { ':c': correlationId },
        }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw unavailable(error);
    }
    return (await this.holderOf(claim)) ?? 'another event';
  }

  async holderOf(claim: string) {
    const holder = (await this.get(`${CLAIM_PREFIX}${claim}`))?.correlationId;
    return typeof holder === 'string' ? holder : undefined;
  }

  async releaseOnce(claim: string, correlationId: string) {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { actionId: `${CLAIM_PREFIX}${claim}` },
          ConditionExpression: 'correlationId = :c',
          ExpressionAttributeValues: { ':c': correlationId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw unavailable(error);
    }
  }

  /** The raw ledger item (for tests and operators; no use case reads it). */
  async get(actionId: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    try {
      return (
        await this.client.send(new GetCommand({ TableName: this.tableName, Key: { actionId }, ConsistentRead: true }))
      ).Item;
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Only the holder of an EXECUTING claim moves it on. */
  private async update(actionId: string, values: Record<string, unknown>) {
    const names = Object.fromEntries(Object.keys(values).map((k, i) => [`#k${i}`, k]));
    const vals = Object.fromEntries(Object.values(values).map((v, i) => [`:v${i}`, v]));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { actionId },
          UpdateExpression: `SET ${Object.keys(values)
            .map((_, i) => `#k${i} = :v${i}`)
            .join(', ')}`,
          ConditionExpression: '#status = :executing',
          ExpressionAttributeNames: { ...names, '#status': 'status' },
          ExpressionAttributeValues: { ...vals, ':executing': 'EXECUTING' },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // someone else finished it (an expired lease)
      throw unavailable(error);
    }
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const epoch = (date: Date) => Math.floor(date.getTime() / 1000);
const unavailable = (error: unknown) => new DependencyError('the action ledger (DynamoDB) is unavailable', error);
