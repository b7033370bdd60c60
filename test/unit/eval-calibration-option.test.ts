import { afterEach, describe, expect, it } from 'vitest';
import { readCalibrationOption } from '../../cli/eval-from-audit.ts';
import { CALIBRATION_ENV } from '../../lambda/domain/calibration.ts';

/** `hookpilot eval --from-audit` applies the calibration the stack applies (`loadCalibration`), inline JSON included. */

const CALIBRATION = {
  version: 1,
  fittedFor: { model: 'gpt-4.1-mini', promptVersion: '2026-11-22.1' },
  fittedAt: '2026-11-29T10:00:00.000Z',
  source: { kind: 'eval', description: 'test', samples: 100 },
  method: 'isotonic',
  minSamples: 30,
  byActionType: {},
  pooled: { samples: 100, points: [{ confidence: 0.5, precision: 0.4, count: 100 }] },
};

const saved = { file: process.env[CALIBRATION_ENV.file], json: process.env[CALIBRATION_ENV.json] };
afterEach(() => {
  for (const [key, name] of [
    ['file', CALIBRATION_ENV.file],
    ['json', CALIBRATION_ENV.json],
  ] as const) {
    if (saved[key] === undefined) delete process.env[name];
    else process.env[name] = saved[key];
  }
});

describe('readCalibrationOption', () => {
  it('uses the inline JSON in HOOKPILOT_CALIBRATION when no file is given, as the stack does', () => {
    delete process.env[CALIBRATION_ENV.file];
    process.env[CALIBRATION_ENV.json] = JSON.stringify(CALIBRATION);
    const { calibration, source } = readCalibrationOption(undefined);
    expect(source).toBe(CALIBRATION_ENV.json);
    expect(calibration?.fittedFor).toEqual(CALIBRATION.fittedFor);
    expect(calibration?.pooled?.points).toEqual(CALIBRATION.pooled.points);
  });

  it('says what is wrong with a bad inline calibration in one line, naming the variable', () => {
    delete process.env[CALIBRATION_ENV.file];
    process.env[CALIBRATION_ENV.json] = '{not json';
    expect(() => readCalibrationOption(undefined)).toThrow(/HOOKPILOT_CALIBRATION/);
  });
});
