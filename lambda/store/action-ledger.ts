import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../errors.ts';

export type ActionStatus = 'EXECUTING' | 'SUCCEEDED' | 'VOIDED' | 'FAILED' | 'DEFERRED' | 'RETRYING';
export const FINAL_STATUSES: readonly ActionStatus[] = ['SUCCEEDED', 'VOIDED', 'FAILED'];

/**
 * What a finished action's outcome audit record says, kept with its final status: a redelivery writes the record again
 * if it was lost (the audit store ignores a record it already has).
 */
export interface ActionResult {
  readonly kind: string;
  readonly summary: string;
  /** When the action finished (ISO 8601). */
  readonly at: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export type Claim =
  | { readonly outcome: 'claimed'; readonly attempt: number }
  | { readonly outcome: 'finished'; readonly status: ActionStatus; readonly result?: ActionResult }
  | { readonly outcome: 'busy' };

export interface ActionLedger {
  /**
   * Takes the action for execution: only one worker holds it at a time (a lease), and an action that has reached a
   * final status is never taken again. This is what makes a redelivered message execute once.
   */
  claim(actionId: string, now: Date, leaseMs: number, seed: Readonly<Record<string, unknown>>): Promise<Claim>;
  /** Records the final status and the outcome (request id, inverse, expiry… in its detail). */
  finish(actionId: string, status: 'SUCCEEDED' | 'VOIDED' | 'FAILED', result: ActionResult): Promise<void>;
  /** Puts the action back for later (rate limited: DEFERRED; transient failure: RETRYING). */
  release(actionId: string, status: 'DEFERRED' | 'RETRYING', now: Date): Promise<void>;
  get(actionId: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  /** Notes that an Okta request (its X-Okta-Request-Id) was made by this action, for a week. */
  rememberRequest(requestId: string, actionId: string, now: Date): Promise<void>;
  /** The action that made an Okta request, if hookpilot made it. */
  actionForRequest(requestId: string): Promise<string | undefined>;
  /**
   * Takes one of `cap` automatic-action slots of an hour for an action; true if it got one (or already had it). The
   * same action asking again never takes a second slot.
   */
  reserveAutoSlot(hour: string, actionId: string, cap: number, now: Date): Promise<boolean>;
  /**
   * Claims a key (e.g. "the joiner response for user X") for one event, for two days: undefined if this event holds it
   * (now, or from an earlier attempt), else the event that claimed it first. Race-free across concurrent consumers.
   */
  claimOnce(key: string, correlationId: string, now: Date): Promise<string | undefined>;
  /** The event holding a key claimed with `claimOnce`, if any. */
  holderOf(key: string): Promise<string | undefined>;
  /** Gives back a key this event claimed with `claimOnce` (a key another event holds is left alone). */
  releaseOnce(key: string, correlationId: string): Promise<void>;
}

const WEEK_SECONDS = 7 * 24 * 3600;
const REQUEST_PREFIX = 'okta-request:';
const BUDGET_PREFIX = 'auto-budget:';
const CLAIM_PREFIX = 'claim:';

/** The ledger in DynamoDB: one item per action id, moved between statuses by conditional writes. */
export class DynamoActionLedger implements ActionLedger {
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

  async get(actionId: string) {
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

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);
const unavailable = (error: unknown) => new DependencyError('the action ledger (DynamoDB) is unavailable', error);
