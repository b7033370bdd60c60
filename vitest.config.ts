import { defineConfig } from 'vitest/config';

// The pinned AWS SDK supports Node 20; its notice concerns future releases. Set here so the global setup sees it too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * Four tiers, one run (`npm test` runs them all; `npm run test:unit|test:cdk|test:integration|test:browser` runs one):
 * - unit: pure code, no network, no emulators;
 * - cdk: synthesises the stack and bundles the functions (esbuild), no emulators;
 * - integration: real HTTP to DynamoDB Local, the SQS emulator, the Okta simulator and the OpenAI stub. This tier (and
 *   browser) has the global setup that starts the emulators (one DynamoDB Local JVM and one SQS emulator for all its
 *   files; each file makes its own tables and queues).
 * - browser: real headless Chromium (Debian's `chromium`, driven by playwright-core) against the local stack's console,
 *   with the same global setup as integration; skipped, saying what to install, where no Chromium is installed
 *   (`test/support/browser.ts`). One browser per file.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'cdk', include: ['test/cdk/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
