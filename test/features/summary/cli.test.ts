// `sunbeam-bot summary --json` with the shipped actions file: all nine seeded actions with owner and status,
// and a summary even when Gerrit and Launchpad cannot be reached (naming them).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadActions } from "../../../src/features/summary/actions.js";
import { runCli } from "../../helpers/cli.js";
import { randomPrefix, redisUrl } from "../../helpers/redis.js";

describe("sunbeam-bot summary", () => {
  it("lists every shipped action with owner and status, and names the sources it could not reach", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-summary-"));
    const cfg = join(dir, "config.yaml");
    writeFileSync(
      cfg,
      [
        `redis: { url: "${redisUrl()}", prefix: ${randomPrefix()} }`,
        "http: { enabled: false }",
        "gerrit: { url: http://127.0.0.1:9 }",
        'launchpad: { enabled: false, apiRoot: "http://127.0.0.1:9/devel" }',
        "summary: { enabled: false, sourceTimeoutSeconds: 5 }",
      ].join("\n"),
    );
    const r = await runCli(["summary", "--json", "--config", cfg], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      actions: { id: string; owner: string; status: string }[];
      unavailable: string[];
    };
    const shipped = loadActions().actions;
    expect(shipped).toHaveLength(9);
    expect(j.actions.map((a) => a.id)).toEqual(shipped.map((a) => a.id));
    for (const a of j.actions) {
      const s = shipped.find((x) => x.id === a.id);
      expect(a.owner).toBe(s?.owner);
      expect(a.status).toBe(s?.status);
    }
    expect(j.unavailable).toEqual(expect.arrayContaining(["gerrit", "launchpad"]));
    expect(j.unavailable).not.toContain("redis");
  });
});
