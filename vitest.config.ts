import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests of packages/ import their built output (dist/), as an installer would get it.
    globalSetup: ['test/setup/build-packages.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // argon2 and dynalite are CPU-heavy; two cores are what CI has.
    maxWorkers: 2,
    // Handlers log audit lines at INFO; tests keep the output to warnings and errors,
    // and write no metric lines (test/e2e/metrics.test.ts turns them on to read them).
    env: { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
