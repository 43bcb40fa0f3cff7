// The package as shipped: the Node floor checked before anything loads, and `npm pack` → `npm install -g` runs.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  engines: { node: string };
  files: string[];
  scripts: Record<string, string>;
};
/** An old Node to start the entry point with: Debian 12's /usr/bin/node is 20 (NODE_OLD overrides). */
const OLD_NODE = process.env.NODE_OLD ?? "/usr/bin/node";
const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("Node version floor", () => {
  it("engines names the floor the entry point enforces", () => {
    expect(pkg.engines.node).toBe(">=22.19.0");
    expect(readFileSync(join(ROOT, "bin", "sunbeam-bot.js"), "utf8")).toContain("[22, 19, 0]");
  });

  it("an older Node prints one line naming the required version and exits 2", () => {
    const version = execFileSync(OLD_NODE, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
    const [major = 0, minor = 0] = version.split(".").map(Number);
    expect(major < 22 || (major === 22 && minor < 19), `${OLD_NODE} is ${version}`).toBe(true);
    const r = spawnSync(OLD_NODE, [join(ROOT, "bin", "sunbeam-bot.js"), "--version"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`sunbeam-bot needs Node >= 22.19.0; this is Node ${version}\n`);
  });
});

describe("npm pack", () => {
  it("builds dist/ before packing", () => {
    expect(pkg.scripts.prepack).toBe("npm run build");
    expect(pkg.files).toContain("dist/src/");
  });

  it("a packed tarball installed globally runs `sunbeam-bot --version`, without TypeScript", () => {
    // The suite's build step wrote dist/; --ignore-scripts skips prepack's second build of the same tree.
    expect(existsSync(join(ROOT, "dist", "src", "cli.js")), "run npm run build first").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "sunbeam-pack-"));
    temps.push(dir);
    const npm = (args: string[]) =>
      execFileSync("npm", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    npm(["pack", "--ignore-scripts", "--silent", "--pack-destination", dir]);
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBe(`sunbeam-bot-${pkg.version}.tgz`);
    const listing = execFileSync("tar", ["-tzf", join(dir, tarball as string)], { encoding: "utf8" });
    expect(listing).toContain("package/dist/src/cli.js");
    expect(listing).toContain("package/src/features/triage/default-checklist.yaml");
    expect(listing).not.toMatch(/package\/test\//);
    const prefix = join(dir, "prefix");
    npm([
      "install",
      "-g",
      "--prefix",
      prefix,
      "--prefer-offline",
      // As the Dockerfile does: the only install scripts build optional native speed-ups (ssh2's), whose
      // compiler run would load the machine for a minute; the JS fallbacks are what this check runs.
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      join(dir, tarball as string),
    ]);
    const out = execFileSync(join(prefix, "bin", "sunbeam-bot"), ["--version"], { encoding: "utf8" });
    expect(out.trim()).toBe(pkg.version);
    const installed = join(prefix, "lib", "node_modules", "sunbeam-bot");
    expect(existsSync(join(installed, "node_modules", "bullmq"))).toBe(true);
    expect(existsSync(join(installed, "node_modules", "typescript"))).toBe(false);
  }, 240_000);
});
