import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GERRIT_TYPES } from "../../../src/core/events.js";
import { parseGerritLine, parseGerritObject } from "../../../src/integrations/gerrit/parse.js";

const lines = readFileSync("test/fixtures/gerrit-all-types.jsonl", "utf8").trim().split("\n");
const results = lines.map(parseGerritLine);

describe("parseGerritLine", () => {
  it("parses every documented event type", () => {
    const kinds = results.flatMap((r) => (r.ok ? [r.event.kind] : []));
    for (const t of GERRIT_TYPES) expect(kinds).toContain(`gerrit.${t}`);
  });

  it("normalises the envelope, change and patch set", () => {
    const r = results[0];
    expect(r?.ok).toBe(true);
    if (!r?.ok) return;
    expect(r.event).toMatchObject({
      source: "gerrit",
      type: "patchset-created",
      createdOn: 1764072000,
      project: "openstack/sunbeam-charms",
      branch: "main",
      change: { number: 912345, subject: "Fix keystone TLS" },
      patchSet: { number: 3, kind: "REWORK" },
      actor: { username: "alice" },
    });
    expect(r.event.id).toBe("gerrit:patchset-created:912345:3:1764072000:alice");
  });

  it("reads approval values sent as strings as numbers, with the old value", () => {
    const r = results[1];
    if (!r?.ok) throw new Error("expected ok");
    expect(r.event.approvals).toEqual([{ type: "Code-Review", value: 2, oldValue: 0 }]);
    expect(r.event.actor?.username).toBe("bob");
  });

  it("accepts numbers as strings and a missing eventCreatedOn (old servers)", () => {
    const r = results[15];
    if (!r?.ok) throw new Error("expected ok");
    expect(r.event.change?.number).toBe(912346);
    expect(r.event.patchSet?.number).toBe(1);
    expect(r.event.createdOn).toBeNull();
    // Without a timestamp the id falls back to the line's content, so it is still deterministic.
    expect(parseGerritLine(lines[15] as string)).toEqual(r);
  });

  it("takes the project head from headName or the documented projectHead", () => {
    const byCode = results[13];
    const byDoc = results[16];
    if (!byCode?.ok || !byDoc?.ok) throw new Error("expected ok");
    expect(byCode.event.headName).toBe("refs/heads/main");
    expect(byDoc.event.headName).toBe("refs/heads/master");
  });

  it("types ref-updated without a change, with the branch from the ref", () => {
    const r = results[5];
    if (!r?.ok) throw new Error("expected ok");
    expect(r.event).toMatchObject({
      kind: "gerrit.ref-updated",
      branch: "main",
      project: "openstack/sunbeam-charms",
    });
    expect(r.event.change).toBeUndefined();
  });

  it("makes unknown types a typed gerrit.unknown event", () => {
    const r = results[17];
    if (!r?.ok) throw new Error("expected ok");
    expect(r.event.kind).toBe("gerrit.unknown");
    expect(r.event.type).toBe("assignee-changed");
  });

  it("reports malformed lines as errors, never throws", () => {
    const bad = results.slice(18);
    expect(bad.map((r) => r.ok)).toEqual([false, false, false, false]);
    expect(bad.map((r) => (r.ok ? "" : r.error))).toEqual([
      expect.stringContaining("invalid JSON"),
      "not a JSON object",
      'no "type" field',
      expect.stringContaining("invalid JSON"),
    ]);
  });

  it("gives every event a distinct deterministic id", () => {
    const ids = results.flatMap((r) => (r.ok ? [r.event.id] : []));
    expect(new Set(ids).size).toBe(ids.length);
    expect(lines.map(parseGerritLine)).toEqual(results);
  });

  it("tolerates missing fields and wrong types", () => {
    const r = parseGerritLine(
      '{"type":"comment-added","change":"oops","patchSet":{"number":"x"},"approvals":[null,{"type":"Verified"}]}',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.change).toBeUndefined();
    expect(r.event.patchSet).toEqual({});
    expect(r.event.approvals).toEqual([]);
  });
});

describe("event ids on real streams", () => {
  const report = (pipeline: string) => ({
    type: "comment-added",
    author: { name: "Zuul", username: "zuul" },
    approvals: [{ type: "Verified", value: "-1", oldValue: "0" }],
    comment: `Patch Set 2: Verified-1\n\nBuild failed (${pipeline} pipeline).\n`,
    patchSet: { number: 2, revision: "bcbe643aa4a8d98815a4b9d0b10d8c4310ffa4bf" },
    change: { project: "openstack/sunbeam-charms", branch: "main", number: 912345, subject: "s" },
    eventCreatedOn: 1764000000,
  });

  it("two reports by one account on one patch set in the same second get different ids", () => {
    const a = parseGerritObject(report("check"));
    const b = parseGerritObject(report("check-arm64"));
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(a.event.id).not.toBe(b.event.id);
  });

  it("a replay of the same event still has the same id", () => {
    const line = JSON.stringify(report("check"));
    const a = parseGerritLine(line);
    const b = parseGerritLine(line);
    if (!a.ok || !b.ok) throw new Error("parse");
    expect(a.event.id).toBe(b.event.id);
  });
});
