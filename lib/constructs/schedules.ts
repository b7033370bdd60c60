import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionId, type FunctionSpec } from '../manifest.ts';
import { constructId, entriesOf } from './names.ts';

export interface SchedulesProps {
  /** The functions (by manifest id); those with a `schedule` in the manifest are invoked on it. */
  readonly functions: Readonly<Record<FunctionId, IFunction>>;
}

/**
 * An EventBridge rule per scheduled function of the manifest (the sweeper: every 5 minutes). The target allows
 * EventBridge (only this rule) to invoke the function; a failed invocation is retried twice, and anything missed is
 * picked up by the next run anyway: every scheduled function is idempotent over time.
 */
export class Schedules extends Construct {
  readonly rules: Readonly<Partial<Record<FunctionId, Rule>>>;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const rules: Partial<Record<FunctionId, Rule>> = {};
    for (const [functionId, spec] of entriesOf<FunctionId, FunctionSpec>(FUNCTIONS)) {
      if (!spec.schedule) continue;
      const every = Duration.minutes(spec.schedule.everyMinutes);
      rules[functionId] = new Rule(this, `${constructId(functionId)}Schedule`, {
        description: `hookpilot: runs the ${functionId} every ${spec.schedule.everyMinutes} minutes`,
        schedule: Schedule.rate(every),
        targets: [new LambdaFunction(props.functions[functionId], { retryAttempts: 2, maxEventAge: every })],
      });
    }
    this.rules = rules;
  }
}
