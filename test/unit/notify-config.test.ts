import { describe, expect, it } from 'vitest';
import { createChannels } from '../../lambda/notify/channels.ts';
import { consoleBaseUrl, enabledChannels, parseNotifyConfig } from '../../lambda/notify/config.ts';
import type { ChannelStateStore } from '../../lambda/ports.ts';

const secret = (c: string) => `whsec_${Buffer.from(c.repeat(32)).toString('base64')}`;
const state: ChannelStateStore = { get: async () => undefined, put: async () => true };
const parse = (value: unknown) => parseNotifyConfig(JSON.stringify(value), 'HOOKPILOT_NOTIFY_CONFIG');

describe('notification settings', () => {
  it('builds one Teams channel for its audiences and one channel per webhook', () => {
    const config = parse({
      teams: {
        approvers: 'https://prod.example/workflows/a?sig=s1',
        outcome: 'https://prod.example/workflows/b?sig=s2',
      },
      webhooks: [
        { name: 'ops', url: 'https://ops.example/hook', secrets: [secret('a')] },
        { name: 'itsm', url: 'https://itsm.example/hook', secrets: [secret('b'), secret('c')], audiences: ['outcome'] },
      ],
    });
    const channels = createChannels(['teams', 'webhook'], config, { state });
    expect(channels.map((c) => [c.name, c.audiences])).toEqual([
      ['teams', ['approvers', 'outcome']],
      ['webhook:ops', ['approvers']],
      ['webhook:itsm', ['outcome']],
    ]);
  });

  it('refuses bad settings naming the field, never echoing a value (they are secrets)', () => {
    const attempt = (value: unknown) => {
      try {
        parse(value);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    const leaked = 'http://evil.example/hook?sig=TOPSECRET';
    const message = attempt({ teams: { approvers: leaked } });
    expect(message).toMatch(/teams\.approvers: must be an https URL/);
    expect(message).not.toContain('TOPSECRET');
    expect(attempt({ webhooks: [{ name: 'ops', url: 'https://x.example', secrets: ['hunter2'] }] })).toMatch(
      /webhooks\.0\.secrets\.0: must be whsec_/,
    );
    expect(attempt({ webhooks: [{ name: 'ops', url: 'https://x.example', secrets: [] }] })).toMatch(
      /webhooks\.0\.secrets/,
    );
    expect(attempt({ teams: {} })).toMatch(/give at least one of approvers, outcome, grantEnded/);
    expect(attempt({ teams: { approvers: 'https://a.example', typo: 1 } })).toMatch(/teams/);
    expect(
      attempt({
        webhooks: [
          { name: 'a', url: 'https://a.example', secrets: [secret('a')] },
          { name: 'a', url: 'https://b.example', secrets: [secret('b')] },
        ],
      }),
    ).toMatch(/webhook names must be unique/);
    expect(() => parseNotifyConfig('{', 'X')).toThrow('X is not JSON');
    expect(attempt({ teams: { approvers: 'http://127.0.0.1:9/teams' } })).toBe('accepted'); // the local receiver
  });

  it('a channel that is on without settings is a configuration error', () => {
    expect(() => createChannels(['teams'], {}, { state })).toThrow(/teams channel is on but has no settings/);
    expect(() => createChannels(['webhook'], { webhooks: [] }, { state })).toThrow(/webhook channel is on/);
  });

  it('reads the channel list and the console URL', () => {
    expect(enabledChannels('teams, webhook,teams')).toEqual(['teams', 'webhook']);
    expect(enabledChannels(undefined)).toEqual([]);
    expect(() => enabledChannels('teams,fax')).toThrow(/unknown channel "fax"/);
    expect(consoleBaseUrl('https://abc.execute-api.eu-west-1.amazonaws.com/')).toBe(
      'https://abc.execute-api.eu-west-1.amazonaws.com',
    );
    expect(() => consoleBaseUrl(undefined)).toThrow(/HOOKPILOT_CONSOLE_URL is not set/);
    // One parser with the console's sign-in: only the origin counts.
    expect(consoleBaseUrl('https://approvals.acme.example/some/path/')).toBe('https://approvals.acme.example');
    expect(consoleBaseUrl('http://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787');
    expect(() => consoleBaseUrl('http://hookpilot.example.com')).toThrow(
      'HOOKPILOT_CONSOLE_URL must be an https:// URL (http:// only on 127.0.0.1 or localhost)',
    );
    expect(() => consoleBaseUrl('approvals.acme.example')).toThrow(/HOOKPILOT_CONSOLE_URL must be a URL/);
  });
});
