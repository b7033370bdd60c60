import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { appOptions } from '../../lib/app-options.ts';

const from = (context: Record<string, unknown>) => appOptions((key) => context[key]);

describe('app context options', () => {
  it('leaves everything to the stack defaults when no context is given', () => {
    expect(from({})).toEqual({
      logLevel: undefined,
      logRetention: undefined,
      alarmTopicArn: undefined,
      apiThrottle: undefined,
      eventHookAuthHeader: undefined,
      oktaOrgUrl: undefined,
      oktaAllowCustomDomain: false,
      policyFile: undefined,
      mode: undefined,
      model: undefined,
    });
  });

  it('reads -c strings and cdk.json values alike', () => {
    expect(
      from({
        logLevel: 'debug',
        logRetentionDays: '90',
        alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-alarms',
        apiRateLimit: 20,
        eventHookAuthHeader: 'X-Hookpilot-Secret',
        oktaOrgUrl: 'https://acme.okta.com',
        oktaAllowCustomDomain: 'true',
        policyFile: 'policy/strict.json',
        mode: 'autonomous',
        model: 'gpt-test',
        openaiBaseUrl: 'https://llm.example/v1',
      }),
    ).toEqual({
      logLevel: 'DEBUG',
      logRetention: RetentionDays.THREE_MONTHS,
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-alarms',
      apiThrottle: { rateLimit: 20, burstLimit: 200 },
      eventHookAuthHeader: 'X-Hookpilot-Secret',
      oktaOrgUrl: 'https://acme.okta.com',
      oktaAllowCustomDomain: true,
      policyFile: 'policy/strict.json',
      mode: 'autonomous',
      model: { name: 'gpt-test', baseUrl: 'https://llm.example/v1' },
    });
  });

  it('rejects values that would deploy something unintended, naming the key', () => {
    expect(() => from({ logLevel: 'LOUD' })).toThrow(/logLevel must be one of DEBUG, INFO, WARN, ERROR/);
    expect(() => from({ logRetentionDays: '31' })).toThrow(/logRetentionDays must be one of .*30, 60, 90/);
    expect(() => from({ alarmTopicArn: 'ops-alarms' })).toThrow(/alarmTopicArn must be an SNS topic ARN/);
    expect(() => from({ apiBurstLimit: '-1' })).toThrow(/apiBurstLimit must be a whole number above 0/);
    expect(() => from({ mode: 'yolo' })).toThrow(/mode must be one of observe, assisted, autonomous/);
    expect(() => from({ notifications: 'teams,pager' })).toThrow(
      /notifications must list channels among teams, webhook, slack \(got "pager"\)/,
    );
  });

  it('turns notifications on for the channels listed (each once), and leaves them off otherwise', () => {
    expect(from({ notifications: 'teams, webhook,teams' }).notifications).toEqual({ channels: ['teams', 'webhook'] });
    expect(from({ notifications: '' }).notifications).toBeUndefined();
  });
});
