import { describe, expect, it } from 'vitest';
import { parseSlackConfig, responseUrlAllowed } from '../../lambda/notify/slack/config.ts';

const TOKEN = 'xoxb-1234-5678-secretpart';

describe('the Slack settings', () => {
  it('defaults: the profile attribute slackUserId, Slack’s own API, interactivity off', () => {
    const config = parseSlackConfig({ botToken: TOKEN, approvalsChannel: 'C0123ABC' });
    expect(config).toEqual({
      botToken: TOKEN,
      approvalsChannel: 'C0123ABC',
      userAttribute: 'slackUserId',
      apiUrl: 'https://slack.com/api/',
    });
  });

  it('names each bad field and never echoes a value', () => {
    const attempt = () =>
      parseSlackConfig({
        botToken: 'xoxp-user-token-secretpart',
        approvalsChannel: '#approvals',
        apiUrl: 'http://evil.example/api/',
        interactivity: { enabled: true, signingSecrets: ['not hex secretpart'] },
      });
    expect(attempt).toThrow(/slack\.botToken: must be a Slack bot token/);
    expect(attempt).toThrow(/slack\.approvalsChannel: must be a Slack channel id/);
    expect(attempt).toThrow(/slack\.apiUrl: must be an https URL/);
    expect(attempt).toThrow(/slack\.interactivity\.signingSecrets\.0/);
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain('secretpart');
    }
  });

  it('needs somewhere to post', () => {
    expect(() => parseSlackConfig({ botToken: TOKEN })).toThrow(/approvalsChannel, outcomeChannel or both/);
  });

  it("response_url must be Slack's hooks host, or the stand-in when the API base is on loopback", () => {
    const real = parseSlackConfig({ botToken: TOKEN, outcomeChannel: 'C0123ABC' });
    expect(responseUrlAllowed('https://hooks.slack.com/actions/T1/2/abc', real)).toBe(true);
    expect(responseUrlAllowed('https://hooks.slack.com.evil.example/x', real)).toBe(false);
    expect(responseUrlAllowed('http://hooks.slack.com/actions/x', real)).toBe(false);
    expect(responseUrlAllowed('http://127.0.0.1:9999/response/1', real)).toBe(false);
    const local = parseSlackConfig({
      botToken: TOKEN,
      outcomeChannel: 'C0123ABC',
      apiUrl: 'http://127.0.0.1:9999/api/',
    });
    expect(responseUrlAllowed('http://127.0.0.1:9999/response/1', local)).toBe(true);
    expect(responseUrlAllowed('http://127.0.0.1:1/response/1', local)).toBe(false);
  });
});
