import { describe, expect, it } from 'vitest';
import { daysBetween } from '../../lambda/store/audit-log.ts';

describe('daysBetween', () => {
  it('lists the UTC days of a range, inclusive', () => {
    expect(daysBetween('2026-02-27T23:00:00Z', '2026-03-01T01:00:00Z')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
    ]);
  });

  it('is empty for a reversed or malformed range, and never longer than a year', () => {
    expect(daysBetween('2026-03-02', '2026-03-01')).toEqual([]);
    expect(daysBetween('yesterday', '2026-03-01')).toEqual([]);
    expect(daysBetween('2020-01-01', '2026-01-01')).toHaveLength(366);
  });
});
