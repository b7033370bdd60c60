import type { CaseResult } from './harness.ts';
import {
  type CalibrationPoint,
  type CaughtPoint,
  type Counts,
  calibrationPoints,
  counts,
  expectedCalibrationError,
  type MissedPoint,
  precisionAtThreshold,
  type ReliabilityBucket,
  reliability,
  type ScoredPoint,
} from './metrics.ts';

/**
 * The evaluation report: one JSON document (stable, versioned: `schemaVersion`; docs/evaluation.md documents it) from
 * which the terminal summary and the HTML report are both rendered.
 */

export const REPORT_SCHEMA_VERSION = 1;
export const BUCKETS = 10;

/** The figures of one slice (overall, an intent, an action type). */
export interface Figures extends Counts {
  /** Cases in the slice (for an action type: cases with a proposal or a must of that type). */
  readonly cases: number;
  /** Proposals counted for calibration (true and false positives the policy did not drop). */
  readonly calibrated: number;
  /** Expected calibration error over 10 equal-width buckets, weighted by count (null: nothing to calibrate). */
  readonly ece: number | null;
  readonly precisionAtThreshold: {
    readonly threshold: number;
    readonly count: number;
    readonly precision: number | null;
  };
  readonly reliability: readonly ReliabilityBucket[];
}

export interface RunInfo {
  readonly recommender: string;
  readonly model: string | null;
  readonly mode: string;
  readonly policy: string;
  /** The confidence at and above which precision-at-threshold is measured. */
  readonly threshold: number;
  readonly filters: { readonly intent?: string; readonly tag?: string; readonly case?: string };
  readonly concurrency: number;
  readonly durationMs: number;
  /** Price per 1,000 tokens, when given. */
  readonly pricePer1kTokens: number | null;
}

export interface EvalReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly generatedAt: string;
  readonly run: RunInfo & {
    readonly tokens: { readonly prompt: number; readonly completion: number; readonly total: number } | null;
    readonly costUsd: number | null;
    /** Cases where the model failed and the rules answered. */
    readonly fallbacks: number;
  };
  readonly cases: {
    readonly total: number;
    readonly decided: number;
    readonly skipped: number;
    readonly errors: number;
  };
  readonly overall: Figures;
  readonly byIntent: Readonly<Record<string, Figures>>;
  readonly byActionType: Readonly<Record<string, Figures>>;
  readonly results: readonly CaseResult[];
}

function pointsOf(results: readonly CaseResult[]): {
  points: ScoredPoint[];
  missed: MissedPoint[];
  caught: CaughtPoint[];
} {
  const points: ScoredPoint[] = [];
  const missed: MissedPoint[] = [];
  const caught: CaughtPoint[] = [];
  for (const r of results) {
    for (const p of r.proposals) {
      points.push({ type: p.type, intent: r.intent, confidence: p.confidence, verdict: p.verdict, outcome: p.outcome });
    }
    for (const m of r.missed) missed.push({ type: m.type, intent: r.intent });
    for (const c of r.caughtMustNot ?? []) caught.push({ type: c.type, intent: r.intent });
  }
  return { points, missed, caught };
}

function figures(
  points: readonly ScoredPoint[],
  missed: readonly MissedPoint[],
  caught: readonly CaughtPoint[],
  cases: number,
  threshold: number,
): Figures {
  const calibration: CalibrationPoint[] = calibrationPoints(points);
  return {
    cases,
    ...counts(points, missed, caught),
    calibrated: calibration.length,
    ece: expectedCalibrationError(calibration, BUCKETS),
    precisionAtThreshold: precisionAtThreshold(calibration, threshold),
    reliability: reliability(calibration, BUCKETS),
  };
}

