import { describe, expect, it } from 'vitest';
import { bundleEntry } from '../../lib/bundling.ts';

/**
 * `npx hookpilot` starts on every command a user types: its import graph stays light — no Okta SDK, no model client, no
 * CDK or build tooling (the same check the synchronous function bundles get in bundles.test.ts).
 */
describe('the CLI bundle', () => {
  it('carries neither the Okta SDK, nor openai, nor the CDK', async () => {
    const { inputs } = await bundleEntry('cli/main.ts');
    const heavy = ['node_modules/@okta/', 'node_modules/openai/', 'node_modules/aws-cdk-lib/', 'node_modules/esbuild/'];
    expect(inputs.filter((path) => heavy.some((h) => path.includes(h)))).toEqual([]);
    // (control) the graph is the CLI's: its command groups and the AWS clients they use are in it
    expect(inputs).toEqual(expect.arrayContaining(['cli/main.ts', 'cli/sim.ts', 'cli/audit.ts']));
    expect(inputs.some((path) => path.startsWith('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
  }, 60_000);
});
