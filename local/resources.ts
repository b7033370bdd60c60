import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableDesign } from '../lambda/store/tables.ts';
import { QUEUES, type QueueId, RESOURCE_ENV, TABLES, type TableId, visibilityTimeoutSeconds } from '../lib/manifest.ts';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

export interface Endpoints {
  readonly dynamodb: string;
  readonly sqs: string;
}

export interface LocalResources {
  /** Table names and queue URLs by manifest id. */
  readonly tables: Readonly<Record<TableId, string>>;
  readonly queues: Readonly<Record<QueueId, { url: string; dlqUrl: string }>>;
  /** The environment variables the functions read to find these resources (see `RESOURCE_ENV`). */
  readonly env: Readonly<Record<string, string>>;
}

/** The environment that points the AWS SDK at the emulators (same variables the SDK reads in any process). */
export function emulatorEnv(endpoints: Endpoints): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // The pinned SDK supports Node 20; its notice is about future releases.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** AWS SDK clients for the emulators (any region and credentials do; the SQS client ignores the queue URLs' hosts). */
export const localDynamo = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
export const localDocuments = (endpoint: string) =>
  DynamoDBDocumentClient.from(localDynamo(endpoint), { marshallOptions: { removeUndefinedValues: true } });
export const localSqs = (endpoint: string) =>
  new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, useQueueUrlAsEndpoint: false });

/** `auditTable` → `audit`, `eventsQueue` → `events`. */
const shortName = (id: string) => id.replace(/(Table|Queue)$/, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Creates every table and queue of the manifest on the emulators (tables that exist already, e.g. persisted on disk, are
 * kept as they are). Names are `<prefix>-<name>`, so tests can give each file its own set.
 */
export async function createResources(
  endpoints: Endpoints,
  options: { prefix: string; visibilityTimeoutSeconds?: number },
): Promise<LocalResources> {
  const dynamo = localDynamo(endpoints.dynamodb);
  const sqs = localSqs(endpoints.sqs);
  try {
    const tables = {} as Record<TableId, string>;
    for (const [id, design] of Object.entries(TABLES) as [TableId, TableDesign][]) {
      tables[id] = `${options.prefix}-${shortName(id)}`;
      await createTable(dynamo, tables[id], design);
    }
    const queues = {} as Record<QueueId, { url: string; dlqUrl: string }>;
    for (const [id, spec] of Object.entries(QUEUES) as [QueueId, (typeof QUEUES)[QueueId]][]) {
      const name = `${options.prefix}-${shortName(id)}`;
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      const dlqUrl = dlq.QueueUrl as string;
      const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })))
        .Attributes?.QueueArn as string;
      const queue = await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? visibilityTimeoutSeconds(id)),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: dlqArn,
              maxReceiveCount: String(spec.maxReceiveCount),
            }),
          },
        }),
      );
      queues[id] = { url: queue.QueueUrl as string, dlqUrl };
    }
    // Every resource's variable, from the manifest (secrets are not emulated: the local stack sets their values).
    const env: Record<string, string> = {};
    for (const [id, name] of Object.entries(tables)) env[RESOURCE_ENV[id as TableId]] = name;
    for (const [id, queue] of Object.entries(queues)) env[RESOURCE_ENV[id as QueueId]] = queue.url;
    return { tables, queues, env };
  } finally {
    dynamo.destroy();
    sqs.destroy();
  }
}

async function createTable(client: DynamoDBClient, name: string, design: TableDesign): Promise<void> {
  const attributes = new Set<string>([design.partitionKey]);
  if (design.sortKey) attributes.add(design.sortKey);
  for (const index of Object.values(design.indexes)) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  const input: CreateTableCommandInput = {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: design.partitionKey, KeyType: 'HASH' },
      ...(design.sortKey ? [{ AttributeName: design.sortKey, KeyType: 'RANGE' as const }] : []),
    ],
    ...(Object.keys(design.indexes).length > 0
      ? {
          GlobalSecondaryIndexes: Object.entries(design.indexes).map(([indexName, keys]) => ({
            IndexName: indexName,
            KeySchema: [
              { AttributeName: keys.partitionKey, KeyType: 'HASH' as const },
              { AttributeName: keys.sortKey, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if (error instanceof ResourceInUseException) return;
    throw error;
  }
  if (design.ttlAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: design.ttlAttribute, Enabled: true },
      }),
    );
  }
}

/** The fixed, clearly-labelled secret the local stack uses when HOOKPILOT_EVENT_HOOK_SECRET is not set. */
export const LOCAL_DEFAULT_HOOK_SECRET = 'local-only-hookpilot-event-hook-secret';

/** The same for the inline hooks, when HOOKPILOT_INLINE_HOOK_SECRET is not set. */
export const LOCAL_DEFAULT_INLINE_HOOK_SECRET = 'local-only-hookpilot-inline-hook-secret';

/**
 * The local stack's Standard Webhooks signing secret for its demo webhook (the bytes spell
 * `local-only-hookpilot-webhook-signing-key`): fixed and labelled so a receiver you point at it can verify. Never use it
 * anywhere else.
 */
export const LOCAL_DEFAULT_WEBHOOK_SECRET = 'whsec_bG9jYWwtb25seS1ob29rcGlsb3Qtd2ViaG9vay1zaWduaW5nLWtleQ==';
