import { isDeepStrictEqual } from 'node:util';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HookpilotStack } from '../../lib/hookpilot-stack.ts';
import { FUNCTIONS } from '../../lib/manifest.ts';
import { cleanUp, synthStack } from './synth.ts';

/** The approvals parts of the stack: table, approval queue, the sweeper's schedule, grants and alarm. */
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

let stack: HookpilotStack;
let resources: Record<string, CfnResource>;

beforeAll(() => {
  const synth = synthStack();
  stack = synth.stack;
  resources = synth.template.toJSON().Resources as Record<string, CfnResource>;
});
afterAll(cleanUp);

const resourceOf = (construct: IConstruct): CfnResource => {
  const resource = resources[stack.getLogicalId(construct.node.defaultChild as CfnElement)];
  if (!resource) throw new Error(`no resource for ${construct.node.path}`);
  return resource;
};
const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
const resolved = (value: unknown) => JSON.stringify(stack.resolve(value));

describe('the approvals table', () => {
  it('is encrypted, has point-in-time recovery, is retained and protected from deletion (the decision history)', () => {
    const table = resourceOf(stack.tables.approvalsTable);
    expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
  });
});

describe('the approval queue', () => {
  it('is encrypted, enforces TLS, has a DLQ, and its ARN and URL are outputs for your consumers', () => {
    const queue = resourceOf(stack.queues.approvalQueue);
    expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
    expect(queue.Properties?.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
    expect(resourceOf(stack.deadLetterQueues.approvalQueue).Properties?.SqsManagedSseEnabled).toBe(true);
    const outputs = stack.node.findAll().filter((c) => c.node.id.startsWith('ApprovalQueue'));
    expect(outputs.map((o) => o.node.id)).toEqual(
      expect.arrayContaining(['ApprovalQueueArn', 'ApprovalQueueUrl', 'ApprovalQueueDlqUrl']),
    );
  });

  it('only the functions that publish approval events may send to it, and none may read it', () => {
    const arn = resolved(stack.queues.approvalQueue.queueArn);
    type Statement = { Action: string | string[]; Resource: unknown };
    const statements = ofType('AWS::IAM::Policy').flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
    );
    const onQueue = statements.filter((s) => JSON.stringify(s.Resource).includes(arn.slice(1, -1)));
    const actions = new Set(onQueue.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
    expect([...actions].sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    const senders = Object.entries(FUNCTIONS)
      .filter(([, spec]) => 'approvalQueue' in spec.uses)
      .map(([id]) => id);
    expect(senders.sort()).toEqual([
      'approvalsApi',
      'console',
      'eventsConsumer',
      'executor',
      'slackInteractivity',
      'sweeper',
    ]);
  });
});

describe('the sweeper', () => {
  it('runs every 5 minutes on an EventBridge rule that may invoke only the sweeper', () => {
    const rules = ofType('AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const rule = rules[0]?.Properties ?? {};
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.State).toBe('ENABLED');
    const targets = rule.Targets as { Arn: unknown; RetryPolicy?: unknown }[];
    expect(targets.map((t) => JSON.stringify(t.Arn))).toEqual([resolved(stack.functions.sweeper.functionArn)]);
    expect(targets[0]?.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 });
    const permissions = ofType('AWS::Lambda::Permission').filter(
      (p) => p.Properties?.Principal === 'events.amazonaws.com',
    );
    expect(permissions).toHaveLength(1);
    expect(JSON.stringify(permissions[0]?.Properties?.FunctionName)).toBe(
      resolved(stack.functions.sweeper.functionArn),
    );
  });

  it('has an alarm on its errors', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(
      (a) =>
        a.Properties?.MetricName === 'Errors' &&
        isDeepStrictEqual(a.Properties?.Dimensions, [
          { Name: 'FunctionName', Value: stack.resolve(stack.functions.sweeper.functionName) },
        ]),
    );
    expect(alarms).toHaveLength(1);
  });
});
