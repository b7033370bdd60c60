import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../lambda/errors.ts';
import { MAX_BATCH_BYTES, SqsQueue } from '../../lambda/store/sqs-queue.ts';

/** A fake SQS client recording each batch; `fail` decides which entry ids a call reports as failed. */
function fakeSqs(fail: (call: number, ids: string[]) => string[] = () => []) {
  const calls: { Id?: string; MessageBody?: string }[][] = [];
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const entries = command.input.Entries ?? [];
      calls.push(entries);
      const failed = fail(
        calls.length,
        entries.map((e) => e.Id ?? ''),
      );
      return { Successful: [], Failed: failed.map((Id) => ({ Id, SenderFault: false, Code: 'InternalError' })) };
    },
  } as unknown as SQSClient;
  return { client, calls };
}

const messages = (n: number, bytes = 10) =>
  Array.from({ length: n }, (_, i) => ({ id: `e${i}`, body: { n: i, pad: 'x'.repeat(bytes) } }));

describe('SqsQueue', () => {
  it('sends at most ten messages per batch', async () => {
    const { client, calls } = fakeSqs();
    await new SqsQueue(client, 'url', 'test').send(messages(25));
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
  });

  it('keeps each batch under the size limit', async () => {
    const { client, calls } = fakeSqs();
    await new SqsQueue(client, 'url', 'test').send(messages(5, 100 * 1024));
    for (const call of calls) {
      expect(call.reduce((sum, e) => sum + (e.MessageBody?.length ?? 0), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
    expect(calls.flat()).toHaveLength(5);
  });

  it('sends entries SQS reported failed once more, and only those', async () => {
    const { client, calls } = fakeSqs((call) => (call === 1 ? ['m1', 'm4'] : []));
    await new SqsQueue(client, 'url', 'test').send(messages(6));
    expect(calls.map((c) => c.map((e) => e.Id))).toEqual([
      ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'],
      ['m1', 'm4'],
    ]);
  });

  it('fails with a DependencyError when entries keep failing', async () => {
    const { client } = fakeSqs((_, ids) => ids.slice(0, 1));
    await expect(new SqsQueue(client, 'url', 'events').send(messages(3))).rejects.toThrow(
      new DependencyError('the events queue (SQS) rejected 1 message(s)'),
    );
  });
});
