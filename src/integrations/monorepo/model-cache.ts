// The monorepo model on disk, keyed by commit and layout: a second `affected` process reads it, not git.
import { createHash } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** What the cache checks of a model before it trusts a file (the model type stays monorepo.ts's). */
export interface CachedModel {
  sha: string;
  charms: unknown[];
  zuul: unknown;
  problems: unknown[];
}

/** Bumped when the model's shape or its assembly changes: older files are then simply not found. */
const FORMAT = 1;
/** Models kept: a few recent commits (one model of sunbeam-charms is a few hundred KB). */
const KEEP = 16;

/** $SUNBEAM_BOT_CACHE_DIR, else $XDG_CACHE_HOME/sunbeam-bot, else ~/.cache/sunbeam-bot; "off" disables. */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.SUNBEAM_BOT_CACHE_DIR;
  if (dir === "off") return undefined;
  if (dir) return join(dir, "models");
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sunbeam-bot", "models");
}

function fileFor(dir: string, key: string): string {
  return join(dir, `${createHash("sha256").update(`${FORMAT}\0${key}`).digest("hex").slice(0, 32)}.json`);
}

/** The cached model for key, or undefined (absent, unreadable, or not the model of that commit). */
export function readCachedModel<M extends CachedModel>(key: string, sha: string): M | undefined {
  const dir = modelCacheDir();
  if (!dir) return undefined;
  try {
    const m = JSON.parse(readFileSync(fileFor(dir, key), "utf8")) as Partial<CachedModel>;
    if (m.sha !== sha || !Array.isArray(m.charms) || !m.zuul || !Array.isArray(m.problems)) return undefined;
    return m as M;
  } catch {
    return undefined;
  }
}

/** Best effort: a read-only or full disk costs the next process a rebuild, never an error. */
export function writeCachedModel(key: string, model: CachedModel): void {
  const dir = modelCacheDir();
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    const file = fileFor(dir, key);
    // Written whole, then renamed: a concurrent reader sees the old file or the new one, never half.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(model));
    renameSync(tmp, file);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of files.slice(KEEP)) unlinkSync(join(dir, f));
  } catch {
    // ignored: see above
  }
}
