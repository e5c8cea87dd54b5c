import { defineConfig } from 'vitest/config';

// Fault tests (test/chaos): a private Asterisk and a private PostgreSQL per test, stopped, killed and frozen
// while real calls run; each test is bounded and stops everything it started. `npm run chaos`; CI runs it once.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 420_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: process.env.CALLFLOW_TEST_REPORT
      ? ['default', ['json', { outputFile: process.env.CALLFLOW_TEST_REPORT }]]
      : ['default'],
  },
});
