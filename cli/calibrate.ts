import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { outcomeOf, readHumanDecisions } from '../eval/agreement.ts';
import {
  DEFAULT_MIN_SAMPLES,
  type FitMethod,
  fitCalibration,
  type Outcome,
  sparseTypes,
} from '../eval/calibration-fit.ts';
import { expectedCalibrationError } from '../eval/metrics.ts';
import { type Calibration, describeIdentity, type RecommenderIdentity } from '../lambda/domain/calibration.ts';
import { identityOf } from '../lambda/pipeline/process-event.ts';
import { calibrateConfidence } from '../lambda/policy/calibrate.ts';
import { ROOT } from '../lib/root.ts';
import { DEFAULT_AUDIT_LIMIT, DEFAULT_SINCE, parseSince } from './eval-from-audit.ts';
import { positiveInt } from './options.ts';
import { CliError, print, printJson } from './output.ts';
import { auditTarget, type TargetOptions, targetOptions } from './target.ts';

/**
 * `hookpilot calibrate`: fit a calibration — per action type, stated confidence → observed precision — from an eval
 * run (`hookpilot eval --out`), from the human decisions in an audit trail, or from decisions exported by
 * `hookpilot eval --from-audit --export-decisions`, and write it where the stack loads it (policy/calibration.json).
 * docs/evaluation.md.
 */

interface CalibrateFlags extends TargetOptions {
  fromEval?: string;
  fromAudit?: boolean;
  fromDecisions?: string;
  since?: string;
  limit?: number;
  out?: string;
  method: FitMethod;
  minSamples: number;
  pooled: boolean;
  model?: string;
  promptVersion?: string;
  json?: boolean;
}

const DEFAULT_OUT = 'policy/calibration.json';

/** What `calibrate` needs of an eval report (eval/report.ts): each case's recommender and its scored proposals. */
const EvalReportSchema = z.object({
  schemaVersion: z.literal(1),
  results: z.array(
    z.object({
      status: z.string(),
      recommender: z.string().optional(),
      model: z.string().optional(),
      promptVersion: z.string().optional(),
      proposals: z.array(
        z.object({ type: z.string(), confidence: z.number(), verdict: z.string(), outcome: z.string() }),
      ),
    }),
  ),
});

const DecisionLineSchema = z.object({
  type: z.string(),
  confidence: z.number(),
  verdict: z.enum(['approved', 'rejected', 'expired']),
  recommender: z.string(),
  model: z.string().optional(),
  promptVersion: z.string().optional(),
});

interface Sourced {
  readonly outcomes: (Outcome & { readonly identity: Partial<RecommenderIdentity> })[];
  readonly kind: Calibration['source']['kind'];
  readonly description: string;
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} ${path} is not JSON: ${(error as Error).message}`);
  }
}

/** The outcomes of an eval report: the proposals its calibration figures count (not dropped, not merely acceptable). */
function fromEvalReport(path: string): Sourced {
  const parsed = EvalReportSchema.safeParse(readJson(path, 'the eval report'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(
      `${path} is not a hookpilot eval report (eval-report.json): ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  const outcomes = parsed.data.results
    .filter((r) => r.status === 'decided')
    .flatMap((r) => {
      const identity = identityOf({
        recommender: r.recommender ?? 'rules',
        ...(r.model ? { model: r.model } : {}),
        ...(r.promptVersion ? { promptVersion: r.promptVersion } : {}),
      });
      return r.proposals
        .filter((p) => p.outcome !== 'drop' && p.verdict !== 'acceptable')
        .map((p) => ({ type: p.type, confidence: p.confidence, correct: p.verdict === 'tp', identity }));
    });
  return { outcomes, kind: 'eval', description: `eval report ${path}` };
}

