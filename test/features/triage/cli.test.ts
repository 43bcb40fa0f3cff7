// `sunbeam-bot triage --file` as a triager runs it: the §4 JSON contract, text output, and clear usage errors.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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

describe("sunbeam-bot triage --file with Launchpad API JSON", () => {
  const fixture = join(import.meta.dirname, "../../fixtures/triage/14-others-comment-does-not-count.json");
  const doc = JSON.parse(readFileSync(fixture, "utf8")) as {
    bug: unknown;
    messages: unknown;
    attachments: unknown;
  };

  it("reads {bug, messages, attachments}, and the bug entry with its collections beside it", async () => {
    const one = await runCli(["triage", "--file", fixture, "--json"]);
    expect(one.code).toBe(0);
    const j = JSON.parse(one.stdout) as {
      bug: number;
      missing: string[];
      decisions: Record<string, unknown>;
    };
    expect(j.bug).toBe(2000014);
    expect(j.missing).toContain("diag_bundle"); // another user's sosreport does not count
    expect(j.decisions.steps).toMatchObject({ state: "present" });
    const entry = bugFile(doc.bug);
    writeFileSync(entry.replace(/\.json$/, ".messages.json"), JSON.stringify(doc.messages));
    writeFileSync(entry.replace(/\.json$/, ".attachments.json"), JSON.stringify(doc.attachments));
    const beside = await runCli(["triage", "--file", entry, "--json"]);
    expect(beside.code).toBe(0);
    expect(JSON.parse(beside.stdout)).toEqual(j);
  });

  it("refuses a bug entry without its comments or with one page of them, naming the field", async () => {
    const alone = await runCli(["triage", "--file", bugFile(doc.bug)]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/messages: missing/);
    expect(alone.stderr).toMatch(/messages_collection_link|\/messages/);
    const paged = await runCli([
      "triage",
      "--file",
      bugFile({
        ...doc,
        messages: { ...(doc.messages as object), next_collection_link: "https://x/?ws.start=75" },
      }),
    ]);
    expect(paged.code).toBe(2);
    expect(paged.stderr).toMatch(/next_collection_link/);
    const bad = await runCli([
      "triage",
      "--file",
      bugFile({ ...doc, attachments: { entries: [{ title: 3 }] } }),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/attachments\.entries\.0\.(title|self_link)/);
  });

  it("reports a skipped bug as the bot decides it, and evaluates it with --ignore-skip", async () => {
    const f = bugFile({ title: "[RFE] IPv6", description: "please", tags: [], attachments: [] });
    const j = JSON.parse((await runCli(["triage", "--file", f, "--json"])).stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ complete: true, missing: [], skipped: expect.stringMatching(/RFE/) });
    expect((j.evaluation as { missing: string[] }).missing).toContain("snap_version");
    const k = JSON.parse((await runCli(["triage", "--file", f, "--json", "--ignore-skip"])).stdout) as Record<
      string,
      unknown
    >;
    expect(k).toMatchObject({ complete: false, skipIgnored: expect.stringMatching(/RFE/) });
  });
});
