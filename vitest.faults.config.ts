// The fault suite (`npm run test:faults`): real processes killed and fakes failing; slower than the unit run.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    // Each file runs bots, fakes and sometimes its own redis-server: two at a time on a 2-core machine.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 30_000,
    globalSetup: ["test/helpers/global-setup.ts"],
  },
});
