// Zuul config → the jobs of one pipeline with inherited file matchers and charm vars; regexes checked and precompiled.
import { parseDocument, type CollectionTag, type ScalarTag, type YAMLSeq } from "yaml";
import { z } from "zod";
import type { Layout } from "./layout.js";

export interface FilePattern {
  regex: string;
  negate?: boolean;
}
export interface CharmBuild {
  name: string;
  path?: string;
}
export interface ZuulJob {
  name: string;
  /** False when the job is referenced here but defined outside this repo (its matchers are unknown: none). */
  defined: boolean;
  abstract: boolean;
  parent?: string | null;
  /** Final values after `parent:` inheritance and variants; null = not set. */
  files: FilePattern[] | null;
  irrelevantFiles: FilePattern[] | null;
  charm?: string;
  charmBuilds?: CharmBuild[];
  /**
   * `branches` of each in-repo definition of the job (null: that variant has none). The job runs on a
   * branch some definition matches; absent: no definition here (or none restricts it).
   */
  defBranches?: (FilePattern[] | null)[];
  /** Pipeline jobs: `branches` of each project / project-template entry that lists the job. */
  entryBranches?: (FilePattern[] | null)[];
}
export interface ZuulModel {
  /** Every job defined in the repo, inheritance resolved. */
  jobs: Record<string, ZuulJob>;
  /** The pipeline's jobs (project stanza + its templates), variants applied, sorted by name. */
  pipelineJobs: ZuulJob[];
  templates: string[];
  /** Templates and parents referenced here but defined in other repos. */
  external: string[];
  /** Parse errors, inheritance cycles, regexes that RE2 (and so Zuul) would reject. */
  problems: string[];
}

export interface ConfigFile {
  path: string;
  text: string;
}

// Secrets carry `!encrypted/pkcs1-oaep` (a scalar or a list of chunks); keep them as plain strings.
const ENCRYPTED = "!encrypted/pkcs1-oaep";
const customTags: (ScalarTag | CollectionTag)[] = [
  { tag: ENCRYPTED, resolve: (s: string) => s },
  {
    tag: ENCRYPTED,
    collection: "seq",
    resolve: (seq) =>
      (seq as YAMLSeq).items.map((i) => String((i as { value?: unknown }).value ?? i)).join(""),
  },
];

type Conf = Record<string, unknown>;
const isObj = (v: unknown): v is Conf => typeof v === "object" && v !== null && !Array.isArray(v);
const CharmBuildsSchema = z.array(z.object({ name: z.string().min(1), path: z.string().min(1).optional() }));
const PatternSchema = z.union([z.string(), z.object({ regex: z.string(), negate: z.boolean().optional() })]);

function toPatterns(v: unknown, where: string, problems: string[]): FilePattern[] {
  const list = v === null || v === undefined ? [] : Array.isArray(v) ? v : [v];
  const out: FilePattern[] = [];
  for (const item of list) {
    const p = PatternSchema.safeParse(item);
    if (!p.success) problems.push(`${where}: bad file matcher ${JSON.stringify(item)}`);
    else out.push(typeof p.data === "string" ? { regex: p.data } : p.data);
  }
  return out;
}

/** Applies the attributes one job definition or pipeline variant sets; unset ones keep inherited values. */
function applyAttrs(job: ZuulJob, conf: Conf, where: string, problems: string[]): void {
  if ("files" in conf) job.files = toPatterns(conf.files, where, problems);
  if ("irrelevant-files" in conf) job.irrelevantFiles = toPatterns(conf["irrelevant-files"], where, problems);
  const vars = conf.vars;
  if (!isObj(vars)) return;
  if (typeof vars.charm === "string") job.charm = vars.charm;
  if ("charm_builds" in vars) {
    const cb = CharmBuildsSchema.safeParse(vars.charm_builds);
    if (cb.success) job.charmBuilds = cb.data;
    else problems.push(`${where}: vars.charm_builds is not a list of {name, path}`);
  }
}