/** The report of a run. */
export function buildReport(results: readonly CaseResult[], run: RunInfo, now = new Date()): EvalReport {
  const { points, missed, caught } = pointsOf(results);
  const slice = (key: 'intent' | 'type') => {
    const values = [
      ...new Set([...points.map((p) => p[key]), ...missed.map((m) => m[key]), ...caught.map((c) => c[key])]),
    ].sort();
    return Object.fromEntries(
      values.map((value) => {
        const cases =
          key === 'intent'
            ? results.filter((r) => r.intent === value).length
            : results.filter(
                (r) =>
                  r.proposals.some((p) => p.type === value) ||
                  r.missed.some((m) => m.type === value) ||
                  (r.caughtMustNot ?? []).some((c) => c.type === value),
              ).length;
        return [
          value,
          figures(
            points.filter((p) => p[key] === value),
            missed.filter((m) => m[key] === value),
            caught.filter((c) => c[key] === value),
            cases,
            run.threshold,
          ),
        ];
      }),
    );
  };
  // Every intent of the run appears, even one whose cases proposed nothing.
  const byIntent = slice('intent');
  for (const intent of new Set(results.map((r) => r.intent))) {
    if (!byIntent[intent])
      byIntent[intent] = figures([], [], [], results.filter((r) => r.intent === intent).length, run.threshold);
  }
  const usages = results.flatMap((r) => (r.usage ? [r.usage] : []));
  const tokens =
    usages.length === 0
      ? null
      : {
          prompt: usages.reduce((s, u) => s + u.promptTokens, 0),
          completion: usages.reduce((s, u) => s + u.completionTokens, 0),
          total: usages.reduce((s, u) => s + u.totalTokens, 0),
        };
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    run: {
      ...run,
      tokens,
      costUsd: tokens && run.pricePer1kTokens !== null ? (tokens.total / 1000) * run.pricePer1kTokens : null,
      fallbacks: results.filter((r) => r.fallback !== undefined).length,
    },
    cases: {
      total: results.length,
      decided: results.filter((r) => r.status === 'decided').length,
      skipped: results.filter((r) => r.status === 'skipped').length,
      errors: results.filter((r) => r.status === 'error').length,
    },
    overall: figures(points, missed, caught, results.length, run.threshold),
    byIntent: Object.fromEntries(Object.entries(byIntent).sort(([a], [b]) => a.localeCompare(b))),
    byActionType: slice('type'),
    results,
  };
}

// ─── Terminal ───────────────────────────────────────────────────────────────────────────────────────────────────────

export const fmt = (n: number | null, digits = 2): string => (n === null ? '—' : n.toFixed(digits));
const pct = (n: number | null): string => (n === null ? '—' : `${(n * 100).toFixed(1)}%`);

/** Wrong proposals worth naming: violations first, then false positives decided `auto`. */
export function wrongOnes(report: EvalReport): { kind: 'violation' | 'wrong-auto'; case: string; text: string }[] {
  const out: { kind: 'violation' | 'wrong-auto'; case: string; text: string }[] = [];
  for (const r of report.results) {
    for (const p of r.proposals) {
      if (p.outcome === 'drop') continue;
      const what = `${p.type} ${describeParams(p.params, p.names)} (confidence ${p.confidence}, ${p.outcome})`;
      if (p.verdict === 'violation') out.push({ kind: 'violation', case: r.id, text: what });
      else if (p.verdict === 'fp' && p.outcome === 'auto') out.push({ kind: 'wrong-auto', case: r.id, text: what });
    }
  }
  return out.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'violation' ? -1 : 1));
}

