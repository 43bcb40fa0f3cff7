// ReDoS check: hostile user patterns against long names must take about what a plain glob takes.
import { compilePattern } from "../src/features/relay/patterns.js";

const HOSTILE = [`${"*a".repeat(20)}b`, `${"**a".repeat(15)}X`, "*".repeat(500), `${"?*".repeat(40)}!`];

function msFor(pattern: string, text: string, reps: number): number {
  const m = compilePattern(pattern);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) m(text);
  return Number(process.hrtime.bigint() - t0) / 1e6 / reps;
}

/** Worst hostile glob vs a plain one (`openstack/*`) on a 1,000-character name; the bound is 100 ms. */
export function redosBench(): Record<string, unknown> {
  const text = "a".repeat(1000);
  const baseline = msFor("openstack/*-k8s", `openstack/${text}`, 200);
  const worst = Math.max(...HOSTILE.map((p) => msFor(p, text, 20)));
  const boundMs = 100;
  return {
    hostilePatterns: HOSTILE.length,
    worstMsPerMatch: Math.round(worst * 1000) / 1000,
    baselineMsPerMatch: Math.round(baseline * 1000) / 1000,
    boundMs,
    withinBound: worst < boundMs,
    note: "per match on a 1000-character name; a backtracking regex takes exponential time on these",
  };
}
