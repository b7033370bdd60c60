import { Duration } from 'aws-cdk-lib';
import type { IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueId } from '../manifest.ts';
import { constructId, entriesOf } from './names.ts';

export interface AlarmsProps {
  /** Each queue's dead-letter queue (by manifest id): any message there is an event that was not processed. */
  readonly deadLetterQueues: Readonly<Record<QueueId, IQueue>>;
  /** The event hook receiver: its errors mean Okta deliveries are failing (Okta retries once, then drops them). */
  readonly receiver: IFunction;
  /** The scheduled sweeper: its errors mean approvals are not expiring (or being published) on time. */
  readonly sweeper: IFunction;
  /** The API stage the hooks arrive on. */
  readonly stage: IHttpStage;
  /**
   * Where alarms (and their return to OK) are sent.
   *
   * @default - no action: the alarms are visible in the CloudWatch console only
   */
  readonly alarmTopic?: ITopic;
}

/**
 * The alarms that mean "an Okta event may be lost": a message in any dead-letter queue, the hook API answering 5xx, and
 * the receiver function failing.
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
    alarms.push(
      new Alarm(this, 'SweeperErrors', {
        alarmDescription:
          'hookpilot: the sweeper failed (twice in a row): pending approvals may not expire, remind or escalate on time, and approval events may wait in the outbox. The logs name the failing step.',
        metric: props.sweeper.metricErrors({ period: Duration.minutes(5) }),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 0,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.alarms = alarms;
    if (props.alarmTopic) this.notify(props.alarmTopic);
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
