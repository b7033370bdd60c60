import { describe, expect, it } from 'vitest';
import {
  bucketOf,
  calibrationPoints,
  counts,
  countsBy,
  type ExpectationLike,
  expectedCalibrationError,
  matches,
  mustNotMatches,
  precisionAtThreshold,
  reliability,
  type ScoredPoint,
  scoreCase,
} from '../../eval/metrics.ts';

/** The evaluation's figures on examples computed by hand. */

const add = (groupId: string, names: string[] = []) => ({
  type: 'group.add_member',
  params: { userId: '00uA', groupId },
  names: { groupId: names, userId: ['ann@example.com'] },
});

describe('matches', () => {
  it('compares the type and each expected param, by id or by one of its names', () => {
    expect(matches(add('00gSales', ['dept-sales']), { label: 'must', type: 'group.add_member' })).toBe(true);
    expect(matches(add('00gSales', ['dept-sales']), { label: 'must', type: 'group.remove_member' })).toBe(false);
    expect(
      matches(add('00gSales', ['dept-sales']), {
        label: 'must',
        type: 'group.add_member',
        params: { groupId: '00gSales' },
      }),
    ).toBe(true);
    expect(
      matches(add('00gSales', ['dept-sales']), {
        label: 'must',
        type: 'group.add_member',
        params: { groupId: 'dept-sales' },
      }),
    ).toBe(true);
    expect(
      matches(add('00gSales', ['dept-sales']), {
        label: 'must',
        type: 'group.add_member',
        params: { groupId: 'dept-it' },
      }),
    ).toBe(false);
    // a user by login, case-insensitively; a group name is exact
    expect(
      matches(add('00gSales', ['dept-sales']), {
        label: 'must',
        type: 'group.add_member',
        params: { userId: 'Ann@Example.com' },
      }),
    ).toBe(true);
    expect(
      matches(add('00gSales', ['dept-sales']), {
        label: 'must',
        type: 'group.add_member',
        params: { groupId: 'Dept-Sales' },
      }),
    ).toBe(false);
    // a param the action does not have never matches
    expect(
      matches(add('00gSales'), { label: 'must', type: 'group.add_member', params: { roleType: 'SUPER_ADMIN' } }),
    ).toBe(false);
  });
});

describe('scoreCase', () => {
  const expectations = [
    { label: 'must' as const, type: 'group.add_member', params: { groupId: 'dept-sales' } },
    { label: 'must' as const, type: 'group.add_member', params: { groupId: 'loc-london' } },
    { label: 'acceptable' as const, type: 'app.assign' },
    { label: 'must-not' as const, type: 'group.add_member', params: { groupId: 'aws-prod-admin' } },
  ];

  it('gives each proposal its verdict and lists the musts nothing matched', () => {
    const score = scoreCase(
      [
        add('00g1', ['dept-sales']),
        { type: 'app.assign', params: { userId: '00uA', appId: '0oa1' } },
        add('00g2', ['aws-prod-admin']),
        add('00g3', ['loc-berlin']),
      ],
      expectations,
    );
    expect(score.verdicts).toEqual([
      { verdict: 'tp', expectation: 0 },
      { verdict: 'acceptable', expectation: 2 },
      { verdict: 'violation', expectation: 3 },
      { verdict: 'fp', expectation: -1 },
    ]);
    expect(score.missed).toEqual([1]);
  });

  it('lets a must-not win over a must that also matches (a contradictory label never hides a violation)', () => {
    const score = scoreCase(
      [add('00g2', ['aws-prod-admin'])],
      [
        { label: 'must', type: 'group.add_member' },
        { label: 'must-not', type: 'group.add_member', params: { groupId: 'aws-prod-admin' } },
      ],
    );
    expect(score.verdicts[0]?.verdict).toBe('violation');
    expect(score.missed).toEqual([0]);
  });

  it('nothing proposed: every must is missed, nothing else counts', () => {
    expect(scoreCase([], expectations)).toEqual({ verdicts: [], missed: [0, 1] });
  });
});

