// Starts a private redis-server on a free loopback port in a temp dir (demo and tests): real Redis, no mocks.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "./errors.js";

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL) and, unless told to keep it, removes its directory. */
  stop(opts?: { keepDir?: boolean; signal?: NodeJS.Signals }): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const REDIS_MISSING =
  "redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server) " +
  "or point REDIS_URL at a running Redis.";

export interface StartRedisOptions {
  port?: number;
  dir?: string;
  appendonly?: boolean;
}

export async function startRedisServer(opts: StartRedisOptions = {}): Promise<PrivateRedis> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "sunbeam-redis-"));
  const port = opts.port ?? (await freePort());
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--daemonize",
    "no",
  ];
  args.push("--appendonly", opts.appendonly ? "yes" : "no", "--appendfsync", "always");
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.on("error", (err: NodeJS.ErrnoException) => {
      reject(err.code === "ENOENT" ? new UserError(REDIS_MISSING) : err);
    });
    child.on("exit", (code) =>
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)),
    );
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  });
  try {
    await ready;
  } catch (err) {
    child.kill("SIGKILL");
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  child.stdout?.removeAllListeners("data");
  child.stdout?.resume();
  child.stderr?.resume();
  child.removeAllListeners("exit");
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: child,
    async stop({ keepDir = false, signal = "SIGTERM" } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (!keepDir && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
