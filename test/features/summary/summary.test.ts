import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/core/config-load.js";
import { loadActions, validateActions } from "../../../src/features/summary/actions.js";
import {
  SummaryConfigSchema,
  evidenceProjects,
  summaryCrossCheck,
  summaryTargets,
} from "../../../src/features/summary/config.js";
import { isStale, renderSummary, type SummaryData } from "../../../src/features/summary/render.js";
import { WEEK_KEY_RE, isoWeekKey } from "../../../src/features/summary/week.js";

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
    lookbackWeeks: 8,
    actions: f.actions.map((action) => ({ action, status: action.status, evidence: [], notes: [] })),
    numbers: [
      { name: "new bugs", value: 7, previous: 4 },
      { name: "changes merged", value: 12, previous: 12 },
    ],
    countersSince: "2026-11-16T09:00:00Z",
    unavailable: [],
    unavailableReasons: {},
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
    expect(text).toContain(
      "- **The charms monorepo** (Liam) — in-progress — 1 item: merged [Move zuul jobs](https://review.opendev.org/c/x/+/1)",
    );
    expect(text).toContain(
      "- **Document and automate the release process** (unassigned) — open — ⚠ no activity for 7 weeks",
    );
    expect(text).toMatch(/\*\*No activity:\*\* .*release-process \(7 wk\)/);
    // Never-seen actions are flagged with the look-back as the bound.
    expect(text).toMatch(/\*\*No activity:\*\* .*multinode-gating \(8\+ wk\)/);
    expect(text).not.toMatch(/No activity:.*charms-monorepo/);
    expect(text).toContain("**Numbers** (change from the previous summary):");
    expect(text).toContain("- new bugs: 7 (+3)");
    expect(text).toContain("- changes merged: 12 (=)");
  });

  it("caps the links per action, counts the rest and strips brackets from titles", () => {
    const d = base();
    const r = d.actions[0]!;
    r.evidence = [1, 2, 3, 4].map((n) => ({
      kind: "change-open" as const,
      title: `[WIP] change ${n}`,
      url: `https://r/c/p/+/${n}`,
      updated: "2026-11-20T10:00:00.000Z",
    }));
    const text = renderSummary(d, 2);
    expect(text).toContain(
      "4 items: open [WIP change 1](https://r/c/p/+/1); open [WIP change 2](https://r/c/p/+/2); +2 more",
    );
    expect(text).not.toContain("https://r/c/p/+/3");
  });

  it("shows who set a status from chat and the latest note", () => {
    const d = base();
    const r = d.actions.find((a) => a.action.id === "single-container-poc")!;
    r.status = "done";
    r.statusSetBy = { by: "@ptl:example.org", at: "2026-11-20T12:00:00.000Z" };
    r.notes = [
      { by: "@a:x", at: "2026-11-18T00:00:00.000Z", text: "old" },
      { by: "@b:x", at: "2026-11-19T00:00:00.000Z", text: "POC merged behind a flag" },
    ];
    expect(renderSummary(d)).toContain(
      "(unassigned) — done (set by @ptl:example.org 2026-11-20) — note (@b:x, 2026-11-19): POC merged behind a flag",
    );
  });

  it("does not flag an action stale when its source was down and nothing older is known", () => {
    const d = base({ unavailable: ["gerrit"] });
    const r = d.actions.find((a) => a.action.id === "multinode-gating")!;
    r.activityUnknown = true;
    const text = renderSummary(d);
    expect(text).toMatch(/Multi-node testing in gating .*— activity unknown \(source unavailable\)/);
    expect(text).not.toMatch(/No activity:.*multinode-gating/);
  });

  it("labels the first summary's counter figures as totals", () => {
    const d = base();
    delete d.countersSince;
    expect(renderSummary(d)).toContain("**Numbers** (first summary: bot counters are totals so far):");
  });

  it("says which source was unavailable", () => {
    expect(renderSummary(base({ unavailable: ["launchpad"] }))).toContain(
      "⚠ Could not reach: launchpad — evidence from there is missing.",
    );
  });

  it("never flags done or dropped actions as stale", () => {
    const d = base();
    const r = { ...d.actions[0]!, status: "done" as const };
    expect(isStale(r, d.until, 3)).toBe(false);
  });
});

describe("summary config", () => {
  const rooms = { team: { network: "matrix", id: "!team:x" } };

  it("defaults to Monday 09:00 London and lists recipients: PTL DMs, then the room", () => {
    const cfg = SummaryConfigSchema.parse({
      ptl: { matrix: "@ptl:example.org", slack: "U0PTL" },
      room: "team",
    });
    expect(cfg).toMatchObject({ cron: "0 9 * * 1", timezone: "Europe/London", lookbackWeeks: 8 });
    expect(summaryTargets(cfg, rooms)).toEqual([
      { network: "matrix", room: "@ptl:example.org", direct: true, key: "matrix" },
      { network: "slack", room: "U0PTL", direct: true, key: "slack" },
      { network: "matrix", room: "!team:x", key: "room:team" },
    ]);
  });

  it("rejects a bad cron, time zone and ids, each named", () => {
    const r = SummaryConfigSchema.safeParse({
      cron: "every monday",
      timezone: "Mars/Olympus",
      ptl: { matrix: "ptl", slack: "ptl" },
    });
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join(".")).sort();
    expect(paths).toEqual(["cron", "ptl.matrix", "ptl.slack", "timezone"]);
  });

  it("cross-checks the room, the PTL's networks and that someone gets it", () => {
    const cfg = SummaryConfigSchema.parse({ ptl: { slack: "U0PTL" }, room: "nope" });
    expect(summaryCrossCheck(cfg, rooms, ["matrix"]).map((p) => p.path)).toEqual([
      "summary.room",
      "summary.ptl.slack",
    ]);
    expect(summaryCrossCheck(SummaryConfigSchema.parse({}), rooms, ["matrix"]).map((p) => p.path)).toEqual([
      "summary.ptl",
    ]);
    expect(summaryCrossCheck(SummaryConfigSchema.parse({ enabled: false }), rooms, [])).toEqual([]);
  });

  it("searches the summary's own projects, else the gerrit and launchpad sections'", () => {
    const cfg = SummaryConfigSchema.parse({});
    expect(evidenceProjects(cfg, ["openstack/sunbeam-charms"], undefined)).toEqual({
      gerrit: ["openstack/sunbeam-charms"],
      launchpad: ["snap-openstack"],
    });
    const own = SummaryConfigSchema.parse({ gerritProjects: ["a/b"], launchpadProjects: ["sunbeam-charms"] });
    expect(evidenceProjects(own, ["x/y"], ["z"])).toEqual({ gerrit: ["a/b"], launchpad: ["sunbeam-charms"] });
  });
});

describe("ISO weeks", () => {
  it("keys a week by the local date in the configured zone", () => {
    // Sunday 23:30 UTC is already Monday in Tokyo: a different ISO week there.
    const at = new Date("2026-11-22T23:30:00Z");
    expect(isoWeekKey(at, "UTC")).toBe("2026-W47");
    expect(isoWeekKey(at, "Asia/Tokyo")).toBe("2026-W48");
  });

  it("gives the ISO year at the turn of a year", () => {
    expect(isoWeekKey(new Date("2027-01-01T12:00:00Z"))).toBe("2026-W53");
    expect(isoWeekKey(new Date("2025-12-29T12:00:00Z"))).toBe("2026-W01");
    expect(WEEK_KEY_RE.test("2026-W01")).toBe(true);
  });
});