function fromDecisionLines(path: string): Sourced {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the decisions ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const outcomes: Sourced['outcomes'] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new CliError(`${path} line ${i + 1} is not JSON`);
    }
    const d = DecisionLineSchema.safeParse(json);
    if (!d.success) {
      const issue = d.error.issues[0];
      throw new CliError(`${path} line ${i + 1}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
    }
    if (d.data.verdict === 'expired') continue;
    outcomes.push({
      type: d.data.type,
      confidence: d.data.confidence,
      correct: d.data.verdict === 'approved',
      identity: identityOf(d.data),
    });
  }
  return { outcomes, kind: 'audit', description: `human decisions exported to ${path}` };
}

async function fromAuditTrail(flags: CalibrateFlags): Promise<Sourced> {
  const to = new Date();
  let from: string;
  try {
    from = parseSince(flags.since ?? DEFAULT_SINCE, to);
  } catch (error) {
    throw new CliError(`--since: ${(error as Error).message}`);
  }
  const target = auditTarget(flags);
  let read: Awaited<ReturnType<typeof readHumanDecisions>>;
  try {
    read = await readHumanDecisions(target.log, {
      from,
      to: to.toISOString(),
      limit: flags.limit ?? DEFAULT_AUDIT_LIMIT,
    });
  } finally {
    target.close();
  }
  const outcomes = read.decisions
    .filter((d) => d.verdict !== 'expired')
    .map((d) => ({ ...outcomeOf(d), identity: identityOf(d) }));
  return {
    outcomes,
    kind: 'audit',
    description: `human decisions in ${target.where}, ${from} → ${to.toISOString()}`,
  };
}

const key = (id: Partial<RecommenderIdentity>) => `${id.model ?? '?'}\u0000${id.promptVersion ?? '?'}`;

/** The one recommender to fit for: the one named, else the only one in the data (several: the user must choose). */
function chooseIdentity(sourced: Sourced, flags: CalibrateFlags): RecommenderIdentity {
  const seen = new Map<string, { id: Partial<RecommenderIdentity>; count: number }>();
  for (const o of sourced.outcomes) {
    const entry = seen.get(key(o.identity)) ?? { id: o.identity, count: 0 };
    entry.count += 1;
    seen.set(key(o.identity), entry);
  }
  const list = [...seen.values()].map((e) => `${describeIdentity(e.id)} (${e.count})`).join(', ');
  if (flags.model || flags.promptVersion) {
    const match = [...seen.values()].filter(
      (e) =>
        (!flags.model || e.id.model === flags.model) &&
        (!flags.promptVersion || e.id.promptVersion === flags.promptVersion),
    );
    if (match.length !== 1 || !match[0]?.id.model || !match[0].id.promptVersion) {
      throw new CliError(
        `--model/--prompt-version must name exactly one recommender in the data; it holds: ${list || 'nothing'}`,
      );
    }
    return { model: match[0].id.model, promptVersion: match[0].id.promptVersion };
  }
  const only = [...seen.values()];
  if (only.length === 0) throw new CliError(`no outcomes to fit: ${sourced.description} holds no decided proposals`);
  if (only.length > 1) {
    throw new CliError(`the data mixes recommenders: ${list}; choose one with --model and --prompt-version`);
  }
  const id = only[0]?.id;
  if (!id?.model || !id.promptVersion) {
    throw new CliError(
      `the recommendations do not say their model and prompt version (${list}): a calibration needs both`,
    );
  }
  return { model: id.model, promptVersion: id.promptVersion };
}

async function run(flags: CalibrateFlags): Promise<void> {
  const sources = [flags.fromEval, flags.fromAudit, flags.fromDecisions].filter((s) => s !== undefined && s !== false);
  if (sources.length !== 1)
    throw new CliError('give one of --from-eval <eval-report.json>, --from-audit, --from-decisions <file>');
  const sourced = flags.fromEval
    ? fromEvalReport(flags.fromEval)
    : flags.fromDecisions
      ? fromDecisionLines(flags.fromDecisions)
      : await fromAuditTrail(flags);
  const fittedFor = chooseIdentity(sourced, flags);
  const outcomes = sourced.outcomes.filter((o) => key(o.identity) === key(fittedFor));
  const calibration = fitCalibration(outcomes, {
    fittedFor,
    method: flags.method,
    minSamples: flags.minSamples,
    pooled: flags.pooled,
    source: { kind: sourced.kind, description: sourced.description.slice(0, 500) },
  });
  const shown = flags.out ?? DEFAULT_OUT;
  const out = flags.out ? resolve(flags.out) : resolve(ROOT, DEFAULT_OUT);
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(calibration, null, 2)}\n`);
  } catch (error) {
    throw new CliError(`cannot write ${shown}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (flags.json) return printJson(calibration);

  // In-sample: how far the stated and the calibrated confidence are from what was observed.
  const mapped = outcomes.map((o) => ({
    confidence: calibrateConfidence(o.type, o.confidence, calibration, fittedFor).effective,
    correct: o.correct,
  }));
  const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));
  print(`Calibration for ${describeIdentity(fittedFor)}: ${outcomes.length} outcomes (${sourced.description})`);
  print(`  method ${calibration.method}; an action type needs ${calibration.minSamples} outcomes for its own mapping`);
  for (const [type, mapping] of Object.entries(calibration.byActionType)) {
    const points = mapping?.points.map((p) => `${p.confidence.toFixed(2)}→${p.precision.toFixed(2)}`).join(' ');
    print(`  ${type.padEnd(24)} ${String(mapping?.samples).padStart(5)} outcomes  ${points}`);
  }
  for (const s of sparseTypes(outcomes, calibration)) {
    print(
      `  ${s.type.padEnd(24)} ${String(s.samples).padStart(5)} outcomes  too few: ${calibration.pooled ? 'uses the pooled mapping' : 'stays uncalibrated (no pooled mapping)'}`,
    );
  }
  if (calibration.pooled)
    print(`  pooled (every type)      ${String(calibration.pooled.samples).padStart(5)} outcomes`);
  print(
    `  ECE on these outcomes: stated ${fmt(expectedCalibrationError(outcomes))}, calibrated ${fmt(expectedCalibrationError(mapped))} (in-sample: re-check with a fresh eval run)`,
  );
  print(
    `Written to ${shown}. The stack applies it to recommendations from ${describeIdentity(fittedFor)} only (local stack: restart npm start; AWS: deploy, -c calibrationFile=${shown}).`,
  );
}

export function calibrate(program: Command): void {
  const command = program
    .command('calibrate')
    .description(
      'Fit a calibration (per action type: stated confidence → observed precision) from an eval run or human decisions, for the policy to apply',
    )
    .option('--from-eval <file>', 'an eval report (hookpilot eval --out <dir> writes <dir>/eval-report.json)')
    .option(
      '--from-audit',
      'the human decisions on approval requests in the audit trail (approved = right, rejected = wrong)',
    )
    .option('--from-decisions <file>', 'decisions exported by hookpilot eval --from-audit --export-decisions <file>')
    .option('--since <when>', `with --from-audit: from this ISO time or this long ago (default ${DEFAULT_SINCE})`)
    .option(
      '--limit <n>',
      `with --from-audit: at most n audit records of the window (default ${DEFAULT_AUDIT_LIMIT})`,
      positiveInt(1_000_000),
    )
    .option(
      '--out <file>',
      `where to write it (default: ${DEFAULT_OUT} in the repository, which the local stack loads)`,
    )
    .addOption(
      new Option('--method <method>', 'isotonic regression or ten bins')
        .choices(['isotonic', 'binned'])
        .default('isotonic'),
    )
    .option(
      '--min-samples <n>',
      'outcomes an action type needs for a mapping of its own',
      positiveInt(100_000),
      DEFAULT_MIN_SAMPLES,
    )
    .option('--no-pooled', 'no pooled mapping: action types with too few outcomes stay uncalibrated')
    .option('--model <name>', 'fit for this model when the data holds several (rules for the rules recommender)')
    .option('--prompt-version <version>', 'fit for this prompt version when the data holds several')
    .option('--json', 'print the calibration document');
  targetOptions(command, 'table', 'region').action((flags: CalibrateFlags) => run(flags));
}
