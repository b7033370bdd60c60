/**
 * The sweeper runs a list of independent steps on a schedule (approvals, approved dispatch, grant revocation; adding one is one entry in `handlers/sweeper.ts`).
 * A failing step does not stop the others; the run as a whole fails afterwards, so the schedule's retries and the
 * function's error metric see it.
 */
export interface SweepStep {
  readonly name: string;
  /** Does the step's work as of `now`; returns counts worth logging. */
  run(now: Date): Promise<Readonly<Record<string, number>>>;
}

export interface SweepReport {
  readonly results: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly failed: readonly { readonly step: string; readonly error: string }[];
}

export async function runSweep(steps: readonly SweepStep[], now: Date): Promise<SweepReport> {
  const results: Record<string, Readonly<Record<string, number>>> = {};
  const failed: { step: string; error: string }[] = [];
  for (const step of steps) {
    try {
      results[step.name] = await step.run(now);
    } catch (error) {
      failed.push({ step: step.name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { results, failed };
}
