/**
 * Stops a foreground process (the local stack, the Okta simulator, the OpenAI stub) on Ctrl-C or SIGTERM: says so, runs
 * `stop`, exits 0. A second signal while stopping exits at once (130).
 */
export function stopOnSignals(name: string, stop: () => Promise<void>, print: (line: string) => void): void {
  let stopping = false;
  const onSignal = async (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    print(`\n${name}: ${signal}: stopping…`);
    await stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void onSignal('SIGINT'));
  process.on('SIGTERM', () => void onSignal('SIGTERM'));
}
