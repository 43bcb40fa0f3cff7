import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The fault suite kills processes and has its own config and script: npm run test:faults.
    exclude: [...configDefaults.exclude, "test/faults/**"],
    // Integration tests start their own redis-server; keep parallelism modest on a 2-core machine.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ["test/helpers/global-setup.ts"],
  },
});
