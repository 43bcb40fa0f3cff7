import { describe, expect, it } from "vitest";
import {
  doneKey,
  isFailing,
  markSkipped,
  planRechecks,
  recheckMessage,
  renderRecheckReply,
  renderSuggestion,
  triggerId,
  worthReporting,
  type CandidateChange,
  type TriggerChange,
  type TriggerEvent,
} from "../../../src/features/affected/recheck-plan.js";

const url = (n: number) => `https://review.example.org/c/openstack/sunbeam-charms/+/${n}`;
const trigger: TriggerChange = {
  number: 100,
  project: "openstack/sunbeam-charms",
  branch: "main",
  subject: "Fix the gate",
  url: url(100),
  charms: ["glance-k8s", "keystone-k8s"],
};
const cand = (number: number, charms: string[], verified: { account: string; value: number }[] = []) =>
  ({
    number,
    project: "openstack/sunbeam-charms",
    branch: "main",
    patchSet: 2,
    revision: "f".repeat(40),
    subject: `change ${number}`,
    url: url(number),
    charms,
    verified,
  }) satisfies CandidateChange;
const zuulFail = [{ account: "zuul", value: -1 }];
const opts = { all: false, ciAccounts: ["zuul"], max: 20 };

const summary = (p: ReturnType<typeof planRechecks>) =>
  p.decisions.map((d) => [d.change.number, d.action === "recheck" ? "recheck" : d.reason]);

describe("isFailing", () => {
  it("counts only negative votes by CI accounts, any voter when none are configured", () => {
    expect(isFailing([{ account: "Zuul", value: -2 }], ["zuul"])).toBe(true);
    expect(isFailing([{ account: "alice", value: -1 }], ["zuul"])).toBe(false);
    expect(isFailing([{ account: "zuul", value: 1 }], ["zuul"])).toBe(false);
    expect(isFailing([{ account: "alice", value: -1 }], [])).toBe(true);
    expect(isFailing([], [])).toBe(false);
  });
});

describe("planRechecks", () => {
  const candidates = [
    cand(100, ["keystone-k8s"], zuulFail),
    cand(201, ["keystone-k8s", "nova-k8s"], zuulFail),
    cand(202, ["nova-k8s"], zuulFail),
    cand(203, ["glance-k8s"], [{ account: "zuul", value: 1 }]),
    cand(204, ["glance-k8s"], [{ account: "third-party-ci", value: -1 }]),
    cand(205, ["glance-k8s"], zuulFail),
  ];

  it("rechecks failing changes that share a charm and says why the others are skipped", () => {
    const p = planRechecks(trigger, candidates, opts, new Set());
    expect(summary(p)).toEqual([
      [100, "trigger"],
      [201, "recheck"],
      [202, "no-shared-charm"],
      [203, "not-failing"],
      [204, "not-failing"],
      [205, "recheck"],
    ]);
    expect(p.decisions[1]?.shared).toEqual(["keystone-k8s"]);
  });

  it("--all takes passing changes too, never the trigger or unrelated ones", () => {
    const p = planRechecks(trigger, candidates, { ...opts, all: true }, new Set());
    expect(
      summary(p)
        .filter(([, a]) => a === "recheck")
        .map(([n]) => n),
    ).toEqual([201, 203, 204, 205]);
  });

  // Changed with issue 15: the mark no longer names the trigger (one recheck per failing patch set, whatever
  // the trigger; the history had the same failure suggested up to 77 times, once per merge).
  it("skips a failing patch set already rechecked or suggested for any trigger, not another patch set", () => {
    const done = new Set([doneKey(201, 2), doneKey(205, 1)]);
    const p = planRechecks(trigger, candidates, opts, done);
    expect(summary(p)).toContainEqual([201, "already-rechecked"]);
    expect(summary(p)).toContainEqual([205, "recheck"]);
  });

  it("skips changes in cooldown", () => {
    expect(summary(planRechecks(trigger, candidates, opts, new Set(), new Set([205])))).toContainEqual([
      205,
      "cooldown",
    ]);
  });

  it("caps the rechecks in the given order", () => {
    const p = planRechecks(trigger, candidates, { ...opts, max: 1 }, new Set());
    expect(summary(p)).toContainEqual([201, "recheck"]);
    expect(summary(p)).toContainEqual([205, "over-cap"]);
  });
});

