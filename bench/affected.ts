// Bench: monorepo model build and per-change affected queries on a generated monorepo, against the naive baseline.
import { rng } from "./rng.js";
import { isDeepStrictEqual } from "node:util";
import { affected, naiveAffected, prepare, type AffectedResult } from "../src/features/affected/affected.js";
import { buildModel, clearModelCache, type MonorepoModel } from "../src/integrations/monorepo/monorepo.js";
import { generateMonorepo } from "../test/helpers/synthetic-monorepo.js";
import { percentile } from "./pipeline.js";

export interface AffectedBenchOptions {
  /** Charms in the generated monorepo. */
  charms?: number;
  /** Changes in the query mix (each answered by both implementations). */
  changes?: number;
  /** Cold model builds measured (the median is reported). */
  coldBuilds?: number;
  /** Seed of the change mix, so that two runs answer the same questions. */
  seed?: number;
}

export type ChangeKind =
  | "own-dir"
  | "storage-own-dir"
  | "ops-sunbeam"
  | "ops-sunbeam-tests"
  | "internal-lib"
  | "external-lib"
  | "template"
  | "charm-rebuild"
  | "unrelated";

/** Rough shares of a day's changes on sunbeam-charms: mostly one charm, some shared code, a few repo chores. */
const MIX: [ChangeKind, number][] = [
  ["own-dir", 40],
  ["storage-own-dir", 5],
  ["ops-sunbeam", 8],
  ["ops-sunbeam-tests", 4],
  ["internal-lib", 10],
  ["external-lib", 8],
  ["template", 8],
  ["charm-rebuild", 5],
  ["unrelated", 12],
];

/** Changed-file lists shaped like `generateMonorepo`'s tree; Gerrit's /COMMIT_MSG rides along in half. */
export function changeMix(n: number, charms: number, seed = 1): { kind: ChangeKind; files: string[] }[] {
  const rand = rng(seed);
  const pick = (k: number) => Math.floor(rand() * k);
  const total = MIX.reduce((s, [, w]) => s + w, 0);
  const charm = (i: number) => {
    const name = `c${String(i).padStart(4, "0")}-k8s`;
    return { name, dir: `charms/${i % 10 === 9 ? "storage/" : ""}${name}` };
  };
  const out: { kind: ChangeKind; files: string[] }[] = [];
  for (let q = 0; q < n; q++) {
    let r = pick(total);
    const kind = (MIX.find(([, w]) => (r -= w) < 0) ?? MIX[0])?.[0] as ChangeKind;
    let c = charm(pick(charms));
    const files: string[] = [];
    switch (kind) {
      case "own-dir":
        files.push(`${c.dir}/src/charm.py`);
        if (rand() < 0.5) files.push(`${c.dir}/tests/unit/test_charm.py`);
        break;
      case "storage-own-dir":
        c = charm(Math.min(charms - 1, pick(Math.ceil(charms / 10)) * 10 + 9));
        files.push(`${c.dir}/src/charm.py`);
        break;
      case "ops-sunbeam":
        files.push("ops-sunbeam/ops_sunbeam/core.py");
        if (rand() < 0.5) files.push("ops-sunbeam/ops_sunbeam/test_utils.py");
        break;
      case "ops-sunbeam-tests":
        files.push("ops-sunbeam/ops_sunbeam/test_utils.py");
        break;
      case "internal-lib":
        files.push(`${c.dir}/lib/charms/${c.name.replace(/-/g, "_")}/v0/lib.py`);
        break;
      case "external-lib":
        files.push(`libs/external/lib/charms/ext${pick(20)}/v0/mod.py`);
        break;
      case "template":
        files.push(`templates/parts/t${pick(10)}`);
        if (rand() < 0.3) files.push(`${c.dir}/rebuild`);
        break;
      case "charm-rebuild":
        files.push(`${c.dir}/rebuild`);
        break;
      case "unrelated":
        files.push(
          ["tox.ini", "zuul.d/jobs.yaml", "README.md", "tests/suite3/smoke.yaml"][pick(4)] as string,
        );
        break;
    }
    if (rand() < 0.5) files.push("/COMMIT_MSG");
    out.push({ kind, files });
  }
  return out;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

function timeEach(
  model: MonorepoModel,
  fn: (m: MonorepoModel, files: string[]) => AffectedResult,
  mix: { files: string[] }[],
): { us: number[]; answers: AffectedResult[] } {
  const us: number[] = [];
  const answers: AffectedResult[] = [];
  for (const c of mix) {
    const t0 = performance.now();
    const r = fn(model, c.files);
    us.push((performance.now() - t0) * 1000);
    answers.push(r);
  }
  return { us, answers };
}

const stats = (us: number[]) => {
  const s = [...us].sort((a, b) => a - b);
  return {
    p50: round(percentile(s, 50), 1),
    p99: round(percentile(s, 99), 1),
    mean: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), 1),
  };
};

