import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/errors.ts';
import { matchRoute } from '../../lambda/pipeline/deliver-otp.ts';
import { parseTelephonyConfig } from '../../lambda/telephony/config.ts';

const base = {
  providers: {
    gw: { type: 'gateway', url: 'https://sms.example.com/send', authHeader: { name: 'x-key', value: 'hunter22-key' } },
  },
  routes: [
    { prefix: '', providers: ['gw'] },
    { prefix: '+1', providers: ['gw'] },
    { prefix: '+1809', providers: [] },
  ],
};

describe('telephony configuration', () => {
  it('fills defaults (body template, id field, limits, attempt timeout)', () => {
    const config = parseTelephonyConfig(JSON.stringify(base), 'X');
    expect(config.providers.gw).toMatchObject({ idField: 'id', bodyTemplate: { to: '{{to}}', text: '{{text}}' } });
    expect(config.limits.perNumber).toEqual({ limit: 5, windowSeconds: 3600 });
    expect(config.attemptTimeoutMs).toBe(1200);
  });

  it('routes by the longest prefix', () => {
    const config = parseTelephonyConfig(JSON.stringify(base), 'X');
    expect(matchRoute(config, '+18095551234')?.prefix).toBe('+1809');
    expect(matchRoute(config, '+14155550142')?.prefix).toBe('+1');
    expect(matchRoute(config, '+447700900123')?.prefix).toBe('');
  });

  it('refuses plain http off the loopback, unknown providers and bad JSON — naming the field, never a credential', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...base, providers: { gw: { ...base.providers.gw, url: 'http://sms.example.com' } } }, /providers\.gw\.url/],
      [{ ...base, routes: [{ prefix: '+1', providers: ['nope'] }] }, /unknown provider "nope"/],
      [{ ...base, providers: { gw: { type: 'pigeon' } } }, /providers\.gw/],
    ];
    for (const [raw, message] of cases) {
      expect(() => parseTelephonyConfig(JSON.stringify(raw), 'HOOKPILOT_TELEPHONY_CONFIG')).toThrow(message);
      try {
        parseTelephonyConfig(JSON.stringify(raw), 'X');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).not.toContain('hunter22-key');
      }
    }
    expect(() => parseTelephonyConfig('{', 'X')).toThrow('X is not JSON');
    expect(
      parseTelephonyConfig(
        JSON.stringify({ ...base, providers: { gw: { ...base.providers.gw, url: 'http://127.0.0.1:9/x' } } }),
        'X',
      ),
    ).toBeDefined();
  });
});