interface Collected {
  jobDefs: Map<string, { conf: Conf; where: string }[]>;
  templates: Map<string, Conf>;
  projects: Conf[];
}

function collect(files: ConfigFile[], problems: string[]): Collected {
  const c: Collected = { jobDefs: new Map(), templates: new Map(), projects: [] };
  for (const f of files) {
    const doc = parseDocument(f.text, { customTags, prettyErrors: false });
    if (doc.errors.length > 0) {
      problems.push(`${f.path}: YAML error: ${doc.errors[0]?.message ?? ""}`);
      continue;
    }
    const items: unknown = doc.toJS();
    if (items === null || items === undefined) continue;
    if (!Array.isArray(items)) {
      problems.push(`${f.path}: not a list of config objects`);
      continue;
    }
    for (const item of items) {
      if (!isObj(item)) continue;
      const [kind, body] = Object.entries(item)[0] ?? [];
      if (!isObj(body)) continue;
      const where = `${f.path}: ${kind} ${typeof body.name === "string" ? body.name : ""}`.trim();
      if (kind === "job" && typeof body.name === "string") {
        const defs = c.jobDefs.get(body.name) ?? [];
        defs.push({ conf: body, where });
        c.jobDefs.set(body.name, defs);
      } else if (kind === "project-template" && typeof body.name === "string")
        c.templates.set(body.name, body);
      else if (kind === "project") c.projects.push(body);
    }
  }
  return c;
}

/** Pipeline entries: `name`, `{name: null}` or `{name: {variant attrs}}`. */
function pipelineEntries(stanza: Conf, pipeline: string): { name: string; variant: Conf }[] {
  const p = stanza[pipeline];
  const jobs = Array.isArray(p) ? p : isObj(p) && Array.isArray(p.jobs) ? p.jobs : [];
  const out: { name: string; variant: Conf }[] = [];
  for (const j of jobs) {
    if (typeof j === "string") out.push({ name: j, variant: {} });
    else if (isObj(j)) {
      const [name, v] = Object.entries(j)[0] ?? [];
      if (name) out.push({ name, variant: isObj(v) ? v : {} });
    }
  }
  return out;
}

