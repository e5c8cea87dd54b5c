import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Fault tests on a real Asterisk take minutes of outages each: `npm run chaos` (vitest.chaos.config.ts), once per CI run.
    exclude: [...configDefaults.exclude, 'test/chaos/**'],
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
