import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HookpilotStack, type HookpilotStackProps } from '../../lib/hookpilot-stack.ts';

/**
 * Test apps: asset bundling is skipped (context `aws:cdk:bundling-stacks: []`; NodejsFunction then stages no code and
 * runs no esbuild), and the cloud assembly goes to a temporary folder that `cleanUp` removes.
 */
const outdirs: string[] = [];

export function testApp(): App {
  const outdir = mkdtempSync(join(tmpdir(), 'hookpilot-cdk-test-'));
  outdirs.push(outdir);
  return new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
}

/** The org URL the test stacks are given (the fixtures' invented org). */
export const TEST_OKTA_ORG_URL = 'https://acme-demo.okta.com';

export function synthStack(props?: HookpilotStackProps): { app: App; stack: HookpilotStack; template: Template } {
  const app = testApp();
  const stack = new HookpilotStack(app, 'HookpilotStack', { oktaOrgUrl: TEST_OKTA_ORG_URL, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

export function cleanUp(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
