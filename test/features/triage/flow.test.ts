// Unit tests of the triage's pure parts: flow decisions, bug input, the verdict report, the CLI's file form, config.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/core/errors.js";
import { bugForTriage, personName } from "../../../src/features/triage/bug-input.js";
import { loadChecklist } from "../../../src/features/triage/checklist.js";
import { readBugFile, triageCli } from "../../../src/features/triage/cli.js";
import { launchpadConfig, launchpadProblems } from "../../../src/features/triage/config.js";
import {
  NOT_SET_REPLIED,
  dryRunLine,
  findMarkers,
  humanHandledReason,
  isBotMessage,
  lastMessageDate,
  reporterMessagesAfter,
  takeoverDuringPrompt,
  takeoverOnReply,
} from "../../../src/features/triage/flow.js";
import { markerLine, renderComplete } from "../../../src/features/triage/prompt.js";
import {
  renderReportChat,
  renderReportText,
  reportJson,
  triageReport,
} from "../../../src/features/triage/report.js";
import renderTriageCommand from "../../../src/features/triage/commands.js";

const API = "https://api.launchpad.net/devel";
const msg = (owner: string, content: string, date: string) => ({
  owner_link: `${API}/~${owner}`,
  content,
  date_created: date,
  self_link: `${API}/snap-openstack/+bug/1/comments/x`,
});
const who = { reporter: "reporter", botAccount: "sunbeam-bot" };
const fixtures = join(import.meta.dirname, "..", "..", "fixtures", "bugs");

describe("flow decisions", () => {
  const first = msg("reporter", "desc", "2025-01-01T10:00:00Z");

  it("a human handled the bug: status, importance, assignee, milestone, or someone else's comment", () => {
    const task = { status: "New", importance: "Undecided", assignee_link: null, milestone_link: null };
    expect(humanHandledReason(task, [first], who)).toBeUndefined();
    expect(humanHandledReason({ ...task, status: "Confirmed" }, [first], who)).toBe("status is Confirmed");
    expect(humanHandledReason({ ...task, importance: "High" }, [first], who)).toBe("importance is High");
    expect(humanHandledReason({ ...task, assignee_link: `${API}/~jane` }, [first], who)).toBe(
      "assigned to jane",
    );
    expect(humanHandledReason({ ...task, milestone_link: `${API}/x/+milestone/1` }, [first], who)).toMatch(
      /milestone/,
    );
    const others = [
      first,
      msg("reporter", "more", "2025-01-01T10:01:00Z"),
      msg("jane", "on it", "2025-01-01T10:02:00Z"),
    ];
    expect(humanHandledReason(task, others, who)).toBe("jane commented");
    // The bot's own comments (by account, or by marker when no account is configured) are not a human's.
    const bots = [
      first,
      msg("sunbeam-bot", "hi", "2025-01-01T10:03:00Z"),
      msg("other-bot", markerLine(["steps"]), "2025-01-01T10:04:00Z"),
    ];
    expect(humanHandledReason(task, bots, who)).toBeUndefined();
    expect(isBotMessage(bots[2]!, { reporter: "reporter" })).toBe(true);
  });

  it("finds our first prompt and our thanks by their markers", () => {
    const p1 = msg("sunbeam-bot", `ask\n${markerLine(["steps", "os_release"])}`, "2025-01-01T10:05:00Z");
    const p2 = msg("sunbeam-bot", `again\n${markerLine(["steps"])}`, "2025-01-01T10:06:00Z");
    const t = msg("sunbeam-bot", renderComplete(), "2025-01-01T10:07:00Z");
    const m = findMarkers([first, p1, p2, t]);
    expect(m.prompt?.missing).toEqual(["steps", "os_release"]);
    expect(m.prompt?.message).toBe(p1);
    expect(m.complete).toBe(t);
    expect(findMarkers([first])).toEqual({});
  });

  it("reporter messages after a point, and the newest message date", () => {
    const ms = [
      first,
      msg("reporter", "a", "2025-01-01T11:00:00Z"),
      msg("jane", "b", "2025-01-01T12:00:00Z"),
      msg("reporter", "c", "2025-01-01T13:00:00+00:00"),
    ];
    expect(reporterMessagesAfter(ms, "reporter", "2025-01-01T11:00:00Z").map((m) => m.content)).toEqual([
      "c",
    ]);
    expect(reporterMessagesAfter(ms, undefined, "2025-01-01T00:00:00Z")).toEqual([]);
    expect(lastMessageDate(ms)).toBe("2025-01-01T13:00:00+00:00");
  });

  it("takeover between our prompt steps and on a reply", () => {
    const t = (status: string, over = {}) => ({ status, ...over });
    expect(takeoverDuringPrompt(t("New"), {})).toBeUndefined();
    expect(takeoverDuringPrompt(t("Incomplete"), {})).toBeUndefined(); // ours, not yet recorded
    expect(takeoverDuringPrompt(t("Triaged"), {})).toBe("status is Triaged");
    expect(takeoverDuringPrompt(t("New", { importance: "Low" }), {})).toBe("importance is Low");
    expect(takeoverDuringPrompt(t("New"), { status: "Incomplete" })).toBe("status is New");
    expect(takeoverDuringPrompt(t("New"), { status: NOT_SET_REPLIED })).toBeUndefined();

    const tag = "needs-debug-info";
    expect(takeoverOnReply(t("Incomplete"), [tag], { status: "Incomplete", tag }, tag)).toBeUndefined();
    expect(takeoverOnReply(t("Confirmed"), [tag], { status: "Incomplete", tag }, tag)).toBe(
      "status is Confirmed",
    );
    expect(takeoverOnReply(t("Incomplete"), [], { status: "Incomplete", tag }, tag)).toBe(
      "tag needs-debug-info was removed",
    );
    expect(
      takeoverOnReply(t("New"), [], { status: NOT_SET_REPLIED, tag: NOT_SET_REPLIED }, tag),
    ).toBeUndefined();
  });

  it("dry-run line lists the intended writes", () => {
    expect(
      dryRunLine([
        { kind: "tags", remove: "x1" },
        { kind: "status", to: "New" },
        { kind: "comment", what: "thanks" },
      ]),
    ).toBe("Would write to Launchpad: remove tag x1; status → New; comment thanking the reporter.");
    expect(dryRunLine([])).toBe("");
  });
});

