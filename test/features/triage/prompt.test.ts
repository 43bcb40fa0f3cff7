// Unit tests of the triage texts: the Launchpad prompt and its marker, the thanks, and the triage-room note.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BugInputSchema,
  evaluate,
  loadChecklist,
  type Verdict,
} from "../../../src/features/triage/checklist.js";
import {
  MARKER,
  markerLine,
  parseMarker,
  renderComplete,
  promptWords,
  renderPrompt,
  renderTriageNote,
} from "../../../src/features/triage/prompt.js";

const cl = loadChecklist();
const fixture = (name: string) =>
  BugInputSchema.parse(
    JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "fixtures", "bugs", name), "utf8")),
  );
const verdict = (over: Partial<Verdict>): Verdict => ({
  complete: false,
  missing: [],
  present: [],
  partial: [],
  advisory: [],
  ...over,
});

describe("renderPrompt", () => {
  const v = evaluate(cl, fixture("incomplete-screenshots.json"));
  const text = renderPrompt(cl, v);

  // Was: every missing item numbered, juju status and the log asked beside the sosreport that carries them, and
  // `admin/controller` named (issue 14: too long, and a model current deployments no longer use for the nodes).
  it("thanks, leads with the sosreport, then lists only what it does not carry, each with its command", () => {
    expect(text.startsWith("Thanks for the report.")).toBe(true);
    const numbered = text.match(/^\d+\. /gm) ?? [];
    expect(numbered).toHaveLength(v.missing.length - 2); // juju_status and sunbeam_logs: in the sosreport
    expect(text).toMatch(/^1\. A sosreport/m);
    expect(text).toMatch(/^ +sudo sos report -k sunbeam\.juju-allow-login=True$/m);
    expect(text).toMatch(/^2\. The Ubuntu release/m);
    expect(text).toMatch(/^ +lsb_release -a$/m);
    expect(text).not.toMatch(/juju status -m|admin\/controller/);
    // present: not asked again
    expect(text).not.toContain("snap list openstack");
    expect(promptWords(text)).toBeLessThanOrEqual(120);
  });

  it("asks for juju status of both current models when no sosreport is asked for", () => {
    const p = renderPrompt(cl, verdict({ missing: ["juju_status"] }));
    expect(p).toMatch(
      /^ +sunbeam utils juju-login\n +juju status -m openstack\n +juju status -m openstack-machines$/m,
    );
    expect(p).toMatch(/--clean/);
  });

  it("asks for text when only screenshots were given (partial)", () => {
    expect(text).toContain("please also paste the error as text");
  });

  it("says how to redact, links the docs, says Incomplete and that a reply re-opens it", () => {
    expect(text).toMatch(/sos masks known passwords and keys; add `--clean`/);
    expect(text).toContain(
      "https://canonical-openstack.readthedocs-hosted.com/en/latest/how-to/troubleshooting/inspecting-the-cluster/",
    );
    expect(text).toMatch(/set this bug to Incomplete/);
    expect(text).toMatch(/replying sets it back for triage/);
    expect(renderPrompt(cl, v, { statusNote: false })).not.toMatch(/Incomplete/);
  });

  it("recommends advisory items without numbering them", () => {
    expect(v.advisory).toEqual(["k8s_inspect"]);
    expect(text).toMatch(/^- A Kubernetes inspection report/m);
    expect(text).toMatch(/^ +sudo k8s inspect$/m);
    expect(renderPrompt(cl, v, { advisory: false })).not.toContain("k8s inspect");
  });

  it("never tells anyone to run sunbeam inspect", () => {
    const all = renderPrompt(
      cl,
      verdict({ missing: [...cl.data.order], partial: [...cl.data.order], advisory: ["k8s_inspect"] }),
    );
    expect(all).not.toMatch(/sunbeam\s+inspect/i);
    expect(all).toContain("with passwords, tokens and certificates removed");
  });

  it("ends with the marker listing the missing ids, which parseMarker reads back", () => {
    const last = text.trimEnd().split("\n").at(-1);
    expect(last).toBe(`${MARKER} missing=${v.missing.join(",")}`);
    expect(parseMarker(text)).toEqual({ missing: v.missing, complete: false });
  });

  it("uses the checklist's partial hint for a channel without revision", () => {
    const p = renderPrompt(cl, verdict({ missing: ["snap_version"], partial: ["snap_version"] }));
    // a confirmation, naming what was seen, not "missing"
    expect(p).toMatch(/^1\. We see the channel \(…\) but not the revision; please confirm with:$/m);
    const seen = renderPrompt(
      cl,
      verdict({
        missing: ["snap_version"],
        partial: ["snap_version"],
        decisions: { snap_version: { state: "partial", confidence: 1, evidence: "2024.1/edge" } },
      }),
    );
    expect(seen).toContain("We see the channel (2024.1/edge) but not the revision");
    expect(p.trimEnd().endsWith("sunbeam-triage:v1 missing=snap_version")).toBe(true);
  });

  it("takes its texts from the checklist data", () => {
    const custom = loadChecklist();
    const mine = {
      ...custom,
      data: { ...custom.data, messages: { ...custom.data.messages, intro: "Hi there!" } },
    };
    expect(renderPrompt(mine, verdict({ missing: ["steps"] })).startsWith("Hi there!")).toBe(true);
  });

  it("refuses to render a prompt with nothing missing", () => {
    expect(() => renderPrompt(cl, verdict({ complete: true }))).toThrow(/nothing is missing/);
  });
});