describe('mustNotMatches (proposals validation rejected)', () => {
  it('finds the must-not each action matches, by id or name, and -1 for the others', () => {
    const labels: ExpectationLike[] = [
      { label: 'must' as const, type: 'group.add_member', params: { groupId: 'dept-sales' } },
      { label: 'must-not' as const, type: 'group.add_member', params: { groupId: 'Okta Admins' } },
      { label: 'must-not' as const, type: 'role.assign', params: { roleType: 'SUPER_ADMIN' } },
    ];
    const found = mustNotMatches(
      [
        { type: 'group.add_member', params: { groupId: '00gADMINS' }, names: { groupId: ['Okta Admins'] } },
        { type: 'group.add_member', params: { groupId: 'dept-sales' } }, // a must, not a must-not
        { type: 'role.assign', params: { roleType: 'SUPER_ADMIN' } },
        { type: 'not.an_action', params: {} },
      ],
      labels,
    );
    expect(found).toEqual([1, -1, 2, -1]);
  });
});

const point = (
  verdict: ScoredPoint['verdict'],
  confidence: number,
  outcome: ScoredPoint['outcome'] = 'approval',
  type = 'group.add_member',
  intent = 'joiner',
): ScoredPoint => ({ verdict, confidence, outcome, type, intent });

describe('counts', () => {
  it('precision, recall, violations, wrong automatic actions and the automation rate, by hand', () => {
    const points = [
      point('tp', 0.9, 'auto'),
      point('tp', 0.9, 'auto'),
      point('tp', 0.6),
      point('fp', 0.85, 'auto'), // wrong and automatic
      point('violation', 0.5), // a human would have been asked
      point('violation', 0.95, 'auto'), // the worst: a must-not that runs
      point('acceptable', 0.7, 'auto'),
      point('violation', 0.1, 'drop'), // dropped by the policy: not counted
      point('fp', 0.3, 'drop'),
    ];
    const c = counts(points, [
      { type: 'group.add_member', intent: 'joiner' },
      { type: 'app.assign', intent: 'joiner' },
    ]);
    // TP 3; FP = 1 fp + 2 violations = 3; FN 2
    expect(c.truePositives).toBe(3);
    expect(c.falsePositives).toBe(3);
    expect(c.falseNegatives).toBe(2);
    expect(c.violations).toBe(2);
    expect(c.acceptable).toBe(1);
    expect(c.precision).toBeCloseTo(3 / 6);
    expect(c.recall).toBeCloseTo(3 / 5);
    expect(c.wrongAuto).toBe(2);
    expect(c.violationsAuto).toBe(1);
    // precision of automatic actions: 2 right auto (the tps), 2 wrong auto (fp, violation); acceptable not counted
    expect(c.rightAuto).toBe(2);
    expect(c.autoPrecision).toBeCloseTo(2 / 4);
    expect(c.droppedViolations).toBe(1);
    // decisions: auto 5 (tp, tp, fp, violation, acceptable), approval 2, drop 2 → 5 / 7
    expect(c.decisions).toEqual({ auto: 5, approval: 2, drop: 2 });
    expect(c.automationRate).toBeCloseTo(5 / 7);
  });

  it('counts must-nots that validation caught apart from the violations, overall and by type', () => {
    const points = [point('tp', 0.9, 'auto'), point('violation', 0.5)];
    const caught = [
      { type: 'group.add_member', intent: 'joiner' },
      { type: 'role.assign', intent: 'joiner' },
    ];
    const c = counts(points, [], caught);
    expect(c.mustNotCaughtByValidation).toBe(2);
    expect(c.violations).toBe(1); // the violation figure is unchanged by what validation caught
    expect(c.precision).toBeCloseTo(1 / 2);
    const byType = countsBy(points, [], 'type', caught);
    expect(byType['role.assign']).toMatchObject({ mustNotCaughtByValidation: 1, violations: 0, precision: null });
    expect(byType['group.add_member']?.mustNotCaughtByValidation).toBe(1);
    expect(counts(points, []).mustNotCaughtByValidation).toBe(0);
  });

  it('says "no figure" rather than 0 or 1 when there is nothing to divide', () => {
    const c = counts([], []);
    expect(c.precision).toBeNull();
    expect(c.recall).toBeNull();
    expect(c.automationRate).toBeNull();
    expect(c.autoPrecision).toBeNull();
    expect(counts([point('acceptable', 0.9)], []).precision).toBeNull();
  });

  it('slices by intent and by action type (a missed must counts for its own type)', () => {
    const by = countsBy(
      [point('tp', 0.9, 'auto', 'group.add_member', 'joiner'), point('fp', 0.9, 'auto', 'app.assign', 'mover')],
      [{ type: 'group.remove_member', intent: 'mover' }],
      'type',
    );
    expect(Object.keys(by)).toEqual(['app.assign', 'group.add_member', 'group.remove_member']);
    expect(by['group.remove_member']?.recall).toBe(0);
    expect(by['group.remove_member']?.precision).toBeNull();
    expect(by['app.assign']?.precision).toBe(0);
  });
});

