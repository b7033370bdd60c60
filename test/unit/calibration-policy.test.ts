import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type Calibration, type CalibrationInput, parseCalibration } from '../../lambda/domain/calibration.ts';
import { ActionSchema, riskOf } from '../../lambda/domain/catalog.ts';
import { PolicyConfigSchema } from '../../lambda/domain/policy-config.ts';
import type { ValidProposal } from '../../lambda/domain/recommendation.ts';
import { identityOf } from '../../lambda/pipeline/process-event.ts';
import { calibrateConfidence, mapConfidence } from '../../lambda/policy/calibrate.ts';
import { decide, RULES } from '../../lambda/policy/decide.ts';
import { RULES_IDENTITY } from '../../lambda/recommend/rules-recommender.ts';
import { IDS } from '../support/contexts.ts';

/** The policy maps a proposal's stated confidence through the calibration fitted for its model, and says when it cannot. */

const MODEL = { model: 'gpt-4.1-mini', promptVersion: '2026-11-22.1' };

const calibration = (overrides: Partial<CalibrationInput> = {}): Calibration =>
  parseCalibration(
    {
      version: 1,
      fittedFor: MODEL,
      fittedAt: '2026-11-29T10:00:00.000Z',
      source: { kind: 'eval', description: 'test', samples: 300 },
      method: 'isotonic',
      minSamples: 30,
      byActionType: {
        // The model says 0.9 for clearing sessions, and is right 60 % of the time at that confidence.
        'user.clear_sessions': {
          samples: 200,
          points: [
            { confidence: 0.5, precision: 0.3, count: 100 },
            { confidence: 0.9, precision: 0.6, count: 100 },
          ],
        },
      },
      pooled: {
        samples: 300,
        points: [
          { confidence: 0.2, precision: 0.2, count: 100 },
          { confidence: 0.8, precision: 0.95, count: 200 },
        ],
      },
      ...overrides,
    },
    'test',
  );

const proposal = (type: string, confidence: number, params: Record<string, unknown> = {}): ValidProposal => {
  const action = ActionSchema.parse({ type, params: { userId: IDS.subject, ...params } });
  return { action, risk: riskOf(action), confidence, rationale: 'because', evidence: [] };
};

// Autonomous, low-risk clear_sessions runs alone from 0.8 (the policy file's default).
const POLICY = PolicyConfigSchema.parse({ version: 1, actions: { 'user.clear_sessions': { minConfidence: 0.8 } } });

describe('mapConfidence', () => {
  const mapping = calibration().byActionType['user.clear_sessions'];
  if (!mapping) throw new Error('fixture');
  it('interpolates between points and holds the end values beyond them', () => {
    expect(mapConfidence(mapping, 0.9)).toBe(0.6);
    expect(mapConfidence(mapping, 0.7)).toBe(0.45);
    expect(mapConfidence(mapping, 0.4)).toBe(0.3);
    expect(mapConfidence(mapping, 1)).toBe(0.6);
  });
  it('never raises a confidence below the first fitted point (no evidence there): it keeps the lower of the two', () => {
    expect(mapConfidence(mapping, 0.1)).toBe(0.1);
    expect(mapConfidence(mapping, 0.05)).toBe(0.05);
    expect(mapConfidence(mapping, 0.3)).toBe(0.3);
    expect(mapConfidence(mapping, 0.45)).toBe(0.3);
  });
  it('lets the drop floor drop a proposal stated below it, even when the first fitted precision is above the floor', () => {
    // The floor is 0.2; clear_sessions' first fitted point is (0.5 → 0.3): stated 0.05 must not become 0.3.
    const [d] = decide([proposal('user.clear_sessions', 0.05)], {
      mode: 'autonomous',
      policy: POLICY,
      intent: 'security',
      calibration: calibration(),
      recommendedBy: MODEL,
    });
    expect(d?.outcome).toBe('drop');
    expect(d?.rule).toBe(RULES.confidenceBelowFloor);
    expect(d?.calibration).toMatchObject({ stated: 0.05, effective: 0.05, applied: true });
  });
  test.prop([fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })])(
    'is monotone: a higher stated confidence never maps lower',
    (a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      expect(mapConfidence(mapping, lo)).toBeLessThanOrEqual(mapConfidence(mapping, hi));
    },
  );
});

describe('the schema', () => {
  it('refuses a mapping whose precision falls as confidence grows, naming the field', () => {
    expect(() =>
      calibration({
        pooled: {
          samples: 2,
          points: [
            { confidence: 0.2, precision: 0.9, count: 1 },
            { confidence: 0.8, precision: 0.1, count: 1 },
          ],
        },
      }),
    ).toThrow(/pooled: precision must not decrease/);
  });
});

