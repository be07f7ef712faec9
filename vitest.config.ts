import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'threads',
    // A fresh parsed-rule-file cache for the run, removed afterwards.
    globalSetup: ['test/global-setup.ts'],
    // An English locale, so that no result depends on the machine's (bencalc writes Chinese under zh_*; tests that want it say --lang zh).
    env: { LC_ALL: 'C.UTF-8', LC_MESSAGES: '', LANG: 'C.UTF-8' },
  },
});
