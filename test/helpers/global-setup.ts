// One private redis-server for the whole run (each test uses its own random key prefix), and a built dist/.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { startRedisServer, type PrivateRedis } from "../../src/core/redis-server.js";

let redis: PrivateRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (!existsSync("dist/src/cli.js")) execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
  redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
