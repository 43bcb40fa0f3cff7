// Bench: bugs evaluated per second by the pure checklist evaluator, on a realistic generated mix of reports.
import { rng } from "./rng.js";
import { bugText, evaluate, loadChecklist, type BugForTriage } from "../src/features/triage/checklist.js";

export interface TriageBenchResult {
  bugs: number;
  /** Mean size of a bug's text (title, description, reporter comments), in KiB. */
  meanKiB: number;
  bugsPerSecond: number;
  /** Baseline: one case-insensitive regex scan over the same texts (the least any evaluator must do). */
  baselineScansPerSecond: number;
  /** bugsPerSecond / baselineScansPerSecond: the evaluator's cost in "scans of the text". */
  ratio: number;
  /** Share of the mix each verdict got (sanity: the mix is not all complete or all empty). */
  complete: number;
}

const SNAP = "openstack  2024.1   599  2024.1/stable  canonical✓  -";
const JUJU = `Model      Controller          Cloud/Region                Version  SLA          Timestamp
openstack  sunbeam-controller  sunbeam-microk8s/localhost  3.5.4    unsupported  10:12:01Z

App       Version  Status   Scale  Charm         Channel        Rev  Address        Exposed  Message
keystone           waiting      1  keystone-k8s  2024.1/stable  213  10.152.183.90  no       installing agent

Unit         Workload  Agent  Address    Ports  Message
keystone/0*  error     idle   10.1.0.23         hook failed: "identity-service-relation-changed"`;
const STEPS = `Steps to reproduce:
1. sudo snap install openstack --channel 2024.1/stable
2. sunbeam prepare-node-script | bash -x
3. sunbeam cluster bootstrap --role control,compute,storage`;
const ERROR = "Error: Timed out while waiting for model 'openstack' to be ready";
const PROSE =
  "I followed the tutorial on a fresh machine and the deployment did not finish. It stays on the same step for a long time and then stops. ";
const FILES = [
  "sosreport-node1-2025-01-01-abcdef.tar.xz",
  "Screenshot from 2025-01-01 10-00-00.png",
  "juju_status.txt",
  "sunbeam-20250101-101010.123456.log",
  "inspection-report-20250101_101010.tar.gz",
  "manifest-redacted.yaml",
];

function logLines(n: number, pick: () => number): string {
  const levels = ["DEBUG", "INFO", "WARNING", "ERROR"];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const lvl = levels[Math.floor(pick() * levels.length)] ?? "DEBUG";
    out.push(
      `12:${String(i % 60).padStart(2, "0")}:00,${i % 1000} sunbeam.jobs.step${i % 7} ${lvl} message ${i}`,
    );
  }
  return out.join("\n");
}

/**
 * The mix: 60% short prose (the common bad report), 25% medium reports with pasted tables, 12% with a
 * pasted log of a few hundred lines, 3% with a huge paste (thousands of lines and blank padding).
 */
export function generateBugs(n: number, seed = 1): BugForTriage[] {
  const pick = rng(seed);
  const some = <T>(xs: readonly T[], p: number): T[] => xs.filter(() => pick() < p);
  const bugs: BugForTriage[] = [];
  for (let i = 0; i < n; i++) {
    const r = pick();
    const parts = [PROSE.repeat(1 + Math.floor(pick() * 3))];
    if (r >= 0.6) parts.push(...some([SNAP, "Ubuntu 24.04.1 LTS, 3-node MAAS", STEPS, ERROR, JUJU], 0.7));
    if (r >= 0.85) parts.push(logLines(200 + Math.floor(pick() * 400), pick));
    if (r >= 0.97) parts.push(`${"\n \t".repeat(3000)}${logLines(5000, pick)}`);
    const comments =
      pick() < 0.3
        ? [{ author_is_reporter: pick() < 0.7, content: some([SNAP, ERROR, STEPS], 0.5).join("\n") }]
        : [];
    bugs.push({
      title:
        pick() < 0.2 ? "2024.1/stable rev 599: bootstrap hangs" : `sunbeam cluster bootstrap fails (${i})`,
      description: parts.join("\n\n"),
      tags: pick() < 0.05 ? ["docs"] : [],
      attachments: some(FILES, 0.25),
      comments,
    });
  }
  return bugs;
}

function timeIt(fn: () => void, minMs: number): { runs: number; ms: number } {
  const start = performance.now();
  for (let runs = 1; ; runs++) {
    fn();
    const ms = performance.now() - start;
    if (ms >= minMs) return { runs, ms };
  }
}

/** Evaluates the mix repeatedly for at least `minMs` (after a warm-up) and reports bugs per second. */
export function triageEvaluatorBench(n = 2000, minMs = 2000, seed = 1): TriageBenchResult {
  const cl = loadChecklist();
  const bugs = generateBugs(n, seed);
  const texts = bugs.map((b) => bugText(b));
  let complete = 0;
  for (const b of bugs) if (evaluate(cl, b).complete) complete++; // warm-up, and the verdict mix
  const scan = /Traceback \(most recent call last\)/i;
  const base = timeIt(() => {
    for (const t of texts) scan.test(t);
  }, minMs / 2);
  const evalRun = timeIt(() => {
    for (const b of bugs) evaluate(cl, b);
  }, minMs);
  const bugsPerSecond = (evalRun.runs * n * 1000) / evalRun.ms;
  const baselineScansPerSecond = (base.runs * n * 1000) / base.ms;
  const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t), 0);
  return {
    bugs: n,
    meanKiB: Math.round((bytes / n / 1024) * 100) / 100,
    bugsPerSecond: Math.round(bugsPerSecond),
    baselineScansPerSecond: Math.round(baselineScansPerSecond),
    ratio: Math.round((bugsPerSecond / baselineScansPerSecond) * 1000) / 1000,
    complete: Math.round((complete / n) * 100) / 100,
  };
}
