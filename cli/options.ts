import { InvalidArgumentError } from 'commander';

/** Parses an option's value as a whole number from 1 to `max` (commander reports the error with the option's name). */
export const positiveInt =
  (max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
      throw new InvalidArgumentError('expected a positive whole number');
    }
    if (n > max) throw new InvalidArgumentError(`at most ${max}`);
    return n;
  };
