import { describe, expect, it } from "vitest";
import type { ChangeInfo } from "../../../src/integrations/gerrit/client.js";
import { validateActions, type ActionsFile } from "../../../src/features/summary/actions.js";
import { evidenceQueries, gerritTime, isoOrEmpty } from "../../../src/features/summary/collect.js";
import { parseSince } from "../../../src/features/summary/cli.js";
import { counterDelta, median } from "../../../src/core/counters.js";
import { charmsTouched, hasKeyword, matchChange } from "../../../src/features/summary/match.js";
import { assembleSummary, FIGURES, type Collected } from "../../../src/features/summary/report.js";
import { isStale } from "../../../src/features/summary/render.js";
import { makeChange } from "../../fakes/gerrit-rest.js";

const UNTIL = new Date("2026-11-23T09:00:00Z");
const SINCE = new Date("2026-11-16T09:00:00Z");
const WEB = "https://review.example.org";
const W = { since: SINCE, until: UNTIL, lookbackWeeks: 8, webUrl: WEB };

const file: ActionsFile = validateActions(
  {
    cycle: "test",
    staleAfterWeeks: 3,
    actions: [
      {
        id: "mono",
        title: "Monorepo",
        owner: "Liam",
        evidence: { gerrit: { projects: ["openstack/sunbeam-charms"], topics: ["monorepo"] } },
      },
      { id: "multinode", title: "Multi-node", evidence: { gerrit: { paths: ["zuul.d/nodesets.yaml"] } } },
      { id: "docs", title: "Docs", evidence: { docs: { paths: ["doc/source/how-to/"] } } },
      {
        id: "bugs",
        title: "Bug guidance",
        evidence: { launchpad: { tags: ["needs-debug-info"], bugs: [7] } },
      },
      { id: "quiet", title: "Quiet", evidence: { gerrit: { keywords: ["nothing matches this"] } } },
    ],
  },
  "test",
);

