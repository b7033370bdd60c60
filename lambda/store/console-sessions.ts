import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { DependencyError } from '../errors.ts';
import type { ConsoleSession, ConsoleSessionStore, PendingSignIn } from '../ports.ts';

const FlashSchema = z.object({ kind: z.enum(['success', 'error']), text: z.string() });

const SessionSchema = z.object({
  idHash: z.string(),
  userId: z.string(),
  login: z.string(),
  groups: z.array(z.string()),
  tokenId: z.string(),
  csrfToken: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  flash: z.optional(FlashSchema),
});

const SignInSchema = z.object({
  idHash: z.string(),
  state: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
  returnTo: z.string(),
  expiresAt: z.string(),
});

const epoch = (iso: string) => Math.ceil(Date.parse(iso) / 1000);

/**
 * The console's sessions and pending sign-ins (`CONSOLE_SESSIONS_TABLE`). Items read back are checked with zod; an
 * item past its expiry is treated as absent (TTL deletes lag by minutes to hours).
 */
export class DynamoConsoleSessionStore implements ConsoleSessionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async putSession(session: ConsoleSession): Promise<void> {
    await this.call(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `session#${session.idHash}`, ...session, expiresAtEpoch: epoch(session.expiresAt) },
          // A fresh random id never collides; refuse to replace one that does rather than hand over a session.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async getSession(idHash: string): Promise<ConsoleSession | undefined> {
    const out = await this.call(() =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: `session#${idHash}` }, ConsistentRead: true }),
      ),
    );
    const parsed = SessionSchema.safeParse(out.Item ?? {});
    if (!parsed.success || parsed.data.idHash !== idHash) return undefined;
    return Date.parse(parsed.data.expiresAt) > this.clock().getTime() ? parsed.data : undefined;
  }

  async setFlash(idHash: string, flash: ConsoleSession['flash'] | undefined): Promise<void> {
    await this.call(async () => {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: `session#${idHash}` },
            ...(flash
              ? { UpdateExpression: 'SET flash = :flash', ExpressionAttributeValues: { ':flash': flash } }
              : { UpdateExpression: 'REMOVE flash' }),
            ConditionExpression: 'attribute_exists(pk)',
          }),
        );
      } catch (error) {
        // The session ended meanwhile (signed out, expired): there is nobody to show the message to.
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      }
    });
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.call(() =>
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `session#${idHash}` } })),
    );
  }

  async putSignIn(pending: PendingSignIn): Promise<void> {
    await this.call(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `signin#${pending.idHash}`, ...pending, expiresAtEpoch: epoch(pending.expiresAt) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async takeSignIn(idHash: string): Promise<PendingSignIn | undefined> {
    // Delete and read in one call: of two callbacks racing with the same cookie, only one gets it.
    const out = await this.call(() =>
      this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: `signin#${idHash}` }, ReturnValues: 'ALL_OLD' }),
      ),
    );
    const parsed = SignInSchema.safeParse(out.Attributes ?? {});
    if (!parsed.success || parsed.data.idHash !== idHash) return undefined;
    return Date.parse(parsed.data.expiresAt) > this.clock().getTime() ? parsed.data : undefined;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new DependencyError('the console session store is unavailable; try again', error);
    }
  }
}
