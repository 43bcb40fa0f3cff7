// Pure: changed files → affected charms (declared dependencies), the Zuul jobs that run, and what they test.
import type { Layout } from "../../integrations/monorepo/layout.js";
import type { Charm, MonorepoModel } from "../../integrations/monorepo/monorepo.js";
import {
  compilePattern,
  jobRunsOnBranch,
  jobRuns,
  patternMatches,
  type CompiledPattern,
  type ZuulJob,
} from "../../integrations/monorepo/zuul.js";

export interface AffectedResult {
  /** Charms whose build takes a changed file (monorepo.md §4), sorted. */
  charms: string[];
  /** Per affected charm, human-readable: the changed path and why it counts. */
  reasons: Record<string, string[]>;
  /** Pipeline jobs Zuul's file matchers would run, sorted. */
  zuulJobs: string[];
  /**
   * Charms those jobs build, sorted: a running `vars.charm` job (or era-A `charm-build-<name>`) builds its
   * charm; a running bin job builds a `charm_builds` member when a changed file matches one of the bin's
   * shared `files` or the member's own `charms/<path>/` entry (the per-charm view, monorepo.md §6).
   * Jobs without charm vars (func-test-*) build none: they deploy whatever the build jobs produced.
   */
  tested: string[];
  /** charms − tested. */
  untested: string[];
}

