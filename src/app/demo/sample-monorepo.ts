// The demo's charms monorepo: the bundled files of samples/monorepo/ (the sunbeam-charms layout) made into a
// real git repository at start, so !affected and !recheck-affected read it as they read the real one.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageFile } from "../../core/paths.js";

export const SAMPLE_MONOREPO_DIR = packageFile("samples", "monorepo");

function git(cwd: string, args: string[]): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: "1" };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  const id = [
    "-c",
    "user.name=Sunbeam Demo",
    "-c",
    "user.email=demo@example.invalid",
    "-c",
    "commit.gpgsign=false",
  ];
  return new Promise((resolve, reject) =>
    execFile("git", [...id, ...args], { cwd, env }, (err, _out, stderr) =>
      err ? reject(new Error(`git ${args[0]}: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

function charmcraftFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...charmcraftFiles(full));
    else if (name === "charmcraft.yaml") out.push(full);
  }
  return out;
}

export interface SampleMonorepo {
  /** The working tree (the upstream the bot's clone fetches from; the OCI watch reads its pins). */
  dir: string;
  remove(): void;
}

/**
 * Copies the sample tree to a temp dir and commits it on `main`. With `registry` (host:port of the demo's
 * registry) the charms' `ghcr.io/` pins point there instead, so that the image watch talks only to it.
 */
export async function createSampleMonorepo(
  opts: { registry?: string; source?: string } = {},
): Promise<SampleMonorepo> {
  const dir = mkdtempSync(join(tmpdir(), "sunbeam-demo-charms-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    cpSync(opts.source ?? SAMPLE_MONOREPO_DIR, dir, { recursive: true });
    if (opts.registry) {
      for (const f of charmcraftFiles(join(dir, "charms"))) {
        writeFileSync(
          f,
          readFileSync(f, "utf8").replaceAll(
            "upstream-source: ghcr.io/",
            `upstream-source: ${opts.registry}/`,
          ),
        );
      }
    }
    await git(dir, ["init", "-q", "-b", "main"]);
    await git(dir, ["add", "-A"]);
    await git(dir, ["commit", "-q", "-m", "Sample charms monorepo for the demo"]);
  } catch (err) {
    remove();
    throw err;
  }
  return { dir, remove };
}
