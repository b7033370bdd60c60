import { describe, expect, it } from 'vitest';
import { startGateway } from '../../local/gateway.ts';

describe('the local gateway', () => {
  it('names 127.0.0.1 in its URL when it listens on every interface', async () => {
    const gateway = await startGateway({ routes: [], port: 0, host: '0.0.0.0' });
    try {
      expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${gateway.url}/nowhere`);
      expect([response.status, await response.json()]).toEqual([404, { message: 'Not Found' }]);
    } finally {
      await gateway.stop();
    }
  });
});

describe('route templates', () => {
  it('match one non-empty segment per {name}, as API Gateway does', async () => {
    const { matchPath } = await import('../../local/gateway.ts');
    expect(matchPath('/approvals/{id}', '/approvals/apr_1')).toEqual({ id: 'apr_1' });
    expect(matchPath('/approvals/{id}/decision', '/approvals/a:b/decision')).toEqual({ id: 'a:b' });
    expect(matchPath('/approvals/{id}', '/approvals/')).toBeUndefined();
    expect(matchPath('/approvals/{id}', '/approvals/a/b')).toBeUndefined();
    expect(matchPath('/health', '/health')).toEqual({});
  });
});
