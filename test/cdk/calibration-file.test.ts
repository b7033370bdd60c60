import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCalibration } from '../../lambda/domain/calibration.ts';
import { appOptions } from '../../lib/app-options.ts';
import { readCalibrationFile } from '../../lib/hookpilot-stack.ts';

/** `-c calibrationFile=…`: read and validated at synth time, like the policy; a bad one stops the synth naming why. */

const VALID = {
  version: 1,
  fittedFor: { model: 'gpt-4.1-mini', promptVersion: '2026-11-22.1' },
  fittedAt: '2026-11-29T10:00:00.000Z',
  source: { kind: 'eval', description: 'test', samples: 40 },
  method: 'isotonic',
  minSamples: 30,
  pooled: { samples: 40, points: [{ confidence: 0.9, precision: 0.7, count: 40 }] },
};

describe('calibrationFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookpilot-cal-'));

  it('is built in as the JSON it holds, once valid', () => {
    const file = join(dir, 'calibration.json');
    writeFileSync(file, JSON.stringify(VALID));
    const built = readCalibrationFile(file);
    expect(parseCalibration(JSON.parse(built ?? 'null'), 'built')).toMatchObject({ fittedFor: VALID.fittedFor });
  });

  it('stops the synth on a file that is not a calibration, naming the field, or that cannot be read', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...VALID, fittedFor: { model: 'gpt-4.1-mini' } }));
    expect(() => readCalibrationFile(file)).toThrow(
      /the calibration in .*bad.json is not valid: fittedFor.promptVersion/,
    );
    expect(() => readCalibrationFile(join(dir, 'none.json'))).toThrow(/calibrationFile .*none.json cannot be read/);
  });

  it('is read from context', () => {
    expect(
      appOptions((key) => (key === 'calibrationFile' ? 'policy/calibration.json' : undefined)).calibrationFile,
    ).toBe('policy/calibration.json');
  });
});
