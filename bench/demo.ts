// demo.firstPromptMs: from Redis being ready to the demo's prompt (sample servers, monorepo, registry, bot start).
import { PassThrough } from "node:stream";
import { runDemo } from "../src/app/demo.js";
import { createLogger } from "../src/core/log.js";

export async function benchDemoFirstPrompt(
  redisUrl: string,
  runs = 3,
): Promise<{ firstPromptMs: number; runsMs: number[] }> {
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const input = new PassThrough();
    const output = new PassThrough();
    output.resume();
    input.end();
    await runDemo({
      log: createLogger({ level: "silent" }),
      env: { REDIS_URL: redisUrl, REDIS_PREFIX: `bench-demo-${i}` },
      input,
      output,
      onPrompt: (ms) => runsMs.push(ms),
    });
  }
  // The slowest run: the figure is a promise to every newcomer, not to the lucky one.
  return { firstPromptMs: Math.max(...runsMs), runsMs };
}
