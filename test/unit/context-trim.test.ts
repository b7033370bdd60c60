import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { trimToBudget } from '../../lambda/recommend/context.ts';
import { salesJoinerContext } from '../support/contexts.ts';

const group = (i: number) => ({
  id: `00g${String(i).padStart(17, '0')}`,
  name: `group-${i}-${'x'.repeat(i % 40)}`,
  type: 'OKTA_GROUP' as const,
});

describe('trimToBudget', () => {
  it('leaves a context that fits alone', () => {
    const context = salesJoinerContext();
    expect(trimToBudget(context, 1_000_000)).toBe(context);
  });

  test.prop([fc.integer({ min: 0, max: 600 }), fc.integer({ min: 4_000, max: 60_000 })], { numRuns: 60 })(
    'fits the budget when the floors allow it, keeps as much as fits, and says what it left out',
    (groups, budget) => {
      const context = salesJoinerContext({ groups: Array.from({ length: groups }, (_, i) => group(i)) });
      const trimmed = trimToBudget(context, budget);
      const size = JSON.stringify(trimmed).length;
      const minimal = JSON.stringify({ ...context, groups: context.groups.slice(0, 15) }).length;
      if (minimal <= budget - 500) expect(size).toBeLessThanOrEqual(budget);
      if (trimmed.groups.length < context.groups.length) {
        expect(trimmed.truncated.join(' ')).toMatch(/of the user's groups/);
        // one more group would not have fitted (unless a floor was hit)
        const withOneMore = { ...trimmed, groups: context.groups.slice(0, trimmed.groups.length + 1) };
        if (trimmed.groups.length > 15 && trimmed.groups.length !== 40)
          expect(JSON.stringify(withOneMore).length).toBeGreaterThan(budget);
      } else {
        expect(trimmed.truncated.some((t) => t.includes("user's groups"))).toBe(false);
      }
      // the first groups (the privileged ones come first) are the ones kept
      expect(trimmed.groups).toEqual(context.groups.slice(0, trimmed.groups.length));
    },
  );
});