interface Member {
  name: string;
  /** Pattern ids that concern this member (null: the job runs ⇒ the member is built). */
  applies: number[] | null;
}
interface IndexedJob {
  name: string;
  files: number[] | null;
  irrelevant: Set<number> | null;
  irrelevantKey: string;
  members: Member[];
}
interface Index {
  layout: Layout;
  allCharms: string[];
  charmByDir: Map<string, Charm>;
  /** Input path (file or directory, no trailing slash) → the charms declaring it and the reason label. */
  inputs: Map<string, { charm: string; label: string }[]>;
  patterns: CompiledPattern[];
  byLiteral: Map<string, { pure: number[]; complex: number[] }>;
  literalLengths: number[];
  jobs: IndexedJob[];
  filesJobs: Map<number, number[]>;
  alwaysJobs: number[];
  ignoredByZuul: Set<string>;
  ignoredByRules: Set<string>;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function inputLabel(i: Charm["inputs"][number]): string {
  if (i.kind === "external-lib") return `external lib ${i.entry}`;
  if (i.kind === "internal-lib") return `internal lib ${i.entry} from ${i.owner ?? "?"}`;
  return `template ${i.entry}`;
}

/** `dir/` entries are prefixes; other entries name a file, or a directory and everything below it. */
export function matchesInput(file: string, input: string): boolean {
  if (input.endsWith("/")) return file.startsWith(input);
  return file === input || (file.startsWith(input) && file.charAt(input.length) === "/");
}

/**
 * Whether a bin job's files pattern concerns one member: its own `charms/<path>/` entry and the shared
 * (non-`charms/`) entries do; another member's directory entry does not (monorepo.md §6 "per-charm view").
 */
function concernsMember(p: CompiledPattern, memberDir: string, buildRoot: string): boolean {
  return (
    p.literal.startsWith(memberDir) || memberDir.startsWith(p.literal) || !p.literal.startsWith(buildRoot)
  );
}

/** The charms a job builds, with the build path used to tell its own files entries apart. */
function jobMembers(
  job: ZuulJob,
  model: MonorepoModel,
  known: Map<string, Charm>,
): { name: string; path?: string }[] {
  if (job.charmBuilds)
    return job.charmBuilds.map((b) => ({ name: b.name, path: b.path ?? known.get(b.name)?.buildPath }));
  if (job.charm) return [{ name: job.charm }];
  const prefix = model.layout.buildJobPrefix;
  const suffix = prefix && job.name.startsWith(prefix) ? job.name.slice(prefix.length) : "";
  return known.has(suffix) ? [{ name: suffix }] : [];
}

/** The pipeline jobs a branch runs (its `branches` matchers); every job when the branch is unknown. */
export function branchJobs(model: MonorepoModel, branch: string | undefined): ZuulJob[] {
  const all = model.zuul.pipelineJobs;
  return branch === undefined ? all : all.filter((j) => jobRunsOnBranch(j, branch));
}

function buildIndex(model: MonorepoModel, branch: string | undefined): Index {
  const layout = model.layout;
  const known = new Map(model.charms.map((c) => [c.name, c]));
  const inputs = new Map<string, { charm: string; label: string }[]>();
  for (const c of model.charms) {
    for (const i of c.inputs) {
      const key = i.path.replace(/\/+$/, "");
      inputs.set(key, [...(inputs.get(key) ?? []), { charm: c.name, label: inputLabel(i) }]);
    }
  }
  const patterns: CompiledPattern[] = [];
  const ids = new Map<string, number>();
  const intern = (p: { regex: string; negate?: boolean }): number => {
    const key = `${p.negate ? "!" : ""}${p.regex}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = patterns.push(compilePattern(p)) - 1;
      ids.set(key, id);
    }
    return id;
  };
  const jobs: IndexedJob[] = [];
  const filesJobs = new Map<number, number[]>();
  const alwaysJobs: number[] = [];
  for (const job of branchJobs(model, branch)) {
    const files = job.files ? job.files.map(intern) : null;
    const irr = job.irrelevantFiles ? job.irrelevantFiles.map(intern) : null;
    const members = jobMembers(job, model, known).map((m): Member => {
      if (!files || !job.charmBuilds) return { name: m.name, applies: null };
      const dir = `${layout.buildPathRoot}${m.path ?? m.name}/`;
      return {
        name: m.name,
        applies: files.filter((id) =>
          concernsMember(patterns[id] as CompiledPattern, dir, layout.buildPathRoot),
        ),
      };
    });
    const j = jobs.push({
      name: job.name,
      files,
      irrelevant: irr ? new Set(irr) : null,
      irrelevantKey: irr ? [...new Set(irr)].sort((a, b) => a - b).join(",") : "",
      members,
    });
    if (!files) alwaysJobs.push(j - 1);
    for (const id of new Set(files ?? [])) filesJobs.set(id, [...(filesJobs.get(id) ?? []), j - 1]);
  }
  const byLiteral = new Map<string, { pure: number[]; complex: number[] }>();
  patterns.forEach((p, id) => {
    const e = byLiteral.get(p.literal) ?? { pure: [], complex: [] };
    (p.pure && p.re ? e.pure : e.complex).push(id);
    byLiteral.set(p.literal, e);
  });
  return {
    layout,
    allCharms: [...new Set(model.charms.map((c) => c.name))].sort(byName),
    charmByDir: new Map(model.charms.map((c) => [c.dir, c])),
    inputs,
    patterns,
    byLiteral,
    literalLengths: [...new Set([...byLiteral.keys()].map((k) => k.length))].sort((a, b) => a - b),
    jobs,
    filesJobs,
    alwaysJobs,
    ignoredByZuul: new Set(layout.zuulIgnoredPaths),
    ignoredByRules: new Set(layout.irrelevantPaths),
  };
}

const indexes = new WeakMap<MonorepoModel, Map<string, Index>>();
const ANY_BRANCH = "\0any";

/** Builds (once per model and branch) the query indexes: literal-prefix buckets for regexes, input path map. */
export function prepare(model: MonorepoModel, branch?: string): void {
  indexOf(model, branch);
}

function indexOf(model: MonorepoModel, branch: string | undefined): Index {
  let perBranch = indexes.get(model);
  if (!perBranch) indexes.set(model, (perBranch = new Map()));
  const key = branch ?? ANY_BRANCH;
  let ix = perBranch.get(key);
  if (!ix) perBranch.set(key, (ix = buildIndex(model, branch)));
  return ix;
}

export interface AffectedOptions {
  /** The change's target branch: jobs whose `branches` matchers exclude it are not listed. */
  branch?: string;
}

/** Ids of the patterns a path matches: only buckets whose literal prefix the path starts with are looked at. */
function matchedPatterns(ix: Index, path: string): number[] {
  const out: number[] = [];
  for (const len of ix.literalLengths) {
    if (len > path.length) break;
    const e = ix.byLiteral.get(len === path.length ? path : path.slice(0, len));
    if (!e) continue;
    for (const id of e.pure) out.push(id);
    for (const id of e.complex) if (patternMatches(ix.patterns[id] as CompiledPattern, path)) out.push(id);
  }
  return out;
}

function addReason(reasons: Map<string, string[]>, charm: string, reason: string): void {
  const list = reasons.get(charm);
  if (!list) reasons.set(charm, [reason]);
  else if (!list.includes(reason)) list.push(reason);
}

/** Declared-dependency truth: charm → reasons, plus the reasons that affect every charm. */
function declared(ix: Index, files: string[]): { specific: Map<string, string[]>; global: string[] } {
  const { layout } = ix;
  const specific = new Map<string, string[]>();
  const global: string[] = [];
  for (const f of files) {
    for (const root of layout.charmRoots) {
      const slash = f.startsWith(root) ? f.indexOf("/", root.length) : -1;
      const charm = slash > 0 ? ix.charmByDir.get(f.slice(0, slash)) : undefined;
      if (!charm) continue;
      const isRebuild = f === `${charm.dir}/${layout.charmRebuildFile}`;
      addReason(specific, charm.name, isRebuild ? `${f} (charm rebuild)` : f);
    }
    if (f === layout.rebuildFile) global.push(`${f} (top-level rebuild: every charm)`);
    for (const g of layout.globalInputs) if (matchesInput(f, g.path)) global.push(`${f} (${g.label})`);
    for (let a = f; a.length > 0; a = a.slice(0, Math.max(0, a.lastIndexOf("/")))) {
      for (const use of ix.inputs.get(a) ?? []) addReason(specific, use.charm, `${f} (${use.label})`);
    }
  }
  return { specific, global };
}

function finish(
  allCharms: string[],
  d: { specific: Map<string, string[]>; global: string[] },
  zuulJobs: string[],
  tested: Set<string>,
): AffectedResult {
  const charms = d.global.length > 0 ? allCharms : [...d.specific.keys()].sort(byName);
  const reasons: Record<string, string[]> = {};
  const global = [...new Set(d.global)].sort(byName);
  for (const c of charms) {
    const own = [...(d.specific.get(c) ?? [])].sort(byName);
    reasons[c] = own.length === 0 ? [...global] : [...own, ...global.filter((g) => !own.includes(g))];
  }
  return {
    charms,
    reasons,
    zuulJobs: [...zuulJobs].sort(byName),
    tested: [...tested].sort(byName),
    untested: charms.filter((c) => !tested.has(c)),
  };
}

const normalise = (files: readonly string[]) => [...new Set(files)].sort(byName);

/** Changed files (both sides of renames) → affected charms, predicted jobs, tested and untested charms. */
export function affected(
  model: MonorepoModel,
  changedFiles: readonly string[],
  opts: AffectedOptions = {},
): AffectedResult {
  const ix = indexOf(model, opts.branch);
  const all = normalise(changedFiles);
  const d = declared(
    ix,
    all.filter((f) => !ix.ignoredByRules.has(f)),
  );
  const files = all.filter((f) => !ix.ignoredByZuul.has(f));
  const perFile = files.map((f) => matchedPatterns(ix, f));
  const union = new Set(perFile.flat());
  const candidates = new Set<number>(ix.alwaysJobs);
  for (const id of union) for (const j of ix.filesJobs.get(id) ?? []) candidates.add(j);
  if (files.length === 0) ix.jobs.forEach((_, j) => candidates.add(j)); // only /COMMIT_MSG: Zuul runs everything
  const allIrrelevant = new Map<string, boolean>();
  const zuulJobs: string[] = [];
  const tested = new Set<string>();
  for (const j of candidates) {
    const job = ix.jobs[j] as IndexedJob;
    const irr = job.irrelevant;
    if (irr && files.length > 0) {
      let skip = allIrrelevant.get(job.irrelevantKey);
      if (skip === undefined) {
        skip = perFile.every((ms) => ms.some((id) => irr.has(id)));
        allIrrelevant.set(job.irrelevantKey, skip);
      }
      if (skip) continue;
    }
    zuulJobs.push(job.name);
    for (const m of job.members) if (!m.applies || m.applies.some((id) => union.has(id))) tested.add(m.name);
  }
  return finish(ix.allCharms, d, zuulJobs, tested);
}

const naiveCompiled = new WeakMap<
  ZuulJob,
  { files: CompiledPattern[] | null; irr: CompiledPattern[] | null }
>();

/**
 * Baseline for benchmarks and cross-checks: every charm's inputs and every job's regexes against every
 * file, no index (regexes still compiled once). Must give the same answer as `affected`.
 */
export function naiveAffected(
  model: MonorepoModel,
  changedFiles: readonly string[],
  opts: AffectedOptions = {},
): AffectedResult {
  const layout = model.layout;
  const all = normalise(changedFiles);
  const ruleFiles = all.filter((f) => !layout.irrelevantPaths.includes(f));
  const specific = new Map<string, string[]>();
  const global: string[] = [];
  for (const f of ruleFiles) {
    if (f === layout.rebuildFile) global.push(`${f} (top-level rebuild: every charm)`);
    for (const g of layout.globalInputs) if (matchesInput(f, g.path)) global.push(`${f} (${g.label})`);
    for (const c of model.charms) {
      if (f.startsWith(`${c.dir}/`)) {
        addReason(specific, c.name, f === `${c.dir}/${layout.charmRebuildFile}` ? `${f} (charm rebuild)` : f);
      }
      for (const i of c.inputs)
        if (matchesInput(f, i.path)) addReason(specific, c.name, `${f} (${inputLabel(i)})`);
    }
  }
  const files = all.filter((f) => !layout.zuulIgnoredPaths.includes(f));
  const known = new Map(model.charms.map((c) => [c.name, c]));
  const zuulJobs: string[] = [];
  const tested = new Set<string>();
  for (const job of model.zuul.pipelineJobs) {
    if (opts.branch !== undefined && !jobRunsOnBranch(job, opts.branch)) continue;
    let c = naiveCompiled.get(job);
    if (!c) {
      c = {
        files: job.files?.map(compilePattern) ?? null,
        irr: job.irrelevantFiles?.map(compilePattern) ?? null,
      };
      naiveCompiled.set(job, c);
    }
    if (!jobRuns(files, c.files, c.irr)) continue;
    zuulJobs.push(job.name);
    for (const m of jobMembers(job, model, known)) {
      const dir = `${layout.buildPathRoot}${m.path ?? m.name}/`;
      const mine = c.files?.filter((p) => concernsMember(p, dir, layout.buildPathRoot));
      if (!c.files || !job.charmBuilds || files.some((f) => mine?.some((p) => patternMatches(p, f)))) {
        tested.add(m.name);
      }
    }
  }
  return finish(
    [...new Set(model.charms.map((c) => c.name))].sort(byName),
    { specific, global },
    zuulJobs,
    tested,
  );
}
