// Bench: the bot at idle vs a bare ioredis+BullMQ worker, each in its own process on the same Redis:
// RSS, heap, start to ready, Redis connections and commands/s, CPU.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";

export interface IdleFigures {
  rssMb: number;
  heapMb: number;
  readyMs: number;
  connections: number;
  commandsPerSecond: number;
  cpuMsPerSecond: number;
}

const CHILD = fileURLToPath(new URL("./idle-child.js", import.meta.url));

function infoField(info: string, field: string): number {
  return Number(new RegExp(`^${field}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
}

/** Starts `node idle-child.js <kind>`, lets it idle `seconds`, and measures it from Redis and from inside. */
export async function idleProcess(url: string, kind: "bot" | "bare", seconds = 10): Promise<IdleFigures> {
  const probe = new Redis(url);
  const base = infoField(await probe.info("clients"), "connected_clients");
  const child = spawn(process.execPath, [CHILD, kind, url, String(seconds)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const lines = () => out.split("\n").filter(Boolean);
  const waitFor = async (n: number) => {
    while (lines().length < n) await new Promise((r) => setTimeout(r, 20));
  };
  await waitFor(1); // ready
  const ready = JSON.parse(lines()[0] as string) as { readyMs: number };
  // Settle first: connections and schedulers are set up just after "ready".
  await new Promise((r) => setTimeout(r, 2000));
  const c0 = infoField(await probe.info("stats"), "total_commands_processed");
  const t0 = performance.now();
  await waitFor(2); // the child's own idle window (cpu, memory)
  const connections = infoField(await probe.info("clients"), "connected_clients") - base;
  const c1 = infoField(await probe.info("stats"), "total_commands_processed");
  const elapsed = (performance.now() - t0) / 1000;
  const end = JSON.parse(lines()[1] as string) as {
    rss: number;
    heap: number;
    cpuMs: number;
    seconds: number;
  };
  child.kill("SIGTERM");
  await new Promise((r) => child.once("close", r));
  await probe.quit();
  return {
    rssMb: end.rss / 2 ** 20,
    heapMb: end.heap / 2 ** 20,
    readyMs: ready.readyMs,
    connections,
    // Our own three INFO calls are not the child's.
    commandsPerSecond: Math.max(0, c1 - c0 - 3) / elapsed,
    cpuMsPerSecond: end.cpuMs / end.seconds,
  };
}
