import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { renderHtml } from '../eval/html.ts';
import { type EvalReport, summaryLines } from '../eval/report.ts';
import { ScenarioError } from '../eval/scenario.ts';
import { INTENTS } from '../lambda/domain/intent.ts';
import { MODES, type Mode } from '../lambda/domain/policy-config.ts';
import { type FromAuditFlags, fromAudit, fromAuditOptions, readCalibrationOption } from './eval-from-audit.ts';
import { positiveInt } from './options.ts';
import { CliError, print, printJson } from './output.ts';

/**
 * `hookpilot eval`: runs the labelled scenario set (eval/scenarios) through the real pipeline — an Okta simulator per
 * case, the context builder, the rules or a model, validation and the policy — and reports precision, recall, must-not
 * violations, calibration and the automation rate. docs/evaluation.md explains every figure.
 */

interface EvalFlags {
  recommender: 'rules' | 'llm';
  baseUrl?: string;
  model?: string;
  policy?: string;
  mode?: Mode;
  threshold?: number;
  scenarios?: string;
  intent: string[];
  tag: string[];
  case: string[];
  concurrency: number;
  pricePer1k?: number;
  out?: string;
  json?: boolean;
  failOnViolations?: boolean;
  calibration?: string;
}

const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

const confidence = (value: string): number => {
  const n = Number(value);
  if (!/^\s*\d*\.?\d+\s*$/.test(value) || !(n >= 0 && n <= 1))
    throw new InvalidArgumentError('expected a number from 0 to 1');
  return n;
};

const price = (value: string): number => {
  const n = Number(value);
  if (!/^\s*\d*\.?\d+\s*$/.test(value) || !Number.isFinite(n))
    throw new InvalidArgumentError('expected a price in dollars, e.g. 0.0004');
  return n;
};

/** The harness brings the Okta SDK and the model client: loaded only when `eval` runs (the CLI stays light). */
async function loadRunner(): Promise<typeof import('../eval/run.ts')> {
  const url = new URL('../eval/run.ts', import.meta.url).href;
  return (await import(url)) as typeof import('../eval/run.ts');
}

/** Progress on stderr: a counter on a terminal, a line every `every` cases otherwise. */
function progress(total: number): (done: number, id: string) => void {
  const tty = process.stderr.isTTY === true;
  const every = Math.max(1, Math.min(25, Math.ceil(total / 10)));
  return (done, id) => {
    if (tty) {
      process.stderr.write(`\r\x1b[K  ${done}/${total} ${id.slice(0, 60)}`);
      if (done === total) process.stderr.write('\r\x1b[K');
    } else if (done % every === 0 || done === total) {
      process.stderr.write(`  ${done}/${total} cases\n`);
    }
  };
}

