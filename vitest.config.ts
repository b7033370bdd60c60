import { defineConfig } from 'vitest/config';

// The pinned AWS SDK supports Node 20; its notice concerns future releases. Set here so the global setup sees it too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests share one DynamoDB Local JVM and one SQS emulator; each file makes its own tables/queues.
    pool: 'forks',
    reporters: ['default'],
  },
});
