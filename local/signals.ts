/**
 * One Ctrl-C can arrive more than once: the terminal signals the whole process group (npm, its shell, node), and npm
 * passes the signal on to its child as well. Copies within this window are that one Ctrl-C, not a second one.
 */
const REPEAT_WINDOW_MS = 1_000;

/**
 * Stops a foreground process (the local stack, the Okta simulator, the OpenAI stub) on Ctrl-C or SIGTERM: says so, runs
 * `stop`, exits 0. A second signal while stopping (later than `REPEAT_WINDOW_MS`) exits at once (130).
 */
export function stopOnSignals(name: string, stop: () => Promise<void>, print: (line: string) => void): void {
  let stoppingSince: number | undefined;
  const onSignal = async (signal: string) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < REPEAT_WINDOW_MS) return;
      process.exit(130);
    }
    stoppingSince = Date.now();
    print(`\n${name}: ${signal}: stopping…`);
    await stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void onSignal('SIGINT'));
  process.on('SIGTERM', () => void onSignal('SIGTERM'));
}