/** Parses Zuul config files into the pipeline's jobs (default: the layout's check pipeline). */
export function parseZuulConfig(files: ConfigFile[], layout: Pick<Layout, "checkPipeline">): ZuulModel {
  const problems: string[] = [];
  const external = new Set<string>();
  const { jobDefs, templates, projects } = collect(files, problems);
  const resolved = new Map<string, ZuulJob>();
  const visiting = new Set<string>();

  const resolve = (name: string): ZuulJob => {
    const hit = resolved.get(name);
    if (hit) return hit;
    const defs = jobDefs.get(name);
    if (!defs) return { name, defined: false, abstract: false, files: null, irrelevantFiles: null };
    visiting.add(name);
    // The parent comes from the last variant that names one; no `parent` means the tenant's base job.
    const withParent = [...defs].reverse().find((d) => "parent" in d.conf);
    const parentName = withParent?.conf.parent;
    let base: ZuulJob | undefined;
    if (typeof parentName === "string") {
      if (visiting.has(parentName)) problems.push(`job ${name}: inheritance cycle through ${parentName}`);
      else {
        base = resolve(parentName);
        if (!base.defined) external.add(parentName);
      }
    }
    const job: ZuulJob = {
      name,
      defined: true,
      abstract: defs.some((d) => d.conf.abstract === true),
      files: base?.files ?? null,
      irrelevantFiles: base?.irrelevantFiles ?? null,
    };
    if (typeof parentName === "string" || parentName === null) job.parent = parentName;
    if (base?.charm !== undefined) job.charm = base.charm;
    if (base?.charmBuilds !== undefined) job.charmBuilds = base.charmBuilds;
    for (const d of defs) applyAttrs(job, d.conf, d.where, problems);
    // `branches` is not inherited (Zuul's job.rst): only this job's own definitions restrict it.
    const defBranches = defs.map((d) =>
      "branches" in d.conf ? toPatterns(d.conf.branches, d.where, problems) : null,
    );
    if (defBranches.some((b) => b !== null)) job.defBranches = defBranches;
    visiting.delete(name);
    resolved.set(name, job);
    return job;
  };
  for (const name of jobDefs.keys()) resolve(name);

  // Templates first, then the project's own entries; a job listed twice gets both variants in that order.
  const usedTemplates: string[] = [];
  const variants = new Map<string, Conf[]>();
  const addEntries = (stanza: Conf) => {
    for (const { name, variant } of pipelineEntries(stanza, layout.checkPipeline)) {
      variants.set(name, [...(variants.get(name) ?? []), variant]);
    }
  };
  for (const project of projects) {
    const names = Array.isArray(project.templates)
      ? project.templates.filter((t) => typeof t === "string")
      : [];
    for (const t of names) {
      usedTemplates.push(t);
      const tpl = templates.get(t);
      if (tpl) addEntries(tpl);
      else external.add(t);
    }
    addEntries(project);
  }
  const pipelineJobs: ZuulJob[] = [];
  for (const [name, vs] of variants) {
    const base = resolve(name);
    const job: ZuulJob = { ...base };
    const where = `${layout.checkPipeline} variant of ${name}`;
    for (const v of vs) applyAttrs(job, v, where, problems);
    const entryBranches = vs.map((v) => ("branches" in v ? toPatterns(v.branches, where, problems) : null));
    if (entryBranches.some((b) => b !== null)) job.entryBranches = entryBranches;
    pipelineJobs.push(job);
  }
  pipelineJobs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const job of [...resolved.values(), ...pipelineJobs]) {
    for (const p of [...(job.files ?? []), ...(job.irrelevantFiles ?? [])]) {
      const why = re2Problem(p.regex);
      if (why)
        problems.push(`job ${job.name}: regex ${JSON.stringify(p.regex)} uses ${why}, which RE2 rejects`);
      else if (!compilePattern(p).re)
        problems.push(`job ${job.name}: regex ${JSON.stringify(p.regex)} is invalid`);
    }
  }
  return {
    jobs: Object.fromEntries(resolved),
    pipelineJobs,
    templates: usedTemplates,
    external: [...external].sort(),
    problems: [...new Set(problems)],
  };
}

/** Whether one `branches` value (a list of matchers, any may match) lets the branch through; null: no matcher. */
function branchAllowed(matchers: FilePattern[] | null, branch: string): boolean {
  return matchers === null || matchers.some((m) => patternMatches(compilePattern(m), branch));
}

/**
 * Whether the pipeline job runs on `branch`: some project or template entry listing it, and some in-repo
 * definition of it, carries no `branches` matcher or one that matches (Zuul: a job runs when a variant
 * matches the item's branch). `{regex, negate}` matchers are honoured; matching is anchored at the start.
 */
export function jobRunsOnBranch(job: ZuulJob, branch: string): boolean {
  const entries = job.entryBranches;
  if (entries && !entries.some((b) => branchAllowed(b, branch))) return false;
  const defs = job.defBranches;
  return !defs || defs.some((b) => branchAllowed(b, branch));
}

/** Names RE2-incompatible syntax (lookaround, backreferences, atomic/possessive, conditionals), if any. */
export function re2Problem(src: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") {
      const n = src[i + 1] ?? "";
      if (!inClass && /[1-9]/.test(n)) return "a backreference";
      if (!inClass && n === "k" && src[i + 2] === "<") return "a named backreference";
      i++;
    } else if (inClass) inClass = c !== "]";
    else if (c === "[") {
      inClass = true;
      if (src[i + 1] === "]") i++; // a leading "]" is literal inside a class
    } else if (c === "(" && src[i + 1] === "?") {
      const rest = src.slice(i + 2, i + 4);
      if (/^[=!]/.test(rest) || /^<[=!]/.test(rest)) return "lookaround";
      if (rest.startsWith("P=")) return "a named backreference";
      if (rest.startsWith(">")) return "an atomic group";
      if (rest.startsWith("(")) return "a conditional";
    } else if ((c === "*" || c === "+" || c === "?" || c === "}") && src[i + 1] === "+") {
      return "a possessive quantifier";
    }
  }
  return undefined;
}

