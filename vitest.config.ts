import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test files wait on processes, sockets and timers far more than they compute: two at a time on a
    // 2-core machine (vitest's default would run one) halves the suite's time, and tests must hold up on a
    // busy machine anyway.
    maxWorkers: 2,
    reporters: process.env.CALLFLOW_TEST_REPORT
      ? ['default', ['json', { outputFile: process.env.CALLFLOW_TEST_REPORT }]]
      : ['default'],
  },
});