describe('calibration', () => {
  it('puts confidences in equal-width buckets, 1.0 in the last', () => {
    expect([0, 0.05, 0.1, 0.15, 0.7, 0.8, 0.95, 1].map((c) => bucketOf(c))).toEqual([0, 0, 1, 1, 7, 8, 9, 9]);
    expect(bucketOf(-1)).toBe(0);
    expect(bucketOf(2)).toBe(9);
    expect(bucketOf(Number.NaN)).toBe(0);
  });

  it('computes the reliability table and the expected calibration error by hand', () => {
    // Bucket 0.9–1.0: confidences 0.9, 0.95, 1.0, 0.95 (mean 0.95), 3 of 4 right (0.75) → gap 0.2, weight 4/10
    // Bucket 0.6–0.7: confidences 0.6, 0.6, 0.6, 0.6 (mean 0.6), 3 of 4 right (0.75) → gap 0.15, weight 4/10
    // Bucket 0.2–0.3: confidences 0.2 and 0.25 (mean 0.225), 0 of 2 right → gap 0.225, weight 2/10
    const points = [
      { confidence: 0.9, correct: true },
      { confidence: 0.95, correct: true },
      { confidence: 1, correct: true },
      { confidence: 0.95, correct: false },
      { confidence: 0.6, correct: true },
      { confidence: 0.6, correct: true },
      { confidence: 0.6, correct: true },
      { confidence: 0.6, correct: false },
      { confidence: 0.2, correct: false },
      { confidence: 0.25, correct: false },
    ];
    const table = reliability(points);
    expect(table).toHaveLength(10);
    expect(table[9]).toEqual({ from: 0.9, to: 1, count: 4, meanConfidence: 0.95, observedPrecision: 0.75 });
    expect(table[6]?.count).toBe(4);
    expect(table[6]?.meanConfidence).toBeCloseTo(0.6);
    expect(table[2]).toMatchObject({ count: 2, observedPrecision: 0 });
    expect(table[2]?.meanConfidence).toBeCloseTo(0.225);
    expect(table[0]).toEqual({ from: 0, to: 0.1, count: 0, meanConfidence: null, observedPrecision: null });
    // ECE = 0.4 × 0.2 + 0.4 × 0.15 + 0.2 × 0.225 = 0.08 + 0.06 + 0.045 = 0.185
    expect(expectedCalibrationError(points)).toBeCloseTo(0.185, 10);
  });

  it('is 0 for a perfectly calibrated set and 1 for the worst, null for none', () => {
    const perfect = [
      ...Array.from({ length: 4 }, (_, i) => ({ confidence: 0.75, correct: i < 3 })),
      { confidence: 1, correct: true },
    ];
    expect(expectedCalibrationError(perfect)).toBeCloseTo(0, 10);
    expect(
      expectedCalibrationError([
        { confidence: 1, correct: false },
        { confidence: 0, correct: true },
      ]),
    ).toBeCloseTo(1, 10);
    expect(expectedCalibrationError([])).toBeNull();
  });

  it('measures precision at a threshold (inclusive) over the proposals at or above it', () => {
    const points = [
      { confidence: 0.8, correct: true },
      { confidence: 0.85, correct: false },
      { confidence: 0.99, correct: true },
      { confidence: 0.79, correct: false },
    ];
    expect(precisionAtThreshold(points, 0.8)).toEqual({ threshold: 0.8, count: 3, precision: 2 / 3 });
    expect(precisionAtThreshold(points, 1)).toEqual({ threshold: 1, count: 0, precision: null });
  });

  it('calibrates on true and false positives the policy did not drop (acceptable ones are neither)', () => {
    expect(
      calibrationPoints([
        point('tp', 0.9),
        point('violation', 0.8),
        point('fp', 0.4),
        point('acceptable', 0.7),
        point('tp', 0.9, 'drop'),
      ]),
    ).toEqual([
      { confidence: 0.9, correct: true },
      { confidence: 0.8, correct: false },
      { confidence: 0.4, correct: false },
    ]);
  });
});