export interface CompiledPattern {
  source: string;
  negate: boolean;
  re: RegExp | null;
  /** Every path this pattern matches starts with `literal` (when not negated and case-sensitive). */
  literal: string;
  /** The pattern is exactly `literal` as a prefix: no regex test needed. */
  pure: boolean;
}

/** Translates Python/RE2 spellings JS lacks; anchors at the start only, like Zuul's `regex.match`. */
export function compilePattern(p: FilePattern): CompiledPattern {
  let src = p.regex;
  let flags = "";
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline?.[1]) {
    flags = [...new Set(inline[1].replace(/[aLu]/g, ""))].join(""); // JS has no "x": compile fails
    src = src.slice(inline[0].length);
  }
  src = src
    .replace(/\(\?P</g, "(?<")
    .replace(/\(\?P=(\w+)\)/g, "\\k<$1>")
    .replace(/\\\\|\\A|\\[zZ]/g, (m) => (m === "\\\\" ? m : m === "\\A" ? "^" : "$"));
  let re: RegExp | null;
  try {
    // Alone first: an unbalanced source like "a)*(" is invalid, yet valid once wrapped in ^(?:…).
    new RegExp(src, flags);
    re = new RegExp(`^(?:${src})`, flags);
  } catch {
    re = null; // reported by parseZuulConfig; Zuul would refuse the config, so it matches nothing here
  }
  const { literal, pure } =
    p.negate || flags.includes("i") ? { literal: "", pure: false } : literalPrefix(src);
  return { source: p.regex, negate: p.negate === true, re, literal, pure };
}

/** The literal text every match starts with, and whether the regex is nothing more than that text. */
export function literalPrefix(src: string): { literal: string; pure: boolean } {
  if (src.includes("|")) return { literal: "", pure: false }; // alternation: no single prefix
  let i = src.startsWith("^") ? 1 : 0;
  let literal = "";
  while (i < src.length) {
    let ch = src[i] as string;
    let step = 1;
    if (ch === "\\") {
      const n = src[i + 1];
      if (n === undefined || /[A-Za-z0-9]/.test(n)) break;
      ch = n;
      step = 2;
    } else if (".^$*+?()[]{}|".includes(ch)) break;
    const q = src[i + step];
    if (q === "*" || q === "?" || q === "{") break; // the character may be absent
    literal += ch;
    i += step;
    if (q === "+") break;
  }
  return { literal, pure: i === src.length };
}

/** Zuul's test for one path: `re.match`, i.e. anchored at the start and not at the end. */
export function patternMatches(p: CompiledPattern, path: string): boolean {
  if (!p.re) return false;
  return p.re.test(path) !== p.negate;
}

/**
 * Zuul's job filter (zuul/change_matcher.py), ignored paths already removed from `files`:
 * runs ⇔ (no `files` or some file matches one) and not (`irrelevant-files` set and every file matches one).
 * With no files left (only /COMMIT_MSG) both matchers let the job run.
 */
export function jobRuns(
  files: readonly string[],
  fileMatchers: readonly CompiledPattern[] | null,
  irrelevant: readonly CompiledPattern[] | null,
): boolean {
  if (files.length === 0) return true;
  if (fileMatchers && !files.some((f) => fileMatchers.some((p) => patternMatches(p, f)))) return false;
  if (irrelevant && files.every((f) => irrelevant.some((p) => patternMatches(p, f)))) return false;
  return true;
}