/**
 * `mkdir -p`, one level at a time: Node's own recursive mkdir never returns for some paths (under /proc, e.g.), and a
 * CLI must not hang on a mistyped --out.
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const path of missing) mkdirSync(path);
}

async function run(flags: EvalFlags): Promise<void> {
  const runner = await loadRunner();
  const recommender = flags.baseUrl || flags.model ? 'llm' : flags.recommender;
  let tick: ((done: number, id: string) => void) | undefined;
  let report: EvalReport;
  try {
    report = await runner.runEval({
      recommender,
      ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}),
      ...(flags.model ? { model: flags.model } : {}),
      ...(flags.policy ? { policy: flags.policy } : {}),
      ...(flags.mode ? { mode: flags.mode } : {}),
      ...(flags.threshold !== undefined ? { threshold: flags.threshold } : {}),
      ...(flags.scenarios ? { scenarios: flags.scenarios } : {}),
      intent: flags.intent,
      tag: flags.tag,
      case: flags.case,
      concurrency: flags.concurrency,
      ...(flags.pricePer1k !== undefined ? { pricePer1k: flags.pricePer1k } : {}),
      ...(flags.calibration ? { calibration: readCalibrationOption(flags.calibration).calibration } : {}),
      onStart: (info) => {
        process.stderr.write(
          `hookpilot eval: ${info.cases} case(s), ${info.recommender} recommender, mode ${info.mode}, ${flags.concurrency} at once\n`,
        );
        tick = progress(info.cases);
      },
      onCase: (result, done) => tick?.(done, result.id),
    });
  } catch (error) {
    if (error instanceof ScenarioError) {
      // Every broken file, one per line (the error is about the user's files, not hookpilot).
      throw new CliError(`${error.message.split('\n').join(' | ')}`);
    }
    if (error instanceof runner.EvalUsageError) throw new CliError(error.message);
    throw error;
  }
  // The figures first: a report that cannot be written loses nothing that was printed.
  if (flags.json) printJson(report);
  else for (const line of summaryLines(report)) print(line);
  if (flags.out) {
    const dir = resolve(flags.out);
    try {
      makeDirectory(dir);
      writeFileSync(join(dir, 'eval-report.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(join(dir, 'eval-report.html'), renderHtml(report));
    } catch (error) {
      throw new CliError(
        `cannot write the report to ${flags.out}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    if (!flags.json) print(`Reports: ${join(flags.out, 'eval-report.json')}, ${join(flags.out, 'eval-report.html')}`);
  }
  if (report.cases.errors > 0) {
    throw new CliError(`${report.cases.errors} case(s) could not be run (listed above)`);
  }
  if (flags.failOnViolations && report.overall.violations > 0) {
    throw new CliError(`${report.overall.violations} must-not violation(s) (--fail-on-violations)`);
  }
}

export function evalCommand(program: Command): void {
  const command = program
    .command('eval')
    .description(
      'Run the labelled scenarios (eval/scenarios) through the pipeline and report precision, recall, must-not violations, calibration and the automation rate',
    )
    .addOption(
      new Option('--recommender <name>', 'rules, or llm (the model the stack is configured with)')
        .choices(['rules', 'llm'])
        .default('rules'),
    )
    .option('--base-url <url>', 'an OpenAI-compatible endpoint (implies --recommender llm; else OPENAI_BASE_URL)')
    .option('--model <name>', 'the model (implies --recommender llm; else HOOKPILOT_MODEL)')
    .option('--policy <file>', 'the policy file (default: HOOKPILOT_POLICY_FILE, else policy/hookpilot.policy.json)')
    .addOption(
      new Option(
        '--mode <mode>',
        'the mode the policy decides in (default: autonomous, to see what would run)',
      ).choices(MODES),
    )
    .option(
      '--threshold <confidence>',
      'precision-at-threshold cut-off (default: the lowest automatic threshold in the policy)',
      confidence,
    )
    .option('--scenarios <dir>', 'the scenario folder (default: eval/scenarios)')
    .option('--intent <intent...>', `only these intents (${INTENTS.join(', ')}; repeat or comma-separate)`, list, [])
    .option('--tag <tag...>', 'only cases with one of these tags', list, [])
    .option('--case <id...>', 'only these cases (by id)', list, [])
    .option('--concurrency <n>', 'cases run at once (each has its own Okta simulator)', positiveInt(16), 4)
    .option('--price-per-1k <usd>', 'price per 1,000 tokens, to print the cost of a model run', price)
    .option('--out <dir>', 'write eval-report.json and eval-report.html there')
    .option('--json', 'print the report as JSON (the same document as eval-report.json)')
    .option('--fail-on-violations', 'exit with status 1 when any must-not is proposed (for CI)');
  // `--from-audit`: shadow agreement with the human approvers instead of the scenarios (cli/eval-from-audit.ts).
  fromAuditOptions(command).action(async (flags: EvalFlags & FromAuditFlags) => {
    if (flags.fromAudit) return fromAudit(flags);
    const unknown = flags.intent.filter((i) => !(INTENTS as readonly string[]).includes(i));
    if (unknown.length > 0) throw new CliError(`--intent: ${unknown.join(', ')} is not one of ${INTENTS.join(', ')}`);
    await run(flags);
  });
}
