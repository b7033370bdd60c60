import type { CfnElement } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { GUARD_ALERTS } from '../../lambda/policy/decide.ts';
import { GUARD_DROPS_METRIC } from '../../lib/constructs/alarms.ts';
import { cleanUp, synthStack } from './synth.ts';

/** The approval-fatigue guard's metric filter and alarm: any drop by the guard in the events consumer's log alarms. */
const { stack, template } = synthStack();
afterAll(cleanUp);

const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

describe('the guard alarm', () => {
  const filters = ofType('AWS::Logs::MetricFilter');

  it('counts every guard message key, and only those, in the events consumer’s log group', () => {
    expect(filters).toHaveLength(1);
    const props = filters[0]?.[1].Properties ?? {};
    expect(props.LogGroupName).toEqual({ Ref: logicalId(stack.logGroups.eventsConsumer as never) });
    const pattern = String(props.FilterPattern);
    const keys = [...new Set(Object.values(GUARD_ALERTS))];
    expect(keys.sort()).toEqual(['hookpilot.guard.approval_cap', 'hookpilot.guard.out_of_intent']);
    for (const key of keys) expect(pattern).toContain(`$.message = "${key}"`);
    expect(pattern.match(/\$\.message = /g)).toHaveLength(keys.length);
    expect(pattern).toMatch(/^\{ .*\|\|.* \}$/);
    expect(props.MetricTransformations).toEqual([
      { MetricNamespace: `Hookpilot/${stack.stackName}`, MetricName: GUARD_DROPS_METRIC, MetricValue: '1' },
    ]);
  });

  it('alarms on any guard drop in five minutes, and not on missing data', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties ?? {})
      .filter((a) => a.MetricName === GUARD_DROPS_METRIC);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Namespace: `Hookpilot/${stack.stackName}`,
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(String(alarms[0]?.AlarmDescription)).toMatch(/out-of-intent/);
    expect(stack.alarms.alarms.map((a) => logicalId(a))).toContain(
      ofType('AWS::CloudWatch::Alarm').find(([, r]) => r.Properties?.MetricName === GUARD_DROPS_METRIC)?.[0],
    );
  });
});