/**
 * Builds a generated n-charm monorepo (a bare git dir), times the model build cold and cached, then
 * answers a realistic mix of changes with the indexed `affected()` and the naive `naiveAffected()` in
 * the same run, checking that both give the same answer to every change.
 */
export async function benchAffected(opts: AffectedBenchOptions = {}) {
  const n = opts.charms ?? 1000;
  const queries = opts.changes ?? 2000;
  const t0 = performance.now();
  const gen = await generateMonorepo(n);
  const generateMs = performance.now() - t0;
  try {
    const repo = { dir: gen.dir, rev: "main" };
    const cold: number[] = [];
    let model: MonorepoModel | undefined;
    for (let i = 0; i < (opts.coldBuilds ?? 3); i++) {
      clearModelCache();
      const s = performance.now();
      model = await buildModel(repo);
      cold.push(performance.now() - s);
    }
    if (!model) throw new Error("coldBuilds must be at least 1");
    const cached: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      const again = await buildModel(repo);
      cached.push(performance.now() - s);
      if (again !== model) throw new Error("the model cache missed on an unchanged sha");
    }
    const s = performance.now();
    prepare(model);
    const indexMs = performance.now() - s;

    const mix = changeMix(queries, n, opts.seed ?? 1);
    // Warm-up on a slice of the mix, so that neither side pays for JIT in the measured run.
    const warm = mix.slice(0, Math.min(200, mix.length));
    timeEach(model, affected, warm);
    timeEach(model, naiveAffected, warm);
    const fast = timeEach(model, affected, mix);
    const naive = timeEach(model, naiveAffected, mix);
    const mismatches = mix
      .map((c, i) => ({ c, i }))
      .filter(({ i }) => !isDeepStrictEqual(fast.answers[i], naive.answers[i]))
      .map(({ c }) => c.files);
    const byKind: Partial<
      Record<ChangeKind, { changes: number; affectedP50Us: number; naiveP50Us: number }>
    > = {};
    for (const [kind] of MIX) {
      const idx = mix.flatMap((c, i) => (c.kind === kind ? [i] : []));
      if (idx.length === 0) continue;
      byKind[kind] = {
        changes: idx.length,
        affectedP50Us: round(median(idx.map((i) => fast.us[i] as number)), 1),
        naiveP50Us: round(median(idx.map((i) => naive.us[i] as number)), 1),
      };
    }
    const a = stats(fast.us);
    const b = stats(naive.us);
    return {
      charms: model.charms.length,
      repoFiles: gen.files,
      pipelineJobs: model.zuul.pipelineJobs.length,
      problems: model.problems.length,
      generateMs: round(generateMs, 0),
      modelBuildMs: {
        coldMedian: round(median(cold), 1),
        cold: cold.map((x) => round(x, 1)),
        cachedMedian: round(median(cached), 2),
        indexBuild: round(indexMs, 1),
      },
      queries: mix.length,
      byKind,
      affectedUs: a,
      naiveUs: b,
      ratioP50: round(b.p50 / Math.max(a.p50, 0.001), 1),
      ratioP99: round(b.p99 / Math.max(a.p99, 0.001), 1),
      ratioMean: round(b.mean / Math.max(a.mean, 0.001), 1),
      sameAnswers: mismatches.length === 0,
      mismatches: mismatches.length,
      firstMismatch: mismatches[0] ?? null,
      note: "per-change µs: indexed affected() vs naiveAffected() (every charm input and every job regex per file), same model, same changes; cached = revParse + cache hit",
    };
  } finally {
    clearModelCache();
    gen.cleanup();
  }
}
