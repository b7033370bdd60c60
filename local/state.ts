import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from '../lib/root.ts';

/** What `npm start` leaves in .hookpilot/local-stack.json while it runs (the CLI's way to find it). */
export interface LocalState {
  pid: number;
  url: string;
  endpoints: { dynamodb: string; sqs: string };
  resources: {
    tables: Record<string, string>;
    queues: Record<string, { url: string; dlqUrl: string }>;
  };
  okta: { orgUrl: string; token: string; eventHookId?: string };
}

export const STATE_FILE = resolve(ROOT, '.hookpilot', 'local-stack.json');

/** The running local stack's state, or undefined when none runs (a file left by a stack that died is ignored). */
export function localState(): LocalState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  let state: Partial<LocalState>;
  try {
    state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as Partial<LocalState>;
  } catch {
    return undefined;
  }
  if (typeof state.pid !== 'number' || !alive(state.pid) || !state.okta || !state.resources) return undefined;
  return state as LocalState;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
