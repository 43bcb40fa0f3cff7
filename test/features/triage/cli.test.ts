// `sunbeam-bot triage --file` as a triager runs it: the §4 JSON contract, text output, and clear usage errors.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "cli-triage-"));
function bugFile(bug: unknown): string {
  const f = join(dir, `bug-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(bug));
  return f;
}

describe("sunbeam-bot triage --file", () => {
  it("lists what a thin report is missing, in the JSON contract", async () => {
    const f = bugFile({
      title: "Bootstrap fails",
      description: "sunbeam cluster bootstrap fails on my machine. Please help.",
      tags: [],
      attachments: [],
    });
    const r = await runCli(["triage", "--file", f, "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      bug: unknown;
      complete: boolean;
      missing: string[];
      present: string[];
    };
    expect(j.bug).toBeNull();
    expect(j.complete).toBe(false);
    expect(j.missing).toEqual(expect.arrayContaining(["snap_version", "error_output", "diag_bundle"]));
    expect(Array.isArray(j.present)).toBe(true);
  });

  it("finds what a full report carries, from text, comments and attachment names", async () => {
    const f = bugFile({
      title: "Bootstrap fails on 24.04",
      description: [
        "Steps to reproduce:",
        "1. sudo snap install openstack --channel 2024.1/edge",
        "2. sunbeam prepare-node-script | bash -x",
        "3. sunbeam cluster bootstrap --accept-defaults",
        "",
        "$ snap list openstack",
        "Name       Version  Rev  Tracking        Publisher   Notes",
        "openstack  2024.1   512  2024.1/edge     canonical✓  -",
        "",
        "Ubuntu 24.04.1 LTS, single node, 32 GB RAM",
        "Error: Command '['juju', 'deploy', ...]' returned non-zero exit status 1.",
        "Traceback (most recent call last):",
      ].join("\n"),
      tags: [],
      attachments: ["sosreport-node1-2025-01-01.tar.xz", "juju-status.txt", "manifest.yaml"],
      comments: [{ author_is_reporter: true, content: "Attached the sosreport with the sunbeam plugin." }],
    });
    const r = await runCli(["triage", "--file", f, "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { missing: string[]; present: string[] };
    expect(j.present).toEqual(
      expect.arrayContaining(["snap_version", "steps", "diag_bundle", "error_output"]),
    );
    expect(j.missing).not.toContain("snap_version");
    const text = await runCli(["triage", "--file", f]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/snap_version/);
  });

  it("exits 2 naming the bad field, or the missing input", async () => {
    const bad = await runCli([
      "triage",
      "--file",
      bugFile({ title: 3, description: "x", tags: [], attachments: [] }),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/title/);
    const none = await runCli(["triage"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--file|--bug/);
  });
});
