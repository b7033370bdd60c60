import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Acknowledgment, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { HookpilotStack } from '../../lib/hookpilot-stack.ts';
import { addNagChecks } from '../../lib/nag.ts';
import { cleanUp, testApp } from './synth.ts';

afterAll(cleanUp);
afterEach(() => {
  vi.restoreAllMocks();
});

interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
  readonly description: string;
}

/** Every AwsSolutions finding (errors and warnings) that no acknowledgement covers, one per resource. */
function findings(scope: IConstruct): Finding[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => ({
      rule: v.ruleName,
      severity: v.severity ?? 'unknown',
      path: r.constructPath ?? '?',
      description: v.description,
    })),
  );
}

const describeFindings = (list: readonly Finding[]) =>
  list.map((f) => `  [${f.severity}] ${f.rule} at ${f.path}\n      ${f.description}`).join('\n');

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged error or warning', () => {
    const app = testApp();
    new HookpilotStack(app, 'HookpilotStack');
    app.synth();
    const found = findings(app);
    expect(found, `unacknowledged cdk-nag findings:\n${describeFindings(found)}`).toEqual([]);
    // The first synth of the file bundles every function (ten of them, with the inline hooks) on a shared machine.
  }, 120_000);

  it('runs as a synthesis plugin the way bin/app.ts applies it, and the report it writes is clean', () => {
    const app = testApp();
    new HookpilotStack(app, 'HookpilotStack');
    addNagChecks(app);
    // An unacknowledged error makes synthesis throw here (the message lists the findings).
    const assembly = app.synth();
    const reportFile = join(assembly.directory, 'validation-report.json');
    expect(existsSync(reportFile)).toBe(true);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      pluginReports: { pluginName: string; violations?: unknown[] }[];
    };
    const violations = report.pluginReports.flatMap((p) => p.violations ?? []);
    expect(violations, JSON.stringify(report, null, 2)).toEqual([]);
  });

  it('(control) reports a resource that breaks a rule, and the plugin fails synthesis for it', () => {
    const app = testApp();
    const stack = new HookpilotStack(app, 'HookpilotStack');
    new Queue(stack, 'Unprotected'); // no DLQ, no TLS-only policy
    const rules = findings(app)
      .filter((f) => f.path.startsWith('HookpilotStack/Unprotected/'))
      .map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});

describe('acknowledgements', () => {
  interface Recorded {
    readonly path: string;
    readonly rule: Acknowledgment;
  }

  /** Builds the stack with `acknowledge` recorded instead of applied, and returns what was acknowledged where. */
  function withoutAcknowledgements(): { acknowledged: Recorded[]; found: Finding[] } {
    const acknowledged: Recorded[] = [];
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
      this: Validations,
      ...rules: Acknowledgment[]
    ) {
      // `scope` is private in the type; it is the construct `Validations.of(...)` was called on.
      const scope = (this as unknown as { scope: IConstruct }).scope;
      for (const rule of rules) acknowledged.push({ path: scope.node.path, rule });
    });
    const app = testApp();
    new HookpilotStack(app, 'HookpilotStack');
    app.synth();
    return { acknowledged, found: findings(app) };
  }

  it('are each needed: without them, nag reports exactly the acknowledged findings, on those constructs', () => {
    const { acknowledged, found } = withoutAcknowledgements();
    expect(acknowledged.length).toBeGreaterThan(0);
    const covers = (a: Recorded, f: Finding) =>
      a.rule.id === f.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`));
    const uncovered = found.filter((f) => !acknowledged.some((a) => covers(a, f)));
    expect(uncovered, `findings nobody acknowledged:\n${describeFindings(uncovered)}`).toEqual([]);
    const unused = acknowledged.filter((a) => !found.some((f) => covers(a, f)));
    expect(
      unused.map((a) => `${a.rule.id} at ${a.path}`),
      'acknowledgements that match no finding (remove them)',
    ).toEqual([]);
  });

  it('each carry a written reason', () => {
    const { acknowledged } = withoutAcknowledgements();
    for (const { path, rule } of acknowledged) {
      expect(rule.reason.length, `${rule.id} at ${path}`).toBeGreaterThan(60);
    }
    console.log(
      `cdk-nag acknowledgements:\n${acknowledged.map((a) => `  ${a.rule.id} at ${a.path}: ${a.rule.reason}`).join('\n')}`,
    );
  });
});
