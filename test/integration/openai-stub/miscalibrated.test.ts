import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectedCalibrationError as measureEce, reliability } from '../../../eval/metrics.ts';
import { type PolicyConfig, PolicyConfigSchema } from '../../../lambda/domain/policy-config.ts';
import { createOpenAiClient, DEFAULT_MODEL, llmRecommenderOptions } from '../../../lambda/recommend/llm-config.ts';
import { LlmRecommender } from '../../../lambda/recommend/llm-recommender.ts';
import { recommendByRules } from '../../../lambda/recommend/rules-recommender.ts';
import { validateProposals } from '../../../lambda/recommend/validate.ts';
import {
  actionKey,
  expectedAccuracy,
  expectedCalibrationError,
  MISCALIBRATED_MODES,
  type MiscalibratedMode,
  MODE_LEVELS,
  type OpenAiStub,
  startOpenAiStub,
} from '../../../local/openai-stub/index.ts';
import { eceTolerance, joinerContext } from '../../support/calibration.ts';

/**
 * The stub's mis-calibrated modes, through the real LLM recommender (openai SDK over HTTP) and the real validator: the
 * calibration error the harness's metric (eval/metrics.ts) measures on the answers matches the error the mode injects,
 * within a tolerance derived from the sample size (test/support/calibration.ts, `eceTolerance`).
 */

let stub: OpenAiStub;
const POLICY: PolicyConfig = PolicyConfigSchema.parse({ version: 1 });
const CONTEXTS = 300; // × 7 answered actions each = 2,100 samples per mode

beforeAll(async () => {
  stub = await startOpenAiStub();
});
afterAll(async () => {
  await stub.stop();
});
beforeEach(() => stub.reset());

const recommender = () =>
  new LlmRecommender(
    llmRecommenderOptions(
      {
        apiKey: { kind: 'env', describe: 'test', get: async () => 'sk-test' },
        baseURL: stub.baseURL,
        model: DEFAULT_MODEL,
        timeoutMs: 5000,
        maxRetries: 0,
        maxRetryWaitMs: 0,
      },
      createOpenAiClient({
        apiKey: { kind: 'env', describe: 'test', get: async () => 'sk-test' },
        baseURL: stub.baseURL,
        model: DEFAULT_MODEL,
        timeoutMs: 5000,
        maxRetries: 0,
        maxRetryWaitMs: 0,
      }),
    ),
  );

/** Every valid proposal of `count` joiners, scored against the rules recommender's answer for the same context. */
async function samples(count: number) {
  const llm = recommender();
  const out: { confidence: number; correct: boolean; type: string }[] = [];
  for (let i = 0; i < count; i += 1) {
    const context = joinerContext(i);
    const truth = new Set(recommendByRules(context, POLICY).proposals.map(actionKey));
    const result = await llm.recommend(context, POLICY);
    const { valid, rejected } = validateProposals(result, context, POLICY);
    expect(rejected).toEqual([]); // a wrong answer the validator dropped would bias the measurement
    for (const p of valid)
      out.push({ confidence: p.confidence, correct: truth.has(actionKey(p.action)), type: p.action.type });
  }
  return out;
}

describe.each(MISCALIBRATED_MODES)('mode %s', (mode: MiscalibratedMode) => {
  it('has the calibration error it was designed with, within the tolerance of the sample size', async () => {
    stub.setMode(mode, { seed: 7 });
    const measured = await samples(CONTEXTS);
    const n = measured.length;
    expect(n).toBe(CONTEXTS * 7);

    // What the stub says it drew is exactly what scoring against the truth finds.
    const draws = stub.requests().flatMap((r) => r.calibration?.draws ?? []);
    expect(draws.map((d) => [d.confidence, d.correct])).toEqual(measured.map((s) => [s.confidence, s.correct]));

    const designed = expectedCalibrationError(mode);
    const tolerance = eceTolerance(MODE_LEVELS[mode], n);
    // The harness's own metric (eval/metrics.ts), as `hookpilot eval` reports it.
    const observed = measureEce(measured) ?? Number.NaN;
    // Its reliability table puts each stated confidence in its own bucket, at the mode's designed precision.
    for (const level of MODE_LEVELS[mode]) {
      const bucket = reliability(measured).find((b) => b.from <= level.confidence && level.confidence < b.to);
      expect(bucket?.meanConfidence).toBeCloseTo(level.confidence, 9);
      const share = (bucket?.count ?? 0) / n;
      expect(Math.abs((bucket?.observedPrecision ?? -1) - level.accuracy)).toBeLessThanOrEqual(
        3 * Math.sqrt((level.accuracy * (1 - level.accuracy)) / Math.max(1, share * n)) + 1e-9,
      );
    }
    expect(Math.abs(observed - designed)).toBeLessThanOrEqual(tolerance);
    const accuracy = measured.filter((s) => s.correct).length / n;
    expect(Math.abs(accuracy - expectedAccuracy(mode))).toBeLessThanOrEqual(3 * Math.sqrt(0.25 / n));
    console.info(
      `stub ${mode}: ${n} actions, ECE ${observed.toFixed(3)} (designed ${designed.toFixed(3)} ± ${tolerance.toFixed(3)}), accuracy ${accuracy.toFixed(3)}`,
    );
  });
});

describe('the mis-calibrated modes', () => {
  it('answer the same request the same way (the draws are seeded by the seed and the prompt)', async () => {
    stub.setMode('random', { seed: 1 });
    const llm = recommender();
    const first = await llm.recommend(joinerContext(1), POLICY);
    const again = await llm.recommend(joinerContext(1), POLICY);
    expect(again.proposals).toEqual(first.proposals);
    stub.setMode('random', { seed: 2 });
    const reseeded = await llm.recommend(joinerContext(1), POLICY);
    expect(reseeded.proposals).not.toEqual(first.proposals);
  });

  it('take labels for an event instead of the rules recommender (POST /__stub/truth)', async () => {
    const context = joinerContext(3);
    const only = context.peers.groups[7];
    if (!only) throw new Error('fixture');
    const response = await fetch(`${stub.url}/__stub/truth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        events: { [context.event.uuid]: [{ type: 'group.add_member', params: { groupId: only.id } }] },
      }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { labelledEvents: number }).labelledEvents).toBe(1);
    stub.setMode('calibrated');
    await recommender().recommend(context, POLICY);
    const [record] = stub.requests();
    expect(record?.calibration?.truth).toBe('labels');
    expect(record?.calibration?.draws).toHaveLength(1);
  });

  it('refuse a bad seed or truth with a 400 naming the field, and change nothing', async () => {
    const bad = await fetch(`${stub.url}/__stub/mode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'random', seed: -1 }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('seed');
    const truth = await fetch(`${stub.url}/__stub/truth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: { x: [{ params: {} }] } }),
    });
    expect(truth.status).toBe(400);
    expect(stub.state()).toMatchObject({ standing: 'normal', labelledEvents: 0 });
  });
});
