import { CreateQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { bundleEntry } from '../lib/bundling.ts';
import { EVENT_HOOK_PATH } from '../lib/manifest.ts';
import { localDocuments, localSqs } from '../local/resources.ts';
import { startLocalStack } from '../local/stack.ts';
import { deliveryOf } from '../test/support/fixtures.ts';
import { ms, percentiles, timed } from './stats.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const SIZES = [1, 10, 50] as const;
const ITERATIONS: Record<(typeof SIZES)[number], number> = { 1: 200, 10: 100, 50: 40 };

const stack = await startLocalStack({ port: 0, consumers: false, okta: { port: 0, registerHook: false } });
try {
  const dynamo = localDocuments(stack.endpoints.dynamodb);
  const sqs = localSqs(stack.endpoints.sqs);
  const rawQueue = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-raw' }))).QueueUrl as string;
  const table = stack.resources.tables.auditTable;

  const deliver = async (n: number) => {
    const response = await fetch(`${stack.url}${EVENT_HOOK_PATH}`, {
      method: 'POST',
      headers: { authorization: stack.hookSecret, 'content-type': 'application/json' },
      body: JSON.stringify(deliveryOf(n)),
    });
    if (response.status !== 204) throw new Error(`unexpected ${response.status}: ${await response.text()}`);
  };

  /** The same storage work the receiver does for n new events, made directly with the SDK. */
  const raw = async (n: number) => {
    const events = deliveryOf(n).data.events;
    await dynamo.send(
      new BatchGetCommand({
        RequestItems: {
          [table]: {
            Keys: events.map((e) => ({ correlationId: e.uuid, recordKey: 'received' })),
            ConsistentRead: true,
          },
        },
      }),
    );
    for (let i = 0; i < events.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: rawQueue,
          Entries: events
            .slice(i, i + 10)
            .map((e, j) => ({ Id: `m${j}`, MessageBody: JSON.stringify({ schemaVersion: 1, event: e }) })),
        }),
      );
    }
    const pending = [...events];
    await Promise.all(
      Array.from({ length: Math.min(16, pending.length) }, async () => {
        for (let e = pending.shift(); e; e = pending.shift()) {
          await dynamo.send(
            new PutCommand({
              TableName: table,
              Item: {
                correlationId: e.uuid,
                recordKey: 'received',
                kind: 'bench',
                at: new Date().toISOString(),
                summary: e.eventType,
              },
              ConditionExpression: 'attribute_not_exists(correlationId)',
            }),
          );
        }
      }),
    );
  };

  for (let i = 0; i < 20; i++) {
    await deliver(10);
    await raw(10);
  }

  console.log(
    `\nhookpilot receiver benchmark — local stack (DynamoDB Local + fauxqs), sequential requests, Node ${process.version}\n`,
  );
  console.log(
    'events  n     receiver p50       p95       p99 |  raw calls p50       p95       p99 | overhead p50   ratio',
  );
  for (const size of SIZES) {
    const receiver: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < ITERATIONS[size]; i++) {
      receiver.push(await timed(() => deliver(size)));
      direct.push(await timed(() => raw(size)));
    }
    const r = percentiles(receiver);
    const d = percentiles(direct);
    console.log(
      `${String(size).padStart(6)} ${String(ITERATIONS[size]).padStart(3)} ${ms(r.p50)}${ms(r.p95)}${ms(r.p99)} | ${ms(d.p50)}${ms(d.p95)}${ms(d.p99)} | ${ms(r.p50 - d.p50)}  ${(r.p50 / d.p50).toFixed(2)}×`,
    );
  }
  console.log(
    '\n(overhead = receiver − raw calls: HTTP round trip, authentication, validation, serialisation, the handler)',
  );
  await printBundle();
  sqs.destroy();
} finally {
  await stack.stop();
}

async function printBundle(): Promise<void> {
  const { bytes, inputs } = await bundleEntry('lambda/handlers/event-hook.ts');
  const okta = inputs.some((i) => i.includes('node_modules/@okta/'));
  const openai = inputs.some((i) => i.includes('node_modules/openai/'));
  console.log(
    `\nreceiver bundle (lambda/handlers/event-hook.ts, the stack's esbuild options): ${(bytes / 1024).toFixed(0)} KiB minified; ` +
      `Okta SDK ${okta ? 'PRESENT' : 'absent'}, openai SDK ${openai ? 'PRESENT' : 'absent'}`,
  );
}
