import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { type LegacyHashRecord, LegacyHashSchema, normaliseLogin } from '../domain/legacy-hash.ts';
import { DependencyError } from '../errors.ts';
import type { LegacyHashStore } from '../ports.ts';

const RecordSchema = z.object({
  login: z.string(),
  hash: LegacyHashSchema,
  importId: z.string(),
  sunset: z.string(),
  importedAt: z.string(),
  oktaUserId: z.optional(z.string()),
});

/** The legacy-hash table (`LEGACY_HASHES_TABLE`): one item per login. Items read back are checked with zod. */
export class DynamoLegacyHashStore implements LegacyHashStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(login: string): Promise<LegacyHashRecord | undefined> {
    const out = await this.call(() =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { login: normaliseLogin(login) }, ConsistentRead: true }),
      ),
    );
    if (!out.Item) return undefined;
    const parsed = RecordSchema.safeParse(out.Item);
    // A record that is not one of ours cannot verify anything: the user is UNVERIFIED, and the CLI can re-import.
    return parsed.success ? parsed.data : undefined;
  }

  async put(records: readonly LegacyHashRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 25) {
      let items: Record<string, unknown>[] = records
        .slice(i, i + 25)
        .map((r) => ({ PutRequest: { Item: { ...r, login: normaliseLogin(r.login) } } }));
      for (let round = 0; items.length > 0; round++) {
        if (round > 5) throw new DependencyError('the legacy-hash store kept refusing writes (throttled)');
        const out = await this.call(() =>
          this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: items as never } })),
        );
        items = (out.UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
        if (items.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** round));
      }
    }
  }

  async delete(login: string): Promise<void> {
    await this.call(() =>
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { login: normaliseLogin(login) } })),
    );
  }

  async pastSunset(at: string): Promise<LegacyHashRecord[]> {
    const out: LegacyHashRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page: ScanCommandOutput = await this.call(() =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: 'sunset <= :at',
            ExpressionAttributeValues: { ':at': at },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const parsed = RecordSchema.safeParse(item);
        if (parsed.success) out.push(parsed.data);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.login.localeCompare(b.login));
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new DependencyError('the legacy-hash store (DynamoDB) is unavailable', error);
    }
  }
}
