import { LocalStackError } from '../errors.ts';
import { isStubMode, STUB_MODES } from './answers.ts';
import type { OpenAiStubOptions } from './server.ts';

/** The environment variables the stub reads when started from the environment (CLI, local stack). */
export interface OpenAiStubEnv {
  /** Port (default 0 in code, 8788 for the CLI). */
  OPENAI_STUB_PORT?: string;
  OPENAI_STUB_HOST?: string;
  /** The standing mode at start: one of STUB_MODES. */
  OPENAI_STUB_MODE?: string;
  OPENAI_STUB_DELAY_MS?: string;
  OPENAI_STUB_RETRY_AFTER_MS?: string;
  /** Accept only this key (default: any non-empty key). */
  OPENAI_STUB_API_KEY?: string;
  /** The seed of the mis-calibrated modes' draws (default 0). */
  OPENAI_STUB_SEED?: string;
}

const integer = (name: string, value: string | undefined, max: number): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new LocalStackError(`${name} must be a whole number from 0 to ${max} (got "${value}")`);
  }
  return n;
};

/** Stub options from environment variables; a bad value throws a `LocalStackError` that names the variable. */
export function stubOptionsFromEnv(env: OpenAiStubEnv = process.env as OpenAiStubEnv): OpenAiStubOptions {
  const mode = env.OPENAI_STUB_MODE || undefined;
  if (mode !== undefined && !isStubMode(mode)) {
    throw new LocalStackError(`OPENAI_STUB_MODE must be one of ${STUB_MODES.join(', ')} (got "${mode}")`);
  }
  const port = integer('OPENAI_STUB_PORT', env.OPENAI_STUB_PORT, 65535);
  const delayMs = integer('OPENAI_STUB_DELAY_MS', env.OPENAI_STUB_DELAY_MS, 600_000);
  const retryAfterMs = integer('OPENAI_STUB_RETRY_AFTER_MS', env.OPENAI_STUB_RETRY_AFTER_MS, 600_000);
  const seed = integer('OPENAI_STUB_SEED', env.OPENAI_STUB_SEED, 0xffffffff);
  return {
    ...(port !== undefined ? { port } : {}),
    ...(env.OPENAI_STUB_HOST ? { host: env.OPENAI_STUB_HOST } : {}),
    ...(mode !== undefined ? { mode } : {}),
    ...(delayMs !== undefined ? { delayMs } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(env.OPENAI_STUB_API_KEY ? { apiKey: env.OPENAI_STUB_API_KEY } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}
