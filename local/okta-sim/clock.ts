/** Milliseconds since the epoch: what the simulator stamps on objects and log events, and uses for rate-limit windows. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A clock that only moves when told to (for tests that need exact timestamps or to jump past a window). */
export interface ManualClock extends Clock {
  set(ms: number | string | Date): void;
  advance(ms: number): void;
}

export function manualClock(start: number | string | Date = Date.now()): ManualClock {
  let now = new Date(start).getTime();
  const clock = (() => now) as ManualClock;
  clock.set = (ms) => {
    now = new Date(ms).getTime();
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