describe('decide with a calibration', () => {
  it('uses the calibrated confidence when the model and prompt version match, and records both', () => {
    const [d] = decide([proposal('user.clear_sessions', 0.9)], {
      mode: 'autonomous',
      policy: POLICY,
      intent: 'security',
      calibration: calibration(),
      recommendedBy: MODEL,
    });
    // Stated 0.9 would meet 0.8; calibrated 0.6 does not: a human decides.
    expect(d?.outcome).toBe('approval');
    expect(d?.rule).toBe(RULES.confidenceBelowAuto);
    expect(d?.reason).toContain('calibrated confidence 0.6 (stated 0.9) is below the automatic threshold of 0.8');
    expect(d?.calibration).toMatchObject({ stated: 0.9, effective: 0.6, applied: true, mapping: 'action-type' });
    expect(d?.proposal.confidence).toBe(0.9);
  });

  it('lets calibration raise a confidence too (an under-confident model), through the pooled mapping', () => {
    const [d] = decide([proposal('user.expire_password', 0.7)], {
      mode: 'autonomous',
      policy: PolicyConfigSchema.parse({ version: 1, actions: { 'user.expire_password': { minConfidence: 0.8 } } }),
      intent: 'security',
      calibration: calibration(),
      recommendedBy: MODEL,
    });
    expect(d?.calibration).toMatchObject({ stated: 0.7, effective: 0.825, applied: true, mapping: 'pooled' });
    // Stated 0.7 is below the type's threshold of 0.8; calibrated 0.825 meets it.
    expect(d?.outcome).toBe('auto');
    expect(d?.reason).toContain('calibrated confidence 0.825 (stated 0.7) meets the automatic threshold of 0.8');
  });

  it('falls back to the stated confidence when the model changed without a re-fit, and says so', () => {
    const [d] = decide([proposal('user.clear_sessions', 0.9)], {
      mode: 'autonomous',
      policy: POLICY,
      intent: 'security',
      calibration: calibration(),
      recommendedBy: { model: 'gpt-5', promptVersion: '2026-11-22.1' },
    });
    expect(d?.outcome).toBe('auto');
    expect(d?.calibration?.applied).toBe(false);
    expect(d?.calibration?.note).toBe(
      'calibration: not applied — fitted for gpt-4.1-mini/prompt 2026-11-22.1, recommendation from gpt-5/prompt 2026-11-22.1; the stated confidence is used until it is re-fitted',
    );
    expect(d?.reason).toContain('(calibration: not applied — fitted for gpt-4.1-mini/prompt 2026-11-22.1');
  });

  it('falls back when the prompt version changed', () => {
    const outcome = calibrateConfidence('user.clear_sessions', 0.9, calibration(), { ...MODEL, promptVersion: 'v9' });
    expect(outcome).toMatchObject({ applied: false, effective: 0.9 });
    expect(outcome.note).toContain('recommendation from gpt-4.1-mini/prompt v9');
  });

  it('leaves a type without its own mapping uncalibrated when there is no pooled one, and says why', () => {
    const outcome = calibrateConfidence('user.suspend', 0.9, calibration({ pooled: null }), MODEL);
    expect(outcome).toMatchObject({ applied: false, effective: 0.9 });
    expect(outcome.note).toContain('user.suspend had fewer than 30 samples when fitted and there is no pooled mapping');
  });

  it('applies to the drop floor too', () => {
    const [d] = decide([proposal('user.clear_sessions', 0.9)], {
      mode: 'autonomous',
      policy: PolicyConfigSchema.parse({ version: 1, dropBelowConfidence: 0.65 }),
      intent: 'security',
      calibration: calibration(),
      recommendedBy: MODEL,
    });
    expect(d?.outcome).toBe('drop');
    expect(d?.rule).toBe(RULES.confidenceBelowFloor);
  });

  it('changes nothing without a calibration (no calibration field, the reasons as before)', () => {
    const [d] = decide([proposal('user.clear_sessions', 0.9)], {
      mode: 'autonomous',
      policy: POLICY,
      intent: 'security',
    });
    expect(d?.outcome).toBe('auto');
    expect(d).not.toHaveProperty('calibration');
    expect(d?.reason).toBe('user.clear_sessions is low risk and confidence 0.9 meets the automatic threshold of 0.8');
  });

  it('never makes a high-risk action automatic, however high the calibrated confidence', () => {
    const [d] = decide([proposal('user.reset_factors', 0.99)], {
      mode: 'autonomous',
      policy: POLICY,
      intent: 'security',
      calibration: calibration(),
      recommendedBy: MODEL,
    });
    expect(d?.outcome).toBe('approval');
  });
});

describe('the rules recommender', () => {
  it('is identified as model "rules" with its version, also when it answered for a failed model', () => {
    expect(identityOf({ recommender: 'rules' })).toEqual(RULES_IDENTITY);
    expect(identityOf({ recommender: 'rules', model: 'gpt-4.1-mini' })).toEqual(RULES_IDENTITY);
    expect(identityOf({ recommender: 'llm', ...MODEL })).toEqual(MODEL);
  });

  it('gets a calibration fitted for rules and its version', () => {
    const fitted = calibration({ fittedFor: RULES_IDENTITY });
    expect(calibrateConfidence('user.clear_sessions', 0.9, fitted, identityOf({ recommender: 'rules' })).applied).toBe(
      true,
    );
  });
});
