import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { binned, fitCalibration, isotonic, type Outcome, sparseTypes } from '../../eval/calibration-fit.ts';
import { mapConfidence } from '../../lambda/policy/calibrate.ts';
import { prng } from '../../local/openai-stub/miscalibrated.ts';

/** Fitting a calibration: isotonic regression (pool-adjacent-violators) and bins recover a known mapping. */

const FOR = { model: 'gpt-4.1-mini', promptVersion: '2026-11-22.1' };
const SOURCE = { kind: 'samples' as const, description: 'synthetic' };

/** `perLevel` outcomes at each of ten confidences, right with probability `truth(c)`, from a seeded PRNG. */
function synthetic(truth: (c: number) => number, perLevel: number, seed: number, type = 'group.add_member'): Outcome[] {
  const random = prng(seed);
  const out: Outcome[] = [];
  for (let k = 0; k < 10; k += 1) {
    const confidence = 0.05 + k * 0.1;
    for (let i = 0; i < perLevel; i += 1) out.push({ type, confidence, correct: random() < truth(confidence) });
  }
  return out;
}

describe('isotonic (pool-adjacent-violators)', () => {
  it('pools a violation into one block: 0.2 right twice, 0.4 never, 0.6 always', () => {
    const points = isotonic([
      { confidence: 0.2, correct: true },
      { confidence: 0.2, correct: true },
      { confidence: 0.4, correct: false },
      { confidence: 0.4, correct: false },
      { confidence: 0.6, correct: true },
    ]);
    expect(points).toEqual([
      { confidence: 0.3, precision: 0.5, count: 4 },
      { confidence: 0.6, precision: 1, count: 1 },
    ]);
  });

  it('recovers a known increasing mapping (0.1 + 0.8c) within three standard errors', () => {
    // 1,000 outcomes per level: each level's precision has a standard error of at most √(0.25/1000) ≈ 0.016; adjacent
    // levels differ by 0.08 (five standard errors of a difference), so pooling across levels is rare.
    const truth = (c: number) => 0.1 + 0.8 * c;
    const fitted = fitCalibration(synthetic(truth, 1000, 11), { fittedFor: FOR, source: SOURCE });
    const mapping = fitted.byActionType['group.add_member'];
    expect(mapping?.samples).toBe(10_000);
    const tolerance = 3 * Math.sqrt(0.25 / 1000);
    for (let k = 0; k < 10; k += 1) {
      const c = 0.05 + k * 0.1;
      expect(Math.abs(mapConfidence(mapping ?? { samples: 1, points: [] }, c) - truth(c))).toBeLessThanOrEqual(
        tolerance,
      );
    }
  });

  it('recovers an over-confident model: says 0.95, right 65 % of the time', () => {
    const truth = (c: number) => Math.max(0, c - 0.3);
    const fitted = fitCalibration(synthetic(truth, 1000, 5), { fittedFor: FOR, source: SOURCE });
    const mapping = fitted.byActionType['group.add_member'];
    if (!mapping) throw new Error('no mapping');
    expect(Math.abs(mapConfidence(mapping, 0.95) - 0.65)).toBeLessThanOrEqual(3 * Math.sqrt(0.25 / 1000));
  });

  test.prop([fc.array(fc.record({ confidence: fc.double({ min: 0, max: 1, noNaN: true }), correct: fc.boolean() }))])(
    'always gives a valid mapping: confidences increasing, precision never decreasing, counts adding up',
    (outcomes) => {
      const points = isotonic(outcomes);
      expect(points.reduce((n, p) => n + p.count, 0)).toBe(outcomes.length);
      for (let i = 1; i < points.length; i += 1) {
        expect(points[i]?.confidence).toBeGreaterThan(points[i - 1]?.confidence ?? -1);
        expect(points[i]?.precision).toBeGreaterThanOrEqual(points[i - 1]?.precision ?? -1);
      }
    },
  );
});

describe('binned', () => {
  it('recovers the same mapping with ten bins', () => {
    const truth = (c: number) => 0.1 + 0.8 * c;
    const fitted = fitCalibration(synthetic(truth, 1000, 12), { fittedFor: FOR, source: SOURCE, method: 'binned' });
    const mapping = fitted.byActionType['group.add_member'];
    if (!mapping) throw new Error('no mapping');
    expect(fitted.method).toBe('binned');
    expect(Math.abs(mapConfidence(mapping, 0.45) - truth(0.45))).toBeLessThanOrEqual(3 * Math.sqrt(0.25 / 1000));
  });

  it('merges a bin with fewer than 10 outcomes into the next', () => {
    const outcomes = [
      ...Array.from({ length: 3 }, () => ({ confidence: 0.15, correct: false })),
      ...Array.from({ length: 10 }, (_, i) => ({ confidence: 0.55, correct: i < 5 })),
    ];
    expect(binned(outcomes)).toEqual([{ confidence: 0.4577, precision: 0.3846, count: 13 }]);
  });
});

describe('fitCalibration', () => {
  it('gives a type with fewer than minSamples outcomes no mapping of its own: it falls back to the pooled one', () => {
    const outcomes = [
      ...synthetic((c) => c, 10, 1, 'group.add_member'), // 100
      ...synthetic((c) => c, 2, 2, 'user.suspend'), // 20
    ];
    const fitted = fitCalibration(outcomes, { fittedFor: FOR, source: SOURCE, minSamples: 30 });
    expect(Object.keys(fitted.byActionType)).toEqual(['group.add_member']);
    expect(fitted.pooled?.samples).toBe(120);
    expect(sparseTypes(outcomes, fitted)).toEqual([{ type: 'user.suspend', samples: 20 }]);
    expect(fitted).toMatchObject({ version: 1, fittedFor: FOR, source: { kind: 'samples', samples: 120 } });
  });

  it('fits no pooled mapping when asked not to, or when there are too few outcomes overall', () => {
    const outcomes = synthetic((c) => c, 2, 3);
    expect(fitCalibration(outcomes, { fittedFor: FOR, source: SOURCE, minSamples: 30 }).pooled).toBeNull();
    expect(
      fitCalibration(
        synthetic((c) => c, 10, 3),
        { fittedFor: FOR, source: SOURCE, pooled: false },
      ).pooled,
    ).toBeNull();
  });

  it('leaves out outcomes of types the catalog does not know', () => {
    const fitted = fitCalibration([...synthetic((c) => c, 5, 4), { type: 'org.wipe', confidence: 1, correct: false }], {
      fittedFor: FOR,
      source: SOURCE,
    });
    expect(fitted.source.samples).toBe(50);
  });
});