export function describeParams(
  params: Readonly<Record<string, unknown>>,
  names: Readonly<Record<string, readonly string[]>>,
): string {
  return Object.entries(params)
    .filter(([key]) => key !== 'userId')
    .map(([key, value]) => `${key}=${names[key]?.[0] ?? String(value)}`)
    .join(' ');
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function sliceRows(slices: Readonly<Record<string, Figures>>, first: string): string[] {
  return table([
    [
      first,
      'cases',
      'precision',
      'recall',
      'must-not',
      'caught',
      'wrong auto',
      'prec@thr',
      'prec auto',
      'automation',
      'ECE',
    ],
    ...Object.entries(slices).map(([name, f]) => [
      name,
      String(f.cases),
      fmt(f.precision),
      fmt(f.recall),
      String(f.violations),
      String(f.mustNotCaughtByValidation),
      String(f.wrongAuto),
      fmt(f.precisionAtThreshold.precision),
      fmt(f.autoPrecision),
      pct(f.automationRate),
      fmt(f.ece, 3),
    ]),
  ]);
}

/** The terminal summary, as lines (must-not violations first: the number that matters most). */
export function summaryLines(report: EvalReport): string[] {
  const { overall: o, run, cases } = report;
  const lines: string[] = [];
  lines.push(
    `hookpilot eval: ${cases.total} case(s) (${cases.decided} decided, ${cases.skipped} skipped, ${cases.errors} error(s)) · ${run.recommender}${run.model ? ` (${run.model})` : ''} recommender · mode ${run.mode} · policy ${run.policy}`,
  );
  lines.push('');
  lines.push(
    `Must-not violations: ${o.violations}${o.violations > 0 ? ` (${o.violationsAuto} would have run automatically)` : ''}${o.droppedViolations > 0 ? `; ${o.droppedViolations} more proposed but dropped by the policy` : ''}`,
  );
  lines.push(
    `Must-not caught by validation: ${o.mustNotCaughtByValidation} (proposed, rejected by validation before the policy; not counted as violations)`,
  );
  lines.push(`Wrong automatic actions: ${o.wrongAuto} (false positives or violations the policy would have run)`);
  lines.push(
    `Precision: ${fmt(o.precision)} (${o.truePositives} right of ${o.truePositives + o.falsePositives})   Recall: ${fmt(o.recall)} (${o.truePositives} of ${o.truePositives + o.falseNegatives} musts)   acceptable (not counted): ${o.acceptable}`,
  );
  lines.push(
    `Precision at the auto threshold (confidence ≥ ${run.threshold}): ${fmt(o.precisionAtThreshold.precision)} (${o.precisionAtThreshold.count} proposals)   Automation rate: ${pct(o.automationRate)} (${o.decisions.auto} auto, ${o.decisions.approval} to a human, ${o.decisions.drop} dropped)`,
  );
  lines.push(
    `Precision of automatic actions (what the policy would run alone): ${fmt(o.autoPrecision)} (${o.rightAuto} right of ${o.rightAuto + o.wrongAuto})`,
  );
  lines.push(
    `Calibration: expected calibration error ${fmt(o.ece, 3)} (${BUCKETS} equal-width buckets, ${o.calibrated} proposals)`,
  );
  lines.push(
    ...table([
      ['confidence', 'count', 'mean confidence', 'observed precision'],
      ...o.reliability
        .filter((b) => b.count > 0)
        .map((b) => [
          `${b.from.toFixed(1)}–${b.to.toFixed(1)}`,
          String(b.count),
          fmt(b.meanConfidence),
          fmt(b.observedPrecision),
        ]),
    ]).map((l) => `  ${l}`),
  );
  lines.push('');
  lines.push('By intent:');
  lines.push(...sliceRows(report.byIntent, 'intent').map((l) => `  ${l}`));
  lines.push('By action type:');
  lines.push(...sliceRows(report.byActionType, 'action type').map((l) => `  ${l}`));
  const wrong = wrongOnes(report);
  if (wrong.length > 0) {
    lines.push('');
    lines.push('Wrong and would reach someone:');
    for (const w of wrong.slice(0, 30))
      lines.push(`  ${w.kind === 'violation' ? 'MUST-NOT' : 'auto FP '} ${w.case}: ${w.text}`);
    if (wrong.length > 30) lines.push(`  … and ${wrong.length - 30} more (see the JSON or HTML report)`);
  }
  const errors = report.results.filter((r) => r.status === 'error');
  if (errors.length > 0) {
    lines.push('');
    lines.push('Cases that could not be run:');
    for (const e of errors) lines.push(`  ${e.id} (${e.file}): ${e.reason}`);
  }
  lines.push('');
  const seconds = (run.durationMs / 1000).toFixed(1);
  const tokens = report.run.tokens
    ? `${report.run.tokens.total} tokens (${report.run.tokens.prompt} prompt, ${report.run.tokens.completion} completion)`
    : 'no tokens (no model was called)';
  const cost =
    report.run.costUsd !== null
      ? ` · cost $${report.run.costUsd.toFixed(4)} at $${run.pricePer1kTokens} per 1k tokens`
      : report.run.tokens
        ? ' · cost: give --price-per-1k to see it'
        : '';
  const fallbacks =
    report.run.fallbacks > 0 ? ` · the model failed in ${report.run.fallbacks} case(s): the rules answered` : '';
  lines.push(`Time: ${seconds} s (${run.concurrency} case(s) at once) · ${tokens}${cost}${fallbacks}`);
  return lines;
}
