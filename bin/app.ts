import { App } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { appOptions } from '../lib/app-options.ts';
import { HookpilotStack } from '../lib/hookpilot-stack.ts';
import { addNagChecks } from '../lib/nag.ts';

/**
 * The CDK app: one environment-agnostic stack (synthesizes offline; deploys to the account and region of your AWS
 * credentials). Settings come from context, e.g. `npx cdk deploy -c logLevel=DEBUG -c alarmTopicArn=arn:aws:sns:…`
 * (see docs/deploy.md).
 */
const app = new App();
const options = appOptions((key) => app.node.tryGetContext(key));
const stack = new HookpilotStack(app, 'HookpilotStack', {
  logLevel: options.logLevel,
  logRetention: options.logRetention,
  apiThrottle: options.apiThrottle,
  eventHookAuthHeader: options.eventHookAuthHeader,
  oktaOrgUrl: options.oktaOrgUrl,
  oktaAllowCustomDomain: options.oktaAllowCustomDomain,
  policyFile: options.policyFile,
  calibrationFile: options.calibrationFile,
  mode: options.mode,
  model: options.model,
  approvalsIssuer: options.approvalsIssuer,
  approvalsAudience: options.approvalsAudience,
  consoleClientId: options.consoleClientId,
  consoleUrl: options.consoleUrl,
  inlineConfigFile: options.inlineConfigFile,
  inlineOAuth: options.inlineOAuth,
  notifications: options.notifications,
});
if (options.alarmTopicArn) stack.alarms.notify(Topic.fromTopicArn(stack, 'AlarmTopic', options.alarmTopicArn));
addNagChecks(app);
