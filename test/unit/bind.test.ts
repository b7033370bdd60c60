import { describe, expect, it } from 'vitest';
import { bindHost, exposureWarning, isLoopback, reachableUrl } from '../../local/bind.ts';

describe('the local stack’s listening address', () => {
  it('is 127.0.0.1 unless a flag or HOOKPILOT_HOST says otherwise; the flag wins', () => {
    expect(bindHost(undefined, {})).toBe('127.0.0.1');
    expect(bindHost(undefined, { HOOKPILOT_HOST: '  ' })).toBe('127.0.0.1');
    expect(bindHost(undefined, { HOOKPILOT_HOST: '0.0.0.0' })).toBe('0.0.0.0');
    expect(bindHost('::1', { HOOKPILOT_HOST: '0.0.0.0' })).toBe('::1');
  });

  it('must be an IP address, and says so naming the flag', () => {
    for (const bad of ['localhost', 'example.com', '0.0.0.0:80', '*']) {
      expect(() => bindHost(bad, {})).toThrow(/--host \(or HOOKPILOT_HOST\) must be an IP address/);
    }
  });

  it('tells loopback from everything else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '[::1]'])
      expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '::ffff:10.0.0.1', '128.0.0.1']) {
      expect(isLoopback(host)).toBe(false);
    }
  });

  it('reaches a wildcard on 127.0.0.1 and brackets IPv6', () => {
    expect(reachableUrl('0.0.0.0', 80)).toBe('http://127.0.0.1:80');
    expect(reachableUrl('::1', 80)).toBe('http://[::1]:80');
  });

  it('warns, in words, what opening the stack exposes', () => {
    expect(exposureWarning('0.0.0.0')).toMatch(/every network.*DynamoDB Local accepts any signature.*SQS emulator/);
  });
});
