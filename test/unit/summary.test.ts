import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config-load.js";
import { loadActions, validateActions } from "../../src/summary/actions.js";
import { isStale, renderSummary, type SummaryData } from "../../src/summary/render.js";

describe("cycle actions file", () => {
  it("ships the nine Caracal actions, the monorepo one owned by Liam", () => {
    const f = loadActions();
    expect(f.actions).toHaveLength(9);
    expect(f.actions.find((a) => a.id === "charms-monorepo")).toMatchObject({
      owner: "Liam",
      status: "in-progress",
    });
    expect(new Set(f.actions.map((a) => a.id)).size).toBe(9);
  });

  it("lists every problem at once", () => {
    try {
      validateActions(
        {
          cycle: "x",
          actions: [
            { id: "Bad Id", title: "", status: "maybe" },
            { id: "ok", title: "t", evidence: { gerrit: { colour: [] } } },
          ],
        },
        "t.yaml",
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const paths = (err as ConfigError).problems.map((p) => p.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          "actions.0.id",
          "actions.0.title",
          "actions.0.status",
          "actions.1.evidence.gerrit.colour",
        ]),
      );
    }
  });

  it("refuses duplicate ids", () => {
    expect(() =>
      validateActions(
        {
          cycle: "x",
          actions: [
            { id: "a", title: "A" },
            { id: "a", title: "B" },
          ],
        },
        "t",
      ),
    ).toThrow(/duplicate of actions\.0\.id/);
  });
});

describe("renderSummary", () => {
  const f = loadActions();
  const base = (over: Partial<SummaryData> = {}): SummaryData => ({
    cycle: f.cycle,
    since: "2026-11-16T09:00:00Z",
    until: "2026-11-23T09:00:00Z",
    staleAfterWeeks: 3,
    actions: f.actions.map((action) => ({ action, status: action.status, evidence: [], notes: [] })),
    numbers: [
      { name: "new bugs", value: 7, previous: 4 },
      { name: "changes merged", value: 12, previous: 12 },
    ],
    unavailable: [],
    ...over,
  });

  it("shows evidence under its action, flags stale ones and the numbers with their change", () => {
    const d = base();
    const mono = d.actions.find((a) => a.action.id === "charms-monorepo");
    if (!mono) throw new Error("missing");
    mono.evidence = [
      {
        kind: "change-merged",
        title: "Move zuul jobs",
        url: "https://review.opendev.org/c/x/+/1",
        updated: "2026-11-20T10:00:00Z",
      },
    ];
    const ptg = d.actions.find((a) => a.action.id === "release-process");
    if (!ptg) throw new Error("missing");
    ptg.lastActivity = "2026-10-01T00:00:00Z";
    const text = renderSummary(d);
    expect(text).toContain("**The charms monorepo** (Liam) — in-progress — 1 item this week");
    expect(text).toContain("  - merged [Move zuul jobs](https://review.opendev.org/c/x/+/1)");
    expect(text).toContain(
      "Document and automate the release process** (unassigned) — open — ⚠ no activity for 7 weeks",
    );
    expect(text).toMatch(/\*\*No activity:\*\* .*release-process \(7 wk\)/);
    expect(text).toContain("- new bugs: 7 (+3)");
    expect(text).toContain("- changes merged: 12 (=)");
  });

  it("says which source was unavailable", () => {
    expect(renderSummary(base({ unavailable: ["launchpad"] }))).toContain("Could not reach: launchpad");
  });

  it("never flags done or dropped actions as stale", () => {
    const d = base();
    const r = { ...d.actions[0]!, status: "done" as const };
    expect(isStale(r, d.until, 3)).toBe(false);
  });
});
