import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseGerritLine } from "../../../src/integrations/gerrit/parse.js";
import { commentGist, renderGerritEvent } from "../../../src/features/relay/render-gerrit.js";
import { parseZuulComment } from "../../../src/features/relay/zuul-result.js";
import { roomsFor } from "../../../src/features/relay/filter.js";
import type { GerritEvent } from "../../../src/core/events.js";

const lines = readFileSync("test/fixtures/gerrit-all-types.jsonl", "utf8").trim().split("\n");
const ev = (i: number): GerritEvent => {
  const r = parseGerritLine(lines[i] as string);
  if (!r.ok) throw new Error(r.error);
  return r.event;
};
const opts = { botUser: "sunbeam-bot", botAccounts: ["zuul"] };

describe("renderGerritEvent", () => {
  it("renders one concise line per event type", () => {
    const url = "https://review.opendev.org/c/openstack/sunbeam-charms/+/912345";
    expect(renderGerritEvent(ev(0), opts)?.text).toBe(
      `[openstack/sunbeam-charms] Alice Example proposed 912345,3 on main: Fix keystone TLS — ${url}`,
    );
    expect(renderGerritEvent(ev(1), opts)?.text).toBe(
      `[openstack/sunbeam-charms] Bob Reviewer commented on 912345,3 (Code-Review +2) "LGTM": Fix keystone TLS — ${url}`,
    );
    expect(renderGerritEvent(ev(2), opts)?.text).toBe(
      `[openstack/sunbeam-charms] 912345,3 merged on main: Fix keystone TLS — ${url}`,
    );
    expect(renderGerritEvent(ev(3), opts)?.text).toContain("Alice Example abandoned 912345,3");
    expect(renderGerritEvent(ev(9), opts)?.text).toContain("marked 912345,3 work in progress");
    expect(renderGerritEvent(ev(11), opts)?.text).toContain('set the topic of 912345 to "tls"');
    expect(renderGerritEvent(ev(12), opts)?.text).toContain("(+#gate-fix)");
    expect(renderGerritEvent(ev(13), opts)?.text).toBe(
      "[openstack/sunbeam-new] project created (HEAD refs/heads/main)",
    );
  });

  it("renders nothing for dropped-output, unknown types and the bot's own actions", () => {
    expect(renderGerritEvent(ev(14), opts)).toBeNull();
    expect(renderGerritEvent(ev(17), opts)).toBeNull();
    const own = { ...ev(1), actor: { username: "sunbeam-bot" } };
    expect(renderGerritEvent(own, opts)).toBeNull();
  });

  it("summarises a Zuul report in one line with the failing voting jobs", () => {
    const zuul: GerritEvent = {
      ...ev(1),
      actor: { name: "Zuul", username: "zuul" },
      approvals: [{ type: "Verified", value: -1, oldValue: 0 }],
      comment:
        "Patch Set 3: Verified-1\n\nBuild failed (check pipeline). For information on how to proceed, see https://docs.opendev.org/x\n\n" +
        "- openstack-tox-pep8 https://zuul.opendev.org/b/1 : SUCCESS in 3m 02s\n" +
        "- charm-build-bin-core https://zuul.opendev.org/b/2 : FAILURE in 21m 10s\n" +
        "- func-test-openstack https://zuul.opendev.org/b/3 : POST_FAILURE in 1h 02m 11s\n" +
        "- func-test-tempest https://zuul.opendev.org/b/4 : FAILURE in 40m 0s (non-voting)\n",
    };
    const r = renderGerritEvent(zuul, opts);
    expect(r?.kind).toBe("zuul-result");
    expect(r?.text).toBe(
      "[openstack/sunbeam-charms] Zuul: Verified -1 on 912345,3 (check) — failed: charm-build-bin-core, func-test-openstack — https://review.opendev.org/c/openstack/sunbeam-charms/+/912345",
    );
    // Other comments by a bot account are not relayed at all.
    expect(renderGerritEvent({ ...zuul, comment: "Starting check jobs." }, opts)).toBeNull();
  });

  it("reads Zuul results", () => {
    expect(parseZuulComment("Build succeeded (gate pipeline).\n\n- a https://x : SUCCESS in 1s")).toEqual({
      outcome: "succeeded",
      failedJobs: [],
      jobs: 1,
      pipeline: "gate",
    });
    expect(parseZuulComment("Looks good to me")).toBeNull();
  });

  it("takes the human part of a comment", () => {
    expect(commentGist("Patch Set 2: Code-Review-1\n\n\nPlease add a test.\nAnd docs.")).toBe(
      "Please add a test.",
    );
    expect(commentGist("Patch Set 2: Code-Review+1")).toBe("");
  });
});

