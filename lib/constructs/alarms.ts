import { Duration, Stack } from 'aws-cdk-lib';
import type { IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { GUARD_ALERTS } from '../../lambda/policy/decide.ts';
import type { QueueId } from '../manifest.ts';
import { constructId, entriesOf } from './names.ts';

export interface AlarmsProps {
  /** Each queue's dead-letter queue (by manifest id): any message there is an event that was not processed. */
  readonly deadLetterQueues: Readonly<Record<QueueId, IQueue>>;
  /** The event hook receiver: its errors mean Okta deliveries are failing (Okta retries once, then drops them). */
  readonly receiver: IFunction;
  /** The API stage the hooks arrive on. */
  readonly stage: IHttpStage;
  /**
   * The events consumer's log group, where the approval-fatigue guard logs each action it drops (a model proposing what
   * its event cannot justify, or more approval requests than the caps allow).
   */
  readonly guardLogGroup: ILogGroup;
  /**
   * Where alarms (and their return to OK) are sent.
   *
   * @default - no action: the alarms are visible in the CloudWatch console only
   */
  readonly alarmTopic?: ITopic;
}

/** The metric the approval-fatigue guard's drops are counted in (namespace `Hookpilot/<stack name>`). */
export const GUARD_DROPS_METRIC = 'GuardDrops';

/**
 * The alarms that mean "an Okta event may be lost": a message in any dead-letter queue, the hook API answering 5xx, and
 * the receiver function failing; and the one that means "the model may be hostile": the approval-fatigue guard dropped
 * an action (out of its event's intent, or over an approval cap).
 */
export class Alarms extends Construct {
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const alarms: Alarm[] = [];
    for (const [queueId, dlq] of entriesOf(props.deadLetterQueues)) {
      alarms.push(
        new Alarm(this, `${constructId(queueId)}DlqNotEmpty`, {
          alarmDescription: `hookpilot: messages in the ${queueId} dead-letter queue were not processed after every retry. Inspect them, fix the cause, then redrive them.`,
          metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          threshold: 0,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    alarms.push(
      new Alarm(this, 'ApiServerErrors', {
        alarmDescription:
          'hookpilot: the hook API answered 5xx (for event hooks: a dependency failed and Okta will retry once).',
        metric: props.stage.metricServerError({ period: Duration.minutes(5) }),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'ReceiverErrors', {
        alarmDescription: 'hookpilot: the event hook receiver function failed (an unhandled error or a timeout).',
        metric: props.receiver.metricErrors({ period: Duration.minutes(5) }),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    alarms.push(this.guardAlarm(props.guardLogGroup));
    this.alarms = alarms;
    if (props.alarmTopic) this.notify(props.alarmTopic);
  }

  /** Counts the guard's warning lines (by their stable message keys) and alarms on any. */
  private guardAlarm(logGroup: ILogGroup): Alarm {
    const keys = [...new Set(Object.values(GUARD_ALERTS))].sort();
    const filter = new MetricFilter(this, 'GuardDropsFilter', {
      logGroup,
      filterPattern: FilterPattern.any(...keys.map((key) => FilterPattern.stringValue('$.message', '=', key))),
      metricNamespace: `Hookpilot/${Stack.of(this).stackName}`,
      metricName: GUARD_DROPS_METRIC,
      metricValue: '1',
    });
    return new Alarm(this, 'GuardDrops', {
      alarmDescription: `hookpilot: the approval-fatigue guard dropped proposed actions (${keys.join(', ')} in the events consumer's log): a model proposed what its event cannot justify, or more approval requests than the caps allow. Read those log lines and the decision.drop audit records (rules out-of-intent, cap-approvals-per-event, cap-approvals-per-user); a burst means a hostile or confused model.`,
      metric: filter.metric({ period: Duration.minutes(5), statistic: 'Sum' }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** Sends every alarm, and its return to OK, to `topic`. */
  notify(topic: ITopic): void {
    const action = new SnsAction(topic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