describe("texts", () => {
  it("the Gerrit comment starts with recheck and names trigger and requester", () => {
    const m = recheckMessage(trigger, "@alice:example.org", ["keystone-k8s"]);
    expect(m).toMatch(/^recheck\n/);
    // OpenDev's check trigger, as Zuul applies it to "Patch Set N:\n\n<message>".
    expect(/^(Patch Set [0-9]+:)?( [\w\\+-]*)*(\n\n)?\s*recheck/i.test(`Patch Set 2:\n\n${m}`)).toBe(true);
    expect(m).toContain("@alice:example.org");
    expect(m).toContain(url(100));
    expect(m).toContain("keystone-k8s");
  });

  it("the reply links the rechecked changes and groups the skipped by reason", () => {
    const p = planRechecks(
      trigger,
      [cand(201, ["keystone-k8s"], zuulFail), cand(202, ["nova-k8s"]), cand(203, ["glance-k8s"])],
      opts,
      new Set(),
    );
    const text = renderRecheckReply(p, { dryRun: false, all: false, max: 20 });
    expect(text).toContain(
      `Rechecked 1:\n- [201](${url(201)}) (patch set 2) change 201 — shares \`keystone-k8s\``,
    );
    expect(text).toContain(`- no charm in common: [202](${url(202)})`);
    expect(text).toContain(
      `- no failing Verified vote on the current patch set (use --all to include them): [203](${url(203)})`,
    );
    expect(text).not.toContain("dry run");
  });

  it("dry runs say so, the cap and the failures say what happened", () => {
    let p = planRechecks(
      trigger,
      [cand(201, ["keystone-k8s"], zuulFail), cand(205, ["glance-k8s"], zuulFail)],
      { ...opts, max: 1 },
      new Set(),
    );
    const dry = renderRecheckReply(p, { dryRun: true, all: false, max: 1 });
    expect(dry).toMatch(/^\*\*Dry run: Recheck after/);
    expect(dry).toContain("Would recheck 1:");
    expect(dry).toContain("over the cap of 1 rechecks per command");
    expect(dry).toContain("Nothing was posted (dry run).");
    p = {
      ...p,
      decisions: p.decisions.map((d) =>
        d.action === "recheck" ? markSkipped(d, "post-failed", "HTTP 500") : d,
      ),
    };
    const failed = renderRecheckReply(p, { dryRun: false, all: false, max: 1 });
    expect(failed).toContain("Rechecked nothing.");
    expect(failed).toContain(`- posting the recheck failed: [201](${url(201)}) (HTTP 500)`);
  });

  it("the merge suggestion names the failing changes and the command", () => {
    const text = renderSuggestion({
      trigger,
      sharedReasons: ["ops-sunbeam/ops_sunbeam/core.py (shared: ops-sunbeam)"],
      failing: [cand(201, ["keystone-k8s"], zuulFail)],
      commandPrefix: "!",
    });
    expect(text).toContain("touches shared inputs: ops-sunbeam/ops_sunbeam/core.py (shared: ops-sunbeam)");
    expect(text).toContain(
      `1 open change on main affected by it has a failing Verified vote: [201](${url(201)})`,
    );
    expect(text).toContain("`!recheck-affected 100`");
  });
});

