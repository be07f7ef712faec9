import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'threads',
    // A fresh parsed-rule-file cache for the run, removed afterwards.
    globalSetup: ['test/global-setup.ts'],
  },
});
