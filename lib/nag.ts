import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Runs the cdk-nag AwsSolutions rules on every stack of `app` at synthesis (cdk-nag 3: a CDK validation plugin). An
 * unacknowledged error fails `cdk synth`; warnings are printed. Acknowledgements live next to the resource they concern,
 * each with its reason (`Validations.of(construct).acknowledge(...)`).
 */
export function addNagChecks(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(checks);
  return checks;
}