describe("event triggers (an image move)", () => {
  const move: TriggerEvent = {
    id: "oci:ghcr.io/canonical/keystone@sha256:" + "ab".repeat(32),
    label: "ghcr.io/canonical/keystone:2024.1 moved to sha256:abababababab…",
    project: "openstack/sunbeam-charms",
    branch: "main",
    charms: ["keystone-k8s"],
  };
  const candidates = [
    cand(100, ["keystone-k8s"], zuulFail),
    cand(201, ["keystone-k8s", "nova-k8s"], zuulFail),
    cand(202, ["nova-k8s"], zuulFail),
    cand(203, ["keystone-k8s"], [{ account: "zuul", value: 1 }]),
    cand(204, ["keystone-k8s"], zuulFail),
  ];

  // Changed with issue 15: a patch set rechecked for a change trigger is not rechecked for an event either.
  it("keys the dedup marks by change and patch set only; no candidate is skipped as the trigger", () => {
    expect(triggerId(move)).toBe(move.id);
    expect(triggerId(trigger)).toBe("100");
    expect(doneKey(201, 2)).toBe("201:2");
    const p = planRechecks(move, candidates, opts, new Set([doneKey(204, 2), doneKey(201, 2)]));
    expect(summary(p)).toEqual([
      [100, "recheck"],
      [201, "already-rechecked"],
      [202, "no-shared-charm"],
      [203, "not-failing"],
      [204, "already-rechecked"],
    ]);
  });

  it("skips the changes of the run's batch (already rechecked for another move)", () => {
    const p = planRechecks(move, candidates, opts, new Set(), new Set(), new Set([201]));
    expect(summary(p)).toContainEqual([201, "in-batch"]);
    expect(summary(p)).toContainEqual([100, "recheck"]);
  });

  it("the Gerrit comment starts with recheck and names the move and the requester", () => {
    const m = recheckMessage(move, "sunbeam-bot (auto)", ["keystone-k8s"]);
    expect(m).toMatch(/^recheck\n/);
    expect(/^(Patch Set [0-9]+:)?( [\w\\+-]*)*(\n\n)?\s*recheck/i.test(`Patch Set 2:\n\n${m}`)).toBe(true);
    expect(m).toContain(move.label);
    expect(m).toContain("sunbeam-bot (auto)");
    expect(m).toContain("keystone-k8s");
    expect(m).not.toContain("change undefined");
  });

  it("the reply names the move, lists the rechecks and counts the unrelated changes", () => {
    const p = planRechecks(move, candidates, { ...opts, max: 1 }, new Set([doneKey(204, 2)]));
    const text = renderRecheckReply(p, { dryRun: false, all: false, max: 1 });
    expect(text.split("\n")[0]).toBe(
      `**Recheck after ${move.label}** (openstack/sunbeam-charms main; charms: \`keystone-k8s\`; ` +
        "open changes with a failing Verified vote)",
    );
    expect(text).toContain(
      `Rechecked 1:\n- [100](${url(100)}) (patch set 2) change 100 — shares \`keystone-k8s\``,
    );
    expect(text).toContain(
      `- already rechecked or suggested at this patch set (once per failing patch set): [204](${url(204)})`,
    );
    expect(text).toContain(`- over the cap of 1 rechecks per run: [201](${url(201)})`);
    expect(text).toContain("2 other open changes use none of these charms or have no failing Verified vote.");
    expect(text).not.toContain(url(202));
    expect(text).not.toContain("--all");
    const dry = renderRecheckReply(planRechecks(move, candidates, opts, new Set()), {
      dryRun: true,
      all: false,
      max: 20,
    });
    expect(dry).toMatch(/^\*\*Dry run: Recheck after ghcr\.io\/canonical\/keystone:2024\.1 moved/);
    expect(dry).toContain("Would recheck 3:");
    expect(dry).toContain("Nothing was posted (dry run).");
  });

  it("is worth reporting only when something was (or was due to be) rechecked", () => {
    expect(worthReporting(planRechecks(move, candidates, opts, new Set()))).toBe(true);
    const quiet = planRechecks(
      move,
      [cand(202, ["nova-k8s"], zuulFail), cand(203, ["keystone-k8s"])],
      opts,
      new Set(),
    );
    expect(worthReporting(quiet)).toBe(false);
    const capped = planRechecks(move, candidates, { ...opts, max: 0 }, new Set());
    expect(worthReporting(capped)).toBe(true);
  });
});
