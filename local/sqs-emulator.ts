import { buildApp } from 'fauxqs';
import { DEFAULT_HOST, reachableUrl } from './bind.ts';

export interface SqsEmulator {
  /** The endpoint to give SQS clients. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The SQS emulator (fauxqs), listening on `host` (default 127.0.0.1). fauxqs's own `startFauxqs` always listens on
 * 0.0.0.0, so this builds its app and listens on the given address itself.
 */
export async function startSqsEmulator(options: { host?: string; port?: number } = {}): Promise<SqsEmulator> {
  const host = options.host ?? DEFAULT_HOST;
  const app = buildApp({ logger: false });
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  if (!address || typeof address === 'string') {
    await app.close();
    throw new Error('the SQS emulator did not report its port');
  }
  return { endpoint: reachableUrl(host, address.port), port: address.port, stop: async () => void (await app.close()) };
}
