import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DependencyError } from '../../lambda/errors.ts';
import { hookSecretVerifier } from '../../lambda/okta/hook-secrets.ts';
import { oktaSettings } from '../../lambda/okta/okta-config.ts';
import { startFakeSecretsManager } from '../support/fake-secrets-manager.ts';

/** Reading hook secrets and Okta credentials from Secrets Manager (a local stand-in speaking its protocol). */
const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`;
let sm: Awaited<ReturnType<typeof startFakeSecretsManager>>;

beforeAll(async () => {
  sm = await startFakeSecretsManager({
    [ARN('hook')]: '["new-secret-0123456789abcdef", "old-secret-0123456789abcdef"]',
    [ARN('okta-token')]: '{"apiToken": "00abcdefghijklmnopqrstuvwxyz"}',
    [ARN('okta-key')]:
      '{"clientId": "0oaabcdefghijklmnopq", "privateKey": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----", "keyId": "k1"}',
    [ARN('okta-placeholder')]: '{"apiToken":"REPLACE_ME"}',
    [ARN('okta-garbage')]: 'not json',
    // Read only during the outage test (a value read before would come from the cache).
    [ARN('hook-2')]: 'hook-secret-read-in-an-outage-0123',
    [ARN('okta-token-2')]: '{"apiToken": "00outageoutageoutageoutage"}',
  });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    HOOKPILOT_OKTA_ORG_URL: 'https://acme-demo.okta.com',
  });
  delete process.env.HOOKPILOT_OKTA_API_TOKEN;
  delete process.env.HOOKPILOT_OKTA_CLIENT_ID;
});

afterAll(async () => {
  await sm?.stop();
});

describe('the event hook secret from Secrets Manager', () => {
  it('accepts every secret of a rotation array and caches the value', async () => {
    process.env.T_HOOK_ARN = ARN('hook');
    const verifier = hookSecretVerifier('T_HOOK_UNSET', 'T_HOOK_ARN');
    const verify = await verifier();
    expect(verify('new-secret-0123456789abcdef')).toBe(true);
    expect(verify('old-secret-0123456789abcdef')).toBe(true);
    expect(verify('another-secret-0123456789')).toBe(false);
    await verifier();
    expect(sm.calls.filter((c) => c === ARN('hook'))).toHaveLength(1); // cached for five minutes
  });

  it('names both settings when neither is set', () => {
    expect(() => hookSecretVerifier('T_NOPE', 'T_NOPE_ARN')).toThrow(
      new ConfigError(
        'T_NOPE or T_NOPE_ARN must be set: the hook secret (or a JSON array of secrets), or the ARN of a Secrets Manager secret holding it',
      ),
    );
  });
});

describe('Okta credentials from Secrets Manager', () => {
  const credentialsFrom = (name: string) => {
    process.env.HOOKPILOT_OKTA_CREDENTIALS_SECRET_ARN = ARN(name);
    return oktaSettings().credentials();
  };

  it('reads an API token or a service app key', async () => {
    expect(await credentialsFrom('okta-token')).toEqual({ kind: 'apiToken', apiToken: '00abcdefghijklmnopqrstuvwxyz' });
    expect(await credentialsFrom('okta-key')).toMatchObject({
      kind: 'privateKey',
      clientId: '0oaabcdefghijklmnopq',
      keyId: 'k1',
    });
    expect(
      (await credentialsFrom('okta-key')).kind === 'privateKey' && (await credentialsFrom('okta-key')),
    ).toMatchObject({
      scopes: expect.arrayContaining(['okta.users.manage', 'okta.groups.manage', 'okta.logs.read']),
    });
  });

  it('refuses to run with the placeholder the stack put there, saying what to do', async () => {
    await expect(credentialsFrom('okta-placeholder')).rejects.toThrow(
      /still holds its placeholder: put your service app or API token in it/,
    );
  });

  it('explains a secret that is not the expected JSON, without echoing it', async () => {
    const error = await credentialsFrom('okta-garbage').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).not.toContain('not json');
  });

  it('reports an outage as a dependency failure (retryable), not a configuration error', async () => {
    process.env.T_HOOK_ARN2 = ARN('hook-2');
    sm.down();
    try {
      await expect(hookSecretVerifier('T_HOOK_UNSET', 'T_HOOK_ARN2')()).rejects.toBeInstanceOf(DependencyError);
      await expect(credentialsFrom('okta-token-2')).rejects.toBeInstanceOf(DependencyError);
    } finally {
      sm.up();
    }
    // The same secrets, once Secrets Manager is back.
    expect(await credentialsFrom('okta-token-2')).toEqual({ kind: 'apiToken', apiToken: '00outageoutageoutageoutage' });
  });

  it('reports a secret that does not exist as a configuration error naming the variable, not an outage', async () => {
    process.env.T_HOOK_ARN3 = ARN('no-such-hook-secret');
    const hook = await hookSecretVerifier('T_HOOK_UNSET', 'T_HOOK_ARN3')().catch((e: unknown) => e);
    expect(hook).toBeInstanceOf(ConfigError);
    expect(String(hook)).toContain('the hook secret: the secret named by T_HOOK_ARN3 does not exist');
    const okta = await credentialsFrom('no-such-okta-secret').catch((e: unknown) => e);
    expect(okta).toBeInstanceOf(ConfigError);
    expect(String(okta)).toContain('the secret named by HOOKPILOT_OKTA_CREDENTIALS_SECRET_ARN does not exist');
  });
});
