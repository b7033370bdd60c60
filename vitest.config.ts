import { defineConfig } from 'vitest/config';

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
