import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/errors.ts';
import { validateOrgUrl } from '../../lambda/okta/okta-config.ts';

describe('validateOrgUrl', () => {
  it.each([
    ['https://acme.okta.com', 'https://acme.okta.com'],
    ['https://acme.okta.com/', 'https://acme.okta.com'],
    ['https://acme.oktapreview.com', 'https://acme.oktapreview.com'],
    ['https://acme.okta-emea.com', 'https://acme.okta-emea.com'],
  ])('accepts %s', (raw, origin) => {
    expect(validateOrgUrl(raw)).toBe(origin);
  });

  it.each([
    ['acme.okta.com', /is not a URL/],
    ['http://acme.okta.com', /must use https/],
    ['http://127.0.0.1:8790', /must use https .*HOOKPILOT_OKTA_ALLOW_HTTP=true/],
    ['https://acme.okta.com/api/v1', /base URL only/],
    ['https://user:pass@acme.okta.com', /base URL only/],
    ['https://acme-admin.okta.com', /admin console host/],
    ['https://okta.attacker.example', /is not an Okta domain.*HOOKPILOT_OKTA_ALLOW_CUSTOM_DOMAIN=true/],
    ['https://acme.okta.com.attacker.example', /is not an Okta domain/],
  ])('refuses %s before any token is sent to it', (raw, message) => {
    expect(() => validateOrgUrl(raw)).toThrow(ConfigError);
    expect(() => validateOrgUrl(raw)).toThrow(message);
  });

  it('allows http only on localhost and only when asked (the simulator)', () => {
    expect(validateOrgUrl('http://127.0.0.1:8790', { allowHttp: true })).toBe('http://127.0.0.1:8790');
    expect(() => validateOrgUrl('http://acme.okta.com', { allowHttp: true })).toThrow(/must use https/);
  });

  it('allows a custom URL domain only when asked', () => {
    expect(validateOrgUrl('https://login.acme.com', { allowCustomDomain: true })).toBe('https://login.acme.com');
  });
});
