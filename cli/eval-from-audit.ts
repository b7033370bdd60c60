import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { agreementLines, agreementReport, readHumanDecisions } from '../eval/agreement.ts';
import { CALIBRATION_ENV, type Calibration, loadCalibration, parseCalibration } from '../lambda/domain/calibration.ts';
import { ROOT } from '../lib/root.ts';
import { positiveInt } from './options.ts';
import { CliError, print, printJson } from './output.ts';
import { auditTarget, type TargetOptions, targetOptions } from './target.ts';

/**
 * `hookpilot eval --from-audit`: shadow agreement between the recommender and the human approvers, read from an audit
 * trail (the running local stack's, or a deployed table with `--table`/`--region`). See docs/evaluation.md.
 */

export interface FromAuditFlags extends TargetOptions {
  fromAudit?: boolean;
  since?: string;
  limit?: number;
  policy?: string;
  calibration?: string;
  exportDecisions?: string;
  json?: boolean;
}

export const DEFAULT_SINCE = '7d';
export const DEFAULT_AUDIT_LIMIT = 100_000;
const MAX_AUDIT_LIMIT = 1_000_000;

/** `--since`: an ISO-8601 instant, or a duration back from now (`90m`, `24h`, `7d`). */
export function parseSince(value: string, now = new Date()): string {
  const relative = /^(\d{1,5})([mhd])$/.exec(value.trim());
  if (relative) {
    const n = Number(relative[1]);
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(now.getTime() - n * unit).toISOString();
  }
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim()) || Number.isNaN(at)) {
    throw new InvalidArgumentError(
      'expected an ISO-8601 time (2026-11-01 or 2026-11-01T09:00:00Z) or a duration (90m, 24h, 7d)',
    );
  }
  if (at > now.getTime()) throw new InvalidArgumentError('must not be in the future');
  return new Date(at).toISOString();
}

/** Adds the `--from-audit` options to `hookpilot eval` (eval's own `--policy` and `--json` are shared). */
export function fromAuditOptions(command: Command): Command {
  command
    .option('--from-audit', 'shadow agreement: compare the recommender with the human approvers in the audit trail')
    .option(
      '--since <when>',
      `with --from-audit: from this ISO time or this long ago (90m, 24h, 7d; default ${DEFAULT_SINCE})`,
    )
    .option(
      '--limit <n>',
      `with --from-audit: read at most n audit records of the window, newest first (default ${DEFAULT_AUDIT_LIMIT})`,
      positiveInt(MAX_AUDIT_LIMIT),
    )
    .option(
      '--calibration <file>',
      `a calibration for the policy to apply (hookpilot calibrate); with --from-audit the default is the stack's (${CALIBRATION_ENV.file}, else the JSON in ${CALIBRATION_ENV.json}, else policy/calibration.json when it exists), for the scenarios none`,
    )
    .option(
      '--export-decisions <file>',
      'with --from-audit: also write the joined decisions as JSON lines (calibration input)',
    );
  return targetOptions(command, 'table', 'region');
}

/**
 * The calibration to apply: `--calibration`, else the stack's own (`loadCalibration`: HOOKPILOT_CALIBRATION_FILE, else
 * the inline JSON in HOOKPILOT_CALIBRATION), else policy/calibration.json if present — so the CLI and the stack apply
 * the same calibration.
 */
export function readCalibrationOption(file: string | undefined): { calibration?: Calibration; source: string } {
  if (!file && (process.env[CALIBRATION_ENV.file]?.trim() || process.env[CALIBRATION_ENV.json]?.trim())) {
    try {
      const calibration = loadCalibration();
      const source = process.env[CALIBRATION_ENV.file]?.trim() || CALIBRATION_ENV.json;
      return calibration ? { calibration, source } : { source: 'none' };
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  }
  const path =
    file ??
    (existsSync(resolve(ROOT, 'policy', 'calibration.json')) ? resolve(ROOT, 'policy', 'calibration.json') : undefined);
  if (!path) return { source: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read the calibration ${path}: ${code ?? 'not JSON'}`);
  }
  try {
    return { calibration: parseCalibration(json, path), source: path };
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

export async function fromAudit(flags: FromAuditFlags): Promise<void> {
  const to = new Date();
  let from: string;
  try {
    from = parseSince(flags.since ?? DEFAULT_SINCE, to);
  } catch (error) {
    throw new CliError(`--since: ${(error as Error).message}`);
  }
  // The policy reader of `hookpilot eval` (its module brings the harness: loaded only now).
  const { readPolicy, EvalUsageError } = (await import(
    new URL('../eval/run.ts', import.meta.url).href
  )) as typeof import('../eval/run.ts');
  let policy: ReturnType<typeof readPolicy>;
  try {
    policy = readPolicy(flags.policy);
  } catch (error) {
    if (error instanceof EvalUsageError) throw new CliError(error.message);
    throw error;
  }
  const { calibration } = readCalibrationOption(flags.calibration);
  const target = auditTarget(flags);
  const window = { from, to: to.toISOString() };
  let read: Awaited<ReturnType<typeof readHumanDecisions>>;
  try {
    read = await readHumanDecisions(target.log, { ...window, limit: flags.limit ?? DEFAULT_AUDIT_LIMIT });
  } finally {
    target.close();
  }
  const report = agreementReport(read, {
    policy: policy.policy,
    ...(calibration ? { calibration } : {}),
    window,
    source: target.where,
  });
  if (flags.exportDecisions) {
    try {
      writeFileSync(flags.exportDecisions, report.decisions.map((d) => `${JSON.stringify(d)}\n`).join(''));
    } catch (error) {
      throw new CliError(`cannot write ${flags.exportDecisions}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (flags.json) return printJson(report);
  for (const line of agreementLines(report)) print(line);
  if (flags.exportDecisions)
    print(`Decisions: ${flags.exportDecisions} (hookpilot calibrate --from-decisions reads it)`);
}