describe("markers", () => {
  it("renderComplete thanks and carries the complete marker", () => {
    const t = renderComplete(cl);
    expect(t).toMatch(/^Thank you, the debug information is now complete/);
    expect(t.endsWith(`${MARKER} complete`)).toBe(true);
    expect(parseMarker(t)).toEqual({ missing: [], complete: true });
    expect(renderComplete()).toBe(t);
  });

  it("parseMarker: none, the last one wins, quoted markers do not count", () => {
    expect(parseMarker("just a comment")).toBeNull();
    expect(parseMarker("sunbeam-triage:v2 missing=steps")).toBeNull();
    expect(parseMarker("> sunbeam-triage:v1 missing=steps")).toBeNull();
    expect(
      parseMarker(`${markerLine(["steps"])}\nlater\n${markerLine(["diag_bundle", "manifest"])}\n`),
    ).toEqual({
      missing: ["diag_bundle", "manifest"],
      complete: false,
    });
    expect(parseMarker("x\r\nsunbeam-triage:v1 missing=os_release\r\n")?.missing).toEqual(["os_release"]);
    expect(parseMarker("x\nsunbeam-triage:v1 missing=os_release  \n")).toEqual({
      missing: ["os_release"],
      complete: false,
    });
  });
});

describe("renderTriageNote", () => {
  const bug = { id: 2081234, title: "2024.1/stable rev 599 -\n bootstrap stuck" };

  it("names the bug, its link and the missing ids; dry-run says what it would do", () => {
    const v = verdict({
      missing: ["os_release", "error_output"],
      partial: ["error_output"],
      advisory: ["k8s_inspect"],
    });
    const live = renderTriageNote(bug, v, { dryRun: false });
    expect(live).toBe(
      'Bug #2081234 "2024.1/stable rev 599 - bootstrap stuck": missing os_release, error_output (partial: error_output); ' +
        "asked the reporter and set it Incomplete.\nAlso useful: k8s_inspect.\nhttps://bugs.launchpad.net/bugs/2081234",
    );
    const dry = renderTriageNote(
      { ...bug, url: "https://bugs.launchpad.net/snap-openstack/+bug/2081234" },
      v,
      {
        dryRun: true,
      },
    );
    expect(dry).toMatch(/^\[dry-run\] Bug #2081234/);
    expect(dry).toContain("would ask the reporter");
    expect(dry.endsWith("https://bugs.launchpad.net/snap-openstack/+bug/2081234")).toBe(true);
  });

  it("complete, replied, still missing, and skipped bugs", () => {
    expect(renderTriageNote(bug, verdict({ complete: true }), { dryRun: false })).toMatch(
      /complete: ready for triage/,
    );
    expect(renderTriageNote(bug, verdict({ complete: true }), { dryRun: false, stage: "reply" })).toMatch(
      /supplied the missing debug info; set back to New/,
    );
    expect(renderTriageNote(bug, verdict({ missing: ["steps"] }), { dryRun: false, stage: "reply" })).toMatch(
      /still missing steps; not prompting again/,
    );
    expect(
      renderTriageNote(bug, verdict({ complete: true, skipped: "tagged docs" }), { dryRun: false }),
    ).toMatch(/not checked \(tagged docs\)/);
  });

  it("keeps long titles on one short line", () => {
    const note = renderTriageNote({ id: 1, title: "x".repeat(500) }, verdict({ complete: true }), {
      dryRun: false,
    });
    expect(note.split("\n")[0]!.length).toBeLessThan(200);
  });
});
