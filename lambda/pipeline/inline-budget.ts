/** How an optional step ended: its value, or why the deterministic answer is used instead. */
export type StepResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: 'timeout' | 'error' | 'no_time'; readonly error?: unknown };

/**
 * The time an inline hook may spend before it must answer (a person is waiting, and Okta gives up after 3 s including
 * its own token fetch). Created when the request arrives; the use case asks how much is left and runs every optional
 * slow step (a model call, a provider call, an Okta read) through `step`, which gives up at a hard timeout — never past
 * the budget — and aborts the work through the signal it passes.
 */
export class Budget {
  private readonly startedAt: number;

  constructor(
    readonly totalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
  }

  elapsedMs(): number {
    return Math.max(0, this.now() - this.startedAt);
  }

  remainingMs(): number {
    return Math.max(0, this.totalMs - this.elapsedMs());
  }

  /**
   * Runs `work` for at most `timeoutMs` (and at most what is left of the budget, minus `reserveMs` kept for answering
   * and auditing). Never throws: a timeout, an error, or too little time left all come back as `ok: false`.
   */
  async step<T>(
    work: (signal: AbortSignal) => Promise<T>,
    options: { timeoutMs: number; reserveMs?: number },
  ): Promise<StepResult<T>> {
    const limit = Math.min(options.timeoutMs, this.remainingMs() - (options.reserveMs ?? 0));
    if (limit <= 0) return { ok: false, reason: 'no_time' };
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<StepResult<T>>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('inline step timed out'));
        resolve({ ok: false, reason: 'timeout' });
      }, limit);
    });
    const run = (async (): Promise<StepResult<T>> => {
      try {
        return { ok: true, value: await work(controller.signal) };
      } catch (error) {
        return { ok: false, reason: 'error', error };
      }
    })();
    try {
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