/** Gerrit's timestamp form ("YYYY-MM-DD HH:MM:SS.000000000", UTC). */
const gt = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}.000000000`;

function change(
  n: number,
  o: { status?: string; at: string; files?: string[] } & Partial<ChangeInfo>,
): ChangeInfo {
  const { at, files, ...rest } = o;
  const c = makeChange(n, { updated: gt(at), ...rest });
  if (c.status === "MERGED") c.submitted = gt(at);
  if (files) {
    const rev = c.revisions?.[c.current_revision ?? ""];
    if (rev) rev.files = Object.fromEntries(files.map((f) => [f, {}]));
  }
  return c;
}

const byId = (d: ReturnType<typeof assembleSummary>["data"], id: string) => {
  const r = d.actions.find((a) => a.action.id === id);
  if (!r) throw new Error(`no ${id}`);
  return r;
};

describe("assembleSummary", () => {
  const changes = [
    change(101, { status: "MERGED", at: "2026-11-20T10:00:00Z", topic: "monorepo" }),
    // Same topic in another project: the action is restricted to sunbeam-charms.
    change(102, {
      status: "MERGED",
      at: "2026-11-20T11:00:00Z",
      topic: "monorepo",
      project: "openstack/other",
    }),
    change(103, { status: "NEW", at: "2026-11-21T10:00:00Z", files: ["zuul.d/nodesets.yaml"] }),
    change(104, { status: "ABANDONED", at: "2026-11-21T10:00:00Z", topic: "monorepo" }),
    // Docs merged five weeks ago: activity, but not this week's evidence.
    change(105, { status: "MERGED", at: "2026-10-19T09:00:00Z", files: ["doc/source/how-to/x.rst"] }),
    change(106, {
      status: "MERGED",
      at: "2026-11-18T10:00:00Z",
      files: ["charms/keystone-k8s/src/charm.py", "charms/storage/cinder-ceph-k8s/x", "charms/nova-k8s/y"],
    }),
    change(107, { status: "MERGED", at: "2026-11-19T10:00:00Z", files: ["charms/keystone-k8s/a"] }),
  ];
  const bugs = [
    {
      id: 5,
      title: "Needs logs",
      tags: ["needs-debug-info"],
      url: "https://bugs/5",
      updated: "2026-11-22T00:00:00.000Z",
    },
    { id: 6, title: "Other", tags: ["ui"], url: "https://bugs/6", updated: "2026-11-22T00:00:00.000Z" },
    { id: 7, title: "Named", tags: [], url: "https://bugs/7", updated: "2026-11-01T00:00:00.000Z" },
  ];
  const base: Collected = { changes, bugs, newBugs: 4, unavailable: {} };

  it("puts each change and bug under the action it matches, and nowhere else", () => {
    const { data } = assembleSummary(file, base, W);
    expect(byId(data, "mono").evidence.map((e) => e.url)).toEqual([
      `${WEB}/c/openstack/sunbeam-charms/+/101`,
    ]);
    expect(byId(data, "multinode").evidence).toEqual([
      {
        kind: "change-open",
        title: "Change 103",
        url: `${WEB}/c/openstack/sunbeam-charms/+/103`,
        updated: "2026-11-21T10:00:00.000Z",
      },
    ]);
    expect(byId(data, "bugs").evidence.map((e) => e.title)).toEqual(["#5 Needs logs"]);
    expect(byId(data, "docs").evidence).toEqual([]);
    expect(byId(data, "quiet").evidence).toEqual([]);
  });

  it("flags only the action with no activity for staleAfterWeeks, and knows the last activity", () => {
    const { data } = assembleSummary(file, base, W);
    expect(byId(data, "docs").lastActivity).toBe("2026-10-19T09:00:00.000Z");
    expect(isStale(byId(data, "docs"), data.until, 3)).toBe(true);
    expect(isStale(byId(data, "quiet"), data.until, 3)).toBe(true);
    expect(isStale(byId(data, "mono"), data.until, 3)).toBe(false);
    // Bug 7 (named) moved 3 weeks ago, but bug 5 moved this week.
    expect(isStale(byId(data, "bugs"), data.until, 3)).toBe(false);
  });

  it("carries an older summary's last activity forward and never flags an action whose source is down", () => {
    const previous = {
      week: "2026-W47",
      at: SINCE.toISOString(),
      figures: [],
      counters: {},
      lastActivity: { quiet: "2026-11-10T00:00:00.000Z" },
    };
    const { data } = assembleSummary(
      file,
      { unavailable: { gerrit: "connect ECONNREFUSED" }, bugs, newBugs: 1, previous },
      W,
    );
    expect(byId(data, "quiet").lastActivity).toBe("2026-11-10T00:00:00.000Z");
    expect(isStale(byId(data, "quiet"), data.until, 3)).toBe(false);
    expect(byId(data, "multinode").activityUnknown).toBe(true);
    expect(isStale(byId(data, "multinode"), data.until, 3)).toBe(false);
    // Launchpad was read: its evidence is still there.
    expect(byId(data, "bugs").evidence).toHaveLength(1);
    expect(data.unavailable).toEqual(["gerrit"]);
    expect(data.unavailableReasons).toEqual({ gerrit: "connect ECONNREFUSED" });
    const merged = data.numbers.find((f) => f.name === FIGURES.merged);
    expect(merged?.value).toBeNull();
  });

  it("counts the week's numbers, with deltas from the previous snapshot's figures and counters", () => {
    const previous = {
      week: "2026-W47",
      at: SINCE.toISOString(),
      figures: [
        { name: FIGURES.newBugs, value: 6 },
        { name: FIGURES.merged, value: 3 },
        { name: FIGURES.images, value: 1 },
      ],
      counters: { "oci:announced": 10, "triage:prompted": 2, "gerrit:connected-seconds": 1000 },
      lastActivity: {},
    };
    const counters = {
      "oci:announced": 13,
      "triage:prompted": 5,
      "recheck:posted": 4,
      "gerrit:connected-seconds": 1000 + 7 * 86400 * 0.5,
    };
    const { data, snapshot } = assembleSummary(
      file,
      { ...base, counters, previous, completions: [3600, 7200, 36000] },
      W,
    );
    const fig = Object.fromEntries(data.numbers.map((f) => [f.name, f]));
    expect(fig[FIGURES.newBugs]).toEqual({ name: FIGURES.newBugs, value: 4, previous: 6 });
    // 101, 102, 106, 107 merged in the window (105 is older).
    expect(fig[FIGURES.merged]).toEqual({ name: FIGURES.merged, value: 4, previous: 3 });
    // makeChange's default file is under keystone-k8s: 101, 102, 106 and 107 all touch it.
    expect(fig[FIGURES.perCharm]?.value).toBe("keystone-k8s 4, cinder-ceph-k8s 1, nova-k8s 1");
    expect(fig[FIGURES.images]).toEqual({ name: FIGURES.images, value: 3, previous: 1 });
    expect(fig[FIGURES.prompts]?.value).toBe(3);
    expect(fig[FIGURES.rechecks]?.value).toBe(4);
    expect(fig[FIGURES.completed]?.value).toBe(3);
    expect(fig[FIGURES.medianHours]?.value).toBe(2);
    expect(fig[FIGURES.uptime]?.value).toBe(50);
    // Never written by anything: unknown, not zero.
    expect(fig[FIGURES.reconnects]?.value).toBeNull();
    expect(data.countersSince).toBe(SINCE.toISOString());
    expect(snapshot.counters).toBe(counters);
    expect(snapshot.at).toBe(UNTIL.toISOString());
    expect(snapshot.figures.find((f) => f.name === FIGURES.merged)).toEqual({
      name: FIGURES.merged,
      value: 4,
    });
    expect(snapshot.lastActivity.docs).toBe("2026-10-19T09:00:00.000Z");
  });

  it("applies chat updates: status with who and when, and notes", () => {
    const { data } = assembleSummary(
      file,
      {
        ...base,
        overrides: {
          quiet: {
            status: "dropped",
            statusSetBy: { by: "@ptl:x", at: "2026-11-20T00:00:00.000Z" },
            notes: [{ by: "@ptl:x", at: "2026-11-20T00:00:00.000Z", text: "not this cycle" }],
          },
        },
      },
      W,
    );
    const q = byId(data, "quiet");
    expect(q.status).toBe("dropped");
    expect(q.statusSetBy?.by).toBe("@ptl:x");
    expect(q.notes.map((n) => n.text)).toEqual(["not this cycle"]);
    expect(isStale(q, data.until, 3)).toBe(false);
  });
});

describe("matching and helpers", () => {
  it("matches keywords as whole words", () => {
    expect(hasKeyword("Bump rocks to 2024.1", "rocks")).toBe(true);
    expect(hasKeyword("Use rocksdb", "rocks")).toBe(false);
    expect(hasKeyword("multi-node job", "multi node")).toBe(true);
  });

  it("takes charm names from charms/ and charms/storage/ paths", () => {
    expect(
      charmsTouched(["charms/storage/cinder-ceph-k8s/a", "charms/keystone-k8s/b", "ops-sunbeam/x"]),
    ).toEqual(["cinder-ceph-k8s", "keystone-k8s"]);
  });

  it("counts a rename's old path and ignores Gerrit's magic files", () => {
    const c = makeChange(9, { status: "MERGED", submitted: gt("2026-11-20T00:00:00Z") });
    const rev = c.revisions?.[c.current_revision ?? ""];
    if (rev) rev.files = { "/COMMIT_MSG": {}, "zuul.d/new.yaml": { old_path: "zuul.d/nodesets.yaml" } };
    expect(matchChange(file.actions[1]!, c, WEB)?.kind).toBe("change-merged");
  });

  it("builds the Gerrit queries and reads dates", () => {
    expect(evidenceQueries(new Date("2026-09-28T09:00:00Z"), ["a/b", "c/d"])).toEqual([
      '(project:a/b OR project:c/d) status:merged after:"2026-09-28 09:00:00"',
      '(project:a/b OR project:c/d) status:open after:"2026-09-28 09:00:00"',
    ]);
    expect(gerritTime(new Date("2026-01-02T03:04:05.678Z"))).toBe("2026-01-02 03:04:05");
    expect(isoOrEmpty("2026-11-20T10:00:00.123456+00:00")).toBe("2026-11-20T10:00:00.123Z");
    expect(isoOrEmpty(undefined)).toBe("");
    expect(parseSince("2026-11-01").toISOString()).toBe("2026-11-01T00:00:00.000Z");
    expect(() => parseSince("last week")).toThrow(/--since: not a date/);
  });

  it("takes a median and counter growth (a reset shows the new total)", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(counterDelta({ a: 7 }, { a: 5 }, "a")).toBe(2);
    expect(counterDelta({ a: 3 }, { a: 5 }, "a")).toBe(3);
    expect(counterDelta({}, { a: 5 }, "a")).toBeNull();
  });
});
