// The development set (test/fixtures/triage/: synthetic reports in the Launchpad API's shapes, labelled by hand): per-item precision and recall.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readBugFile } from "../../../src/features/triage/bug-file.js";
import { evaluate, loadChecklist } from "../../../src/features/triage/checklist.js";

type Label = "present" | "partial" | "missing";
const ITEMS = [
  "snap_version",
  "os_release",
  "deployment",
  "steps",
  "error_output",
  "juju_status",
  "sunbeam_logs",
  "diag_bundle",
] as const;

const dir = join(import.meta.dirname, "../../fixtures/triage");
const cl = loadChecklist();
const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".json") && !/\.(messages|attachments)\.json$/.test(f))
  .sort()
  .map((name) => {
    const file = join(dir, name);
    const doc = JSON.parse(readFileSync(file, "utf8")) as { expected: Record<string, Label>; why?: string };
    const v = evaluate(cl, readBugFile(file).input);
    const got = (id: string): Label =>
      v.present.includes(id) ? "present" : v.partial.includes(id) ? "partial" : "missing";
    return { name, expected: doc.expected, why: doc.why ?? "", got, complete: v.complete };
  });

/** "Asked for" = not present (missing or partial): precision and recall of asking, per item. */
function scores() {
  const rows = ITEMS.map((id) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let exact = 0;
    for (const c of cases) {
      const want = c.expected[id] ?? "missing";
      const got = c.got(id);
      if (want === got) exact++;
      const asked = got !== "present";
      const needed = want !== "present";
      if (asked && needed) tp++;
      else if (asked) fp++;
      else if (needed) fn++;
    }
    const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
    return { id, precision, recall, exact, falseAlarms: fp, missed: fn };
  });
  return rows;
}

describe("the development set", () => {
  const rows = scores();
  const exactReports = cases.filter((c) => ITEMS.every((id) => c.got(id) === (c.expected[id] ?? "missing")));

  it("prints per-item precision and recall of asking", () => {
    const table = rows
      .map(
        (r) =>
          `${r.id.padEnd(13)} precision ${r.precision.toFixed(2)}  recall ${r.recall.toFixed(2)}  exact ${r.exact}/${cases.length}`,
      )
      .join("\n");
    console.log(`triage dev set: ${exactReports.length}/${cases.length} reports exact\n${table}`);
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it("asks for almost nothing that was given, and never calls a report lacking an item complete", () => {
    const falseAlarms = rows.reduce((n, r) => n + r.falseAlarms, 0);
    expect(falseAlarms).toBeLessThanOrEqual(2);
    for (const r of rows) expect(r.precision, r.id).toBeGreaterThanOrEqual(0.9);
    for (const r of rows) expect(r.recall, r.id).toBeGreaterThanOrEqual(0.95);
    for (const c of cases) {
      if (ITEMS.some((id) => (c.expected[id] ?? "missing") !== "present"))
        expect(c.complete, c.name).toBe(false);
    }
    expect(exactReports.length / cases.length).toBeGreaterThanOrEqual(0.9);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const got = Object.fromEntries(ITEMS.map((id) => [id, c.got(id)]));
    const want = Object.fromEntries(ITEMS.map((id) => [id, c.expected[id] ?? "missing"]));
    expect(got, c.why).toEqual(want);
  });
});
