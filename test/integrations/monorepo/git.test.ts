// Git reads against a real git: a git that dies while we write to it (EPIPE) is an error, not a crash; a timeout.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listTree, readBlobs, resolveGitDir, setGitTimeout } from "../../../src/integrations/monorepo/git.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repo(): string {
  const d = mkdtempSync(join(tmpdir(), "git-read-"));
  dirs.push(d);
  const git = (...a: string[]) => execFileSync("git", a, { cwd: d, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  writeFileSync(join(d, "a.txt"), "hello\n");
  git("add", ".");
  git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "one");
  return d;
}

describe("git reads", () => {
  it("a cat-file that exits early while we write (EPIPE) rejects; the process lives", async () => {
    const d = repo();
    await resolveGitDir(d);
    // The git dir the cache points at is gone: git exits at once, long before it has read 20 MB of ids.
    rmSync(join(d, ".git"), { recursive: true, force: true });
    const ids = Array.from({ length: 500_000 }, (_, i) => i.toString(16).padStart(40, "0"));
    await expect(readBlobs(d, ids)).rejects.toThrow(/git cat-file failed/);
  });

  it("times out a git read that takes too long", async () => {
    const d = repo();
    await resolveGitDir(d);
    // A FIFO where git reads its refs: git blocks in open() until a writer comes, which none does, so the
    // read hangs for real (deterministic, unlike racing a fast git against a 1 ms timer on a loaded machine).
    const refs = join(d, ".git", "packed-refs");
    execFileSync("mkfifo", [refs]);
    const prev = setGitTimeout(200);
    try {
      await expect(listTree(d, "HEAD")).rejects.toThrow(/timed out after 200 ms/);
    } finally {
      setGitTimeout(prev);
      rmSync(refs);
    }
    expect((await listTree(d, "HEAD")).has("a.txt")).toBe(true);
  });
});