describe("relay filters", () => {
  const rule = (o: Partial<Parameters<typeof roomsFor>[0][number]>) => ({
    room: "team",
    projects: ["*"],
    branches: ["*"],
    events: ["patchset-created", "zuul-result"],
    excludeAuthors: [],
    ...o,
  });
  it("matches projects and branches by exact name, glob or ^regex", () => {
    const e = ev(0);
    expect(roomsFor([rule({ projects: ["openstack/sunbeam-charms"] })], e, "patchset-created")).toEqual([
      "team",
    ]);
    expect(roomsFor([rule({ projects: ["openstack/*"] })], e, "patchset-created")).toEqual(["team"]);
    expect(roomsFor([rule({ projects: ["^openstack/sun.*"] })], e, "patchset-created")).toEqual(["team"]);
    expect(roomsFor([rule({ projects: ["openstack/nova"] })], e, "patchset-created")).toEqual([]);
    expect(roomsFor([rule({ branches: ["stable/*"] })], e, "patchset-created")).toEqual([]);
    expect(roomsFor([rule({ branches: ["^(main|master)$"] })], e, "patchset-created")).toEqual(["team"]);
  });
  it("filters event kinds and authors, one entry per room", () => {
    const e = ev(0);
    expect(roomsFor([rule({})], e, "comment-added")).toEqual([]);
    expect(roomsFor([rule({ excludeAuthors: ["alice"] })], e, "patchset-created")).toEqual([]);
    expect(roomsFor([rule({ includeAuthors: ["bob"] })], e, "patchset-created")).toEqual([]);
    expect(roomsFor([rule({}), rule({}), rule({ room: "ops" })], e, "patchset-created")).toEqual([
      "team",
      "ops",
    ]);
  });
});

// Gerrit 3.x events in the shapes OpenDev sends (synthetic numbers and accounts): WIP, removed votes, NoteDb refs.
describe("renderGerritEvent on Gerrit 3.x streams", () => {
  const real = readFileSync("test/fixtures/gerrit-3x-stream-events.jsonl", "utf8").trim().split("\n");
  const ev3 = (i: number): GerritEvent => {
    const r = parseGerritLine(real[i] as string);
    if (!r.ok) throw new Error(r.error);
    return r.event;
  };
  const withEdit = (i: number, edit: (o: Record<string, unknown>) => void): GerritEvent => {
    const o = JSON.parse(real[i] as string) as Record<string, unknown>;
    edit(o);
    const r = parseGerritLine(JSON.stringify(o));
    if (!r.ok) throw new Error(r.error);
    return r.event;
  };

  it("says a removed vote was removed, from the approvals or from the header alone", () => {
    // approvals: Code-Review value "0", oldValue "-1"; header "Patch Set 2: -Code-Review".
    expect(renderGerritEvent(ev3(4), opts)?.text).toMatch(
      /^\[openstack\/sunbeam-charms\] Bob Core removed their Code-Review vote on 932001,2 "Thanks, my concern is addressed\."/,
    );
    // No approvals and no text: the header is all there is, and it is not an empty comment.
    const bare = withEdit(4, (o) => {
      delete o.approvals;
      o.comment = "Patch Set 5: -Code-Review";
    });
    const text = renderGerritEvent(bare, opts)?.text ?? "";
    expect(text).toContain("Bob Core removed their Code-Review vote on 932001,2");
    expect(text).not.toContain("commented");
    // A vote at 0 without oldValue (Gerrit lists untouched labels so) is no removal when the header says none.
    const untouched = withEdit(4, (o) => {
      o.approvals = [{ type: "Code-Review", description: "Code-Review", value: "0" }];
      o.comment = "Patch Set 2:\n\n-Code-Review is what I would have said";
    });
    expect(renderGerritEvent(untouched, opts)?.text).toContain(
      'Bob Core commented on 932001,2 "-Code-Review is',
    );
  });

  it("announces a WIP upload not at all by default, as WIP when asked, and the ready change as the proposal", () => {
    expect(renderGerritEvent(ev3(0), opts)).toBeNull();
    expect(renderGerritEvent(ev3(1), opts)).toBeNull();
    expect(renderGerritEvent(ev3(0), { ...opts, announceWip: true })?.text).toContain(
      "Ada Example uploaded 932001,1 (work in progress) on main",
    );
    const ready = renderGerritEvent(ev3(2), opts);
    expect(ready?.kind).toBe("patchset-created");
    expect(ready?.text).toContain("Ada Example proposed 932001,2 (ready for review) on main");
    // Gerrit may leave the false wip out altogether: still ready.
    const absent = withEdit(2, (o) => delete (o.change as Record<string, unknown>).wip);
    expect(renderGerritEvent(absent, opts)?.text).toContain("proposed 932001,2 (ready for review)");
  });

  it("drops NoteDb /meta ref updates, and names created and deleted refs", () => {
    expect(renderGerritEvent(ev3(5), opts)).toBeNull();
    expect(renderGerritEvent(ev3(6), opts)?.text).toBe(
      "[openstack/sunbeam-charms] Ada Example created refs/changes/01/932001/2 at 447a25f7e7",
    );
    expect(renderGerritEvent(ev3(7), opts)?.text).toBe(
      "[openstack/sunbeam-charms] OpenStack Release Bot created refs/heads/stable/2025.1 at 8700c7a191",
    );
    const deleted = withEdit(7, (o) => {
      const r = o.refUpdate as Record<string, unknown>;
      r.oldRev = r.newRev;
      r.newRev = "0000000000000000000000000000000000000000";
    });
    expect(renderGerritEvent(deleted, opts)?.text).toBe(
      "[openstack/sunbeam-charms] OpenStack Release Bot deleted refs/heads/stable/2025.1",
    );
    expect(renderGerritEvent(ev3(9), opts)?.text).toContain("updated refs/heads/main to 64db262264");
  });
});