describe("Launchpad data → evaluator input", () => {
  it("reads the reporter from the owner link, keeps only their comments as theirs, names attachments", () => {
    expect(personName(`${API}/~j%C3%BCrgen`)).toBe("jürgen");
    expect(personName(null)).toBeUndefined();
    const input = bugForTriage({
      bug: { id: 1, title: "t", description: null, tags: ["x1"], owner_link: `${API}/~reporter` },
      messages: [
        msg("reporter", "the description", "2025-01-01T10:00:00Z"),
        msg("jane", "triager", "2025-01-01T11:00:00Z"),
        msg("reporter", "mine", "2025-01-01T12:00:00Z"),
      ],
      attachments: [
        { title: "juju status output", filename: "juju_status.txt" },
        { title: "x.log", filename: "x.log" },
      ],
    });
    expect(input).toEqual({
      title: "t",
      description: "the description",
      tags: ["x1"],
      attachments: [
        { name: "juju_status.txt", title: "juju status output", fromReporter: true },
        { name: "x.log", fromReporter: true },
      ],
      comments: [
        { author_is_reporter: false, content: "triager" },
        { author_is_reporter: true, content: "mine" },
      ],
      reporter: "reporter",
    });
  });
});

describe("the verdict report", () => {
  const cl = loadChecklist();
  const input = readBugFile(join(fixtures, "incomplete-screenshots.json")).input;
  const r = triageReport(cl, input, {
    id: 2081234,
    title: input.title,
    url: "https://bugs.launchpad.net/bugs/2081234",
  });

  it("is the contract's JSON", () => {
    const j = reportJson(r);
    expect(Object.keys(j).slice(0, 4)).toEqual(["bug", "complete", "missing", "present"]);
    expect(j).toMatchObject({
      bug: 2081234,
      complete: false,
      present: ["snap_version", "steps"],
      partial: ["error_output"],
    });
    expect(j.missing).toEqual([
      "os_release",
      "deployment",
      "error_output",
      "juju_status",
      "sunbeam_logs",
      "diag_bundle",
    ]);
  });

  it("text: a verdict line and one line per item", () => {
    const t = renderReportText(r);
    expect(t).toMatch(/^Bug #2081234 "2024\.1\/stable rev 599/);
    expect(t).toContain("Incomplete: 6 of 8 required items missing: os_release, deployment,");
    expect(t).toMatch(/^ {2}ok +snap_version +the openstack snap channel and revision \[2024\.1\/stable\]$/m);
    expect(t).toMatch(/^ {2}PARTIAL +error_output .*\(something found, not enough\) \[Screenshot.*\.png\]$/m);
    expect(t).toMatch(/^ {2}- +manifest .*\(not needed for this bug\)$/m);
    expect(t).toMatch(/^ {2}advised +k8s_inspect .*\(recommended, never required\)$/m);
    expect(t.split("\n")).toHaveLength(2 + 1 + cl.items.length);
  });

  // Was: complete false beside `skipped`, which is not what the bot does (issue 14): the decision is the bot's.
  it("a skipped bug is the bot's decision (complete, nothing missing), its evaluation beside it", () => {
    const rfe = readBugFile(join(fixtures, "rfe-skipped.json")).input;
    const s = triageReport(cl, rfe, { id: null, title: rfe.title });
    expect(s.skipped).toMatch(/title starts with/);
    expect(s).toMatchObject({ complete: true, missing: [] });
    expect(s.evaluation.complete).toBe(false);
    expect(renderReportText(s)).toMatch(/The bot would leave this bug alone: title starts with/);
    const j = reportJson(s);
    expect(j).toMatchObject({
      bug: null,
      complete: true,
      missing: [],
      skipped: expect.stringMatching(/RFE|title/),
    });
    expect((j.evaluation as { missing: string[] }).missing.length).toBeGreaterThan(0);
    const anyway = reportJson(triageReport(cl, rfe, { id: null, title: rfe.title }, { ignoreSkip: true }));
    expect(anyway).toMatchObject({
      complete: false,
      skipIgnored: expect.stringMatching(/title starts with/),
    });
    expect(anyway.skipped).toBeUndefined();
  });

  it("chat: missing items named and described", () => {
    const c = renderReportChat(r);
    expect(c.split("\n")[0]).toBe(
      '**Bug #2081234 "2024.1/stable rev 599 - sunbeam cluster bootstrap stuck at Deploying OpenStack Control Plane"** https://bugs.launchpad.net/bugs/2081234',
    );
    expect(c).toContain("Missing 6 of 8 required items:");
    expect(c).toContain("- `error_output`: the observed failure, as text (partly there)");
    expect(c).toContain("Present: `snap_version`");
    expect(c).toContain("Also useful: `k8s_inspect`");
  });
});

describe("triage CLI (file form)", () => {
  const dir = mkdtempSync(join(tmpdir(), "triage-cli-"));
  const write = (name: string, body: string) => {
    const f = join(dir, name);
    writeFileSync(f, body);
    return f;
  };

  it("prints the JSON document for a bug file", async () => {
    const r = await triageCli({ file: join(fixtures, "complete-multinode-sosreport.json"), json: true });
    const j = JSON.parse(r.output) as Record<string, unknown>;
    expect(j).toMatchObject({ complete: true, missing: [] });
    expect(r.exitCode).toBe(0);
  });

  it("names the field of every problem in a bad file", async () => {
    const f = write(
      "bad.json",
      JSON.stringify({ description: 3, attachments: ["ok", 7], comments: [{ content: "x" }] }),
    );
    const err = await triageCli({ file: f, json: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const m = (err as Error).message;
    expect(m).toContain(`${f}: not a bug file`);
    expect(m).toMatch(/^ {2}title: /m);
    expect(m).toMatch(/^ {2}description: /m);
    expect(m).toMatch(/^ {2}attachments\.1: /m);
    expect(m).toMatch(/^ {2}comments\.0\.author_is_reporter: /m);
  });

  it("reports unreadable files, non-JSON and wrong option combinations as user errors", async () => {
    await expect(triageCli({ file: join(dir, "absent.json"), json: false })).rejects.toThrow(
      /cannot read the bug file \(ENOENT\)/,
    );
    await expect(triageCli({ file: write("x.json", "{nope"), json: false })).rejects.toThrow(/not JSON/);
    await expect(triageCli({ json: false })).rejects.toThrow(/exactly one of --file/);
    await expect(triageCli({ file: "a", bug: "1", json: false })).rejects.toThrow(/exactly one of --file/);
  });

  it("uses the checklist given with --checklist", async () => {
    const own = write("own.yaml", "version: 2\n");
    await expect(
      triageCli({ file: join(fixtures, "rfe-skipped.json"), checklist: own, json: true }),
    ).rejects.toThrow(/version/);
  });
});

describe("!triage", () => {
  it("refuses where triage is not enabled, and renders the service's report", async () => {
    const ctx = { services: {} } as Parameters<typeof renderTriageCommand.run>[0];
    await expect(renderTriageCommand.run(ctx, { bug: "1" })).rejects.toThrow(/not enabled/);
    const cl = loadChecklist();
    const report = triageReport(
      cl,
      { title: "t", description: "", tags: [], attachments: [] },
      { id: 5, title: "t" },
    );
    const withService = {
      services: { triage: async (b: string) => ({ ...report, bug: Number(b) }) },
    } as unknown as typeof ctx;
    expect(await renderTriageCommand.run(withService, { bug: "7" })).toMatch(
      /^\*\*Bug #7 "t"\*\*\nMissing 8 of 8/,
    );
    expect(renderTriageCommand.args.safeParse({ bug: "#2081234" }).success).toBe(true);
    expect(renderTriageCommand.args.safeParse({ bug: "; rm -rf" }).success).toBe(false);
  });
});

describe("launchpad config", () => {
  it("defaults to dry-run, and cross-checks the triage room", () => {
    const c = launchpadConfig();
    expect(c).toMatchObject({
      enabled: true,
      writes: false,
      projects: ["snap-openstack"],
      tag: "needs-debug-info",
    });
    expect(launchpadProblems(launchpadConfig({ triageRoom: "bugs" }), ["dev"])).toEqual([
      { path: "launchpad.triageRoom", message: "unknown room (rooms: dev)", value: "bugs" },
    ]);
    expect(launchpadProblems(launchpadConfig({ writes: true }), ["dev"])[0]?.message).toMatch(
      /no triage room/,
    );
    expect(launchpadProblems(launchpadConfig({ writes: true, triageRoom: "dev" }), ["dev"])).toEqual([]);
    expect(() => launchpadConfig({ tag: "Needs Info" })).toThrow(/valid Launchpad tag/);
  });
});
