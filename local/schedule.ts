import type { Context } from 'aws-lambda';

export interface ScheduledFunction {
  readonly handler: (event: unknown, context: Context) => Promise<unknown>;
  readonly context: () => Context;
}

/**
 * A local stand-in for an EventBridge schedule: invokes the handler with a `Scheduled Event`-shaped event every
 * `everyMs`, never two runs at once (a run still going when the next is due makes that one skip).
 */
export function startSchedule(options: {
  name: string;
  fn: ScheduledFunction;
  everyMs: number;
  onRun?: (result: { ms: number; error?: unknown }) => void;
}): { runs: () => number; stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let runs = 0;
  const tick = () => {
    if (running) return;
    const started = Date.now();
    const event = {
      version: '0',
      id: `local-${started}`,
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: new Date(started).toISOString(),
      resources: [`local:schedule/${options.name}`],
      detail: {},
    };
    running = options.fn
      .handler(event, options.fn.context())
      .then(
        () => options.onRun?.({ ms: Date.now() - started }),
        (error: unknown) => options.onRun?.({ ms: Date.now() - started, error }),
      )
      .finally(() => {
        runs += 1;
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.everyMs);
  timer.unref();
  return {
    runs: () => runs,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
