// Bench: `sunbeam-bot affected --rev A^..A` as a process, cold (no model on disk) and warm, vs `git diff`.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateMonorepo } from "../test/helpers/synthetic-monorepo.js";
import { percentile } from "./pipeline.js";

export interface CliFigures {
  charms: number;
  affectedColdMs: number;
  affectedWarmMs: number;
  gitDiffMs: number;
  /** `node -e 0`: what merely starting Node costs on this machine now (a loaded machine shows here). */
  nodeBareMs: number;
}

const BIN = fileURLToPath(new URL("../../bin/sunbeam-bot.js", import.meta.url));

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** A clone of a generated monorepo with one more commit (a charm's own file), so `--rev HEAD^..HEAD` works. */
export async function benchCli(charms = 1000, runs = 5): Promise<CliFigures> {
  const gen = await generateMonorepo(charms);
  const work = mkdtempSync(join(tmpdir(), "bench-cli-"));
  const git = (...a: string[]) => execFileSync("git", a, { cwd: join(work, "repo"), encoding: "utf8" });
  try {
    execFileSync("git", ["clone", "-q", gen.dir, join(work, "repo")]);
    const file = git("ls-files", "charms")
      .split("\n")
      .find((f) => f.endsWith("/src/charm.py"));
    if (!file) throw new Error("no charm in the generated monorepo");
    execFileSync("sh", ["-c", `echo '# bench' >> ${file}`], { cwd: join(work, "repo") });
    git("-c", "user.email=b@example.org", "-c", "user.name=bench", "commit", "-qam", "a charm's own change");
    const args = [BIN, "affected", "--repo", join(work, "repo"), "--rev", "HEAD^..HEAD", "--json"];
    const env = (cache: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      SUNBEAM_BOT_CACHE_DIR: cache,
    });
    // Cold: each run with an empty model cache (the model is built from git); warm: the model is on disk.
    const cold: number[] = [];
    for (let i = 0; i < runs; i++) {
      const cache = join(work, `cold-${i}`);
      cold.push(timed(process.execPath, args, env(cache)));
    }
    const warmCache = join(work, "warm");
    timed(process.execPath, args, env(warmCache));
    const warm = Array.from({ length: runs }, () => timed(process.execPath, args, env(warmCache)));
    const diff = Array.from({ length: runs }, () =>
      timed("git", ["-C", join(work, "repo"), "diff", "--name-only", "HEAD^", "HEAD"], env(warmCache)),
    );
    const node = Array.from({ length: runs }, () => timed(process.execPath, ["-e", "0"], env(warmCache)));
    return {
      charms,
      affectedColdMs: median(cold),
      affectedWarmMs: median(warm),
      gitDiffMs: median(diff),
      nodeBareMs: median(node),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    gen.cleanup();
  }
}
