// Loads the debug-info checklist (YAML data, validated like the config) and evaluates a bug against it (pure).
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, parseYaml, type ConfigProblem } from "../../core/config-load.js";
import { packageFile } from "../../core/paths.js";
import {
  bugEvidence,
  type AttachmentForTriage,
  type CommentForTriage,
  type EvidenceRules,
} from "./evidence.js";

const ID_RX = /^[a-z][a-z0-9_]*$/;
const FLAGS_RX = /^(?!.*(.).*\1)[imsu]*$/;
/** `sunbeam inspect` was removed from Sunbeam; a prompt that still recommends it would mislead reporters. */
const REMOVED_COMMAND = /\bsunbeam\s+inspect\b/i;

const nonEmpty = z.string().trim().min(1, "must not be empty");
const itemId = z.string().regex(ID_RX, "must be lower-case letters, digits or '_'");
const promptText = nonEmpty.refine((s) => !REMOVED_COMMAND.test(s), {
  message: "`sunbeam inspect` was removed from Sunbeam: ask for a sosreport instead",
});

/**
 * One regex over the evidence text, each reporter attachment's file name, or its media type. `g` is added by the
 * loader when `min` > 1; `exceptLine` drops matching lines first (same flags).
 */
const leafShape = {
  text: z.string().min(1).optional(),
  attachment: z.string().min(1).optional(),
  mediaType: z.string().min(1).optional(),
  flags: z.string().regex(FLAGS_RX, "flags are some of i, m, s, u (each once)").optional(),
  min: z.number().int().min(1).max(1000).optional(),
  exceptLine: z.string().min(1).optional(),
};
type LeafRaw = {
  text?: string;
  attachment?: string;
  mediaType?: string;
  flags?: string;
  min?: number;
  exceptLine?: string;
};
const LEAF_KINDS = ["text", "attachment", "mediaType"] as const;

function tryRegex(src: string, flags: string, key: string, ctx: z.RefinementCtx): void {
  try {
    new RegExp(src, flags);
  } catch (err) {
    ctx.addIssue({ code: "custom", path: [key], message: `invalid regex: ${(err as Error).message}` });
  }
}

function checkLeaf(r: LeafRaw, ctx: z.RefinementCtx): void {
  const kinds = LEAF_KINDS.filter((k) => r[k] !== undefined);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: "a rule has exactly one of text, attachment or mediaType (or all)",
    });
    return;
  }
  const key = kinds[0] as (typeof LEAF_KINDS)[number];
  if (r.min !== undefined && key !== "text") {
    ctx.addIssue({ code: "custom", path: ["min"], message: "min applies to text rules only" });
  }
  if (r.exceptLine !== undefined && key !== "text") {
    ctx.addIssue({ code: "custom", path: ["exceptLine"], message: "exceptLine applies to text rules only" });
  }
  if (r.flags !== undefined && !FLAGS_RX.test(r.flags)) return; // reported on flags already
  tryRegex(r[key] ?? "", r.flags ?? "i", key, ctx);
  if (r.exceptLine !== undefined) tryRegex(r.exceptLine, r.flags ?? "i", "exceptLine", ctx);
}

const confidence = z.number().min(0).max(1).optional();
const LeafSchema = z.strictObject(leafShape).superRefine(checkLeaf);
const RuleSchema = z
  .strictObject({ ...leafShape, confidence, all: z.array(LeafSchema).min(1).optional() })
  .superRefine((r, ctx) => {
    if (r.all === undefined) return checkLeaf(r, ctx);
    if (LEAF_KINDS.some((k) => r[k] !== undefined) || r.flags !== undefined || r.min !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: "a rule with all has no text, attachment, mediaType, flags or min of its own",
      });
    }
  });
type RuleRaw = z.infer<typeof RuleSchema>;

const ItemSchema = z
  .strictObject({
    /** required: blocks; conditional: required only when `when` holds; advisory: recommended, never blocks. */
    kind: z.enum(["required", "conditional", "advisory"]),
    description: nonEmpty,
    when: RuleSchema.optional(),
    satisfiedBy: z.array(RuleSchema).min(1, "needs at least one rule"),
    partialIf: z.array(RuleSchema).default([]),
    implies: z.array(itemId).default([]),
    /** Asking for it may expose secrets: the prompt then carries the redaction note (messages.secrets). */
    sensitive: z.boolean().default(false),
    prompt: z.strictObject({
      text: promptText,
      commands: z.array(promptText).default([]),
      partial: promptText.optional(),
    }),
  })
  .superRefine((it, ctx) => {
    if (it.kind === "conditional" && !it.when) {
      ctx.addIssue({ code: "custom", path: ["when"], message: "a conditional item needs a when rule" });
    }
  });

export const ChecklistSchema = z.strictObject({
  version: z.literal(1),
  docsUrl: z.url(),
  order: z.array(itemId).min(1),
  skip: z
    .strictObject({
      tags: z.array(nonEmpty).default([]),
      titlePrefixes: z.array(nonEmpty).default([]),
      reporters: z.array(nonEmpty).default([]),
    })
    .prefault({}),
  /** Template scaffolding removed before any rule runs (regexes, case-insensitive). */
  evidence: z
    .strictObject({
      placeholders: z.array(nonEmpty).default([]),
      dropLines: z.array(nonEmpty).default([]),
    })
    .prefault({}),
  /** A decision below this confidence is asked as a confirmation (partial), never taken as present. */
  minConfidence: z.number().min(0).max(1).default(0.6),
  messages: z.strictObject({
    intro: promptText,
    advisory: promptText,
    secrets: promptText,
    docs: promptText,
    incomplete: promptText,
    complete: promptText,
  }),
  items: z.record(itemId, ItemSchema),
});
export type ChecklistData = z.infer<typeof ChecklistSchema>;
export type ItemKind = ChecklistData["items"][string]["kind"];

interface Matcher {
  on: "text" | "attachment" | "mediaType";
  rx: RegExp;
  min: number;
  except: RegExp | undefined;
}
/** A compiled rule: indices into `matchers`, all of which must hit, and how sure a hit makes us. */
interface Conj {
  leaves: readonly number[];
  confidence: number;
}

export interface ChecklistItem {
  id: string;
  kind: ItemKind;
  description: string;
  prompt: { text: string; commands: string[]; partial?: string | undefined };
  implies: readonly string[];
  sensitive: boolean;
  when: Conj | undefined;
  satisfiedBy: readonly Conj[];
  partialIf: readonly Conj[];
}

export interface Checklist {
  source: string;
  data: ChecklistData;
  /** In file order. */
  items: readonly ChecklistItem[];
  byId: ReadonlyMap<string, ChecklistItem>;
  /** Every regex once (identical rules share one), compiled at load. */
  matchers: readonly Matcher[];
  evidence: EvidenceRules;
}

export interface BugForTriage {
  title: string;
  description: string;
  tags: readonly string[];
  /** Attachment file names (a bare string) or attachments with title, media type and uploader. */
  attachments: readonly (string | AttachmentForTriage)[];
  comments?: readonly CommentForTriage[];
  /** Launchpad name of the reporter, for the allow-list. */
  reporter?: string | undefined;
}

/** The CLI's `--file BUG.json` form (and fixtures): unknown fields are ignored. */
export const BugInputSchema = z.object({
  id: z.number().int().positive().optional(),
  title: z.string(),
  description: z.string().default(""),
  tags: z.array(z.string()).default([]),
  /** File names, or `{filename?, title?, type?, author_is_reporter?}` (type: the media type). */
  attachments: z
    .array(
      z.union([
        z.string(),
        z
          .object({
            filename: z.string().optional(),
            title: z.string().optional(),
            type: z.string().optional(),
            author_is_reporter: z.boolean().optional(),
          })
          .refine((a) => (a.filename ?? a.title ?? "").trim() !== "", "needs a filename or a title")
          .transform((a): AttachmentForTriage => ({
            name: (a.filename ?? a.title ?? "").trim(),
            title: a.title,
            type: a.type,
            fromReporter: a.author_is_reporter,
          })),
      ]),
    )
    .default([]),
  comments: z
    .array(
      z.object({ author_is_reporter: z.boolean(), content: z.string(), visible: z.boolean().optional() }),
    )
    .default([]),
  reporter: z.string().optional(),
});
export type BugInput = z.infer<typeof BugInputSchema>;

/** How one item was decided: the state, how sure, and what was seen (a line, a file name, an implication). */
export interface Decision {
  state: "present" | "partial" | "missing";
  confidence: number;
  /** The matched text (trimmed) or attachment name. */
  evidence?: string;
  /** Present because this item was found (e.g. a sosreport carries the Sunbeam logs). */
  impliedBy?: string;
}

export interface Verdict {
  complete: boolean;
  /** Blocking items not found, in the checklist's order. */
  missing: string[];
  /** Every item found (including advisory ones), in file order. */
  present: string[];
  /** Missing items of which something was found (e.g. a channel without a revision; only screenshots). */
  partial: string[];
  /** Advisory items not found that fit this bug: recommended, never blocking. */
  advisory: string[];
  /** Why the bot leaves this bug alone (then nothing is missing). */
  skipped?: string;
  /** Every item's decision, by id (not for a skipped bug). */
  decisions?: Record<string, Decision>;
}

export interface EvaluateOptions {
  /** Launchpad names never prompted, added to the checklist's own skip.reporters (e.g. from config). */
  reporterAllowList?: readonly string[];
  /** Opt-out tags added to the checklist's own skip.tags (e.g. config `launchpad.skipTag`). */
  skipTags?: readonly string[];
  /** Evaluate even a bug the skip rules exclude (e.g. `!triage` asked by a human). */
  ignoreSkip?: boolean;
}

export function defaultChecklistPath(): string {
  // Under the package root, not next to this module, so it is found from src/ and from dist/src/ alike.
  return packageFile("src", "features", "triage", "default-checklist.yaml");
}

let bundled: Checklist | undefined;

/** Reads, validates and compiles a checklist file; the bundled one is loaded once. Throws ConfigError. */
export function loadChecklist(path?: string): Checklist {
  if (path === undefined) return (bundled ??= readChecklist(defaultChecklistPath()));
  return readChecklist(path);
}

function readChecklist(file: string): Checklist {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(file, [
      { path: "", message: `cannot read the checklist file (${code})`, value: file },
    ]);
  }
  return parseChecklist(parseYaml(text, file), file);
}

/** Validates a parsed document and compiles it; every problem is listed with its path. */
export function parseChecklist(input: unknown, source: string): Checklist {
  const parsed = ChecklistSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(source, zodProblems(parsed.error.issues));
  const problems = crossCheck(parsed.data);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return compile(parsed.data, source);
}

function zodProblems(issues: z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => ({ path: base ? `${base}.${k}` : k, message: "unknown key" }));
    }
    return [{ path: base, message: issue.message }];
  });
}

/** References between items: order and implications name real items. */
function crossCheck(d: ChecklistData): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const key of ["placeholders", "dropLines"] as const) {
    d.evidence[key].forEach((src, i) => {
      try {
        new RegExp(src, "i");
      } catch (err) {
        out.push({ path: `evidence.${key}.${i}`, message: `invalid regex: ${(err as Error).message}` });
      }
    });
  }
  const ids = Object.keys(d.items);
  const known = `(items: ${ids.join(", ")})`;
  d.order.forEach((id, i) => {
    const item = d.items[id];
    if (!item) out.push({ path: `order.${i}`, message: `unknown item ${known}`, value: id });
    else if (item.kind === "advisory")
      out.push({ path: `order.${i}`, message: "advisory items never block", value: id });
    if (d.order.indexOf(id) !== i) out.push({ path: `order.${i}`, message: "listed twice", value: id });
  });
  for (const [id, item] of Object.entries(d.items)) {
    if (item.kind !== "advisory" && !d.order.includes(id)) {
      out.push({ path: "order", message: `must list ${item.kind} item ${id}` });
    }
    item.implies.forEach((t, i) => {
      if (!d.items[t] || t === id)
        out.push({ path: `items.${id}.implies.${i}`, message: `unknown item ${known}`, value: t });
    });
  }
  return out;
}

function compile(data: ChecklistData, source: string): Checklist {
  const matchers: Matcher[] = [];
  const seen = new Map<string, number>();
  const leaf = (r: LeafRaw): number => {
    const on = r.text !== undefined ? "text" : r.attachment !== undefined ? "attachment" : "mediaType";
    const src = r.text ?? r.attachment ?? r.mediaType ?? "";
    const min = r.min ?? 1;
    const base = r.flags ?? "i";
    const flags = base + (min > 1 ? "g" : "");
    const key = `${on}\0${flags}\0${min}\0${src}\0${r.exceptLine ?? ""}`;
    let i = seen.get(key);
    if (i === undefined) {
      const except = r.exceptLine !== undefined ? new RegExp(r.exceptLine, base) : undefined;
      i = matchers.push({ on, rx: new RegExp(src, flags), min, except }) - 1;
      seen.set(key, i);
    }
    return i;
  };
  const conj = (r: RuleRaw): Conj => ({
    leaves: r.all ? r.all.map(leaf) : [leaf(r)],
    confidence: r.confidence ?? 1,
  });
  const items = Object.entries(data.items).map(([id, it]): ChecklistItem => ({
    id,
    kind: it.kind,
    description: it.description,
    prompt: it.prompt,
    implies: it.implies,
    sensitive: it.sensitive,
    when: it.when ? conj(it.when) : undefined,
    satisfiedBy: it.satisfiedBy.map(conj),
    partialIf: it.partialIf.map(conj),
  }));
  const evidence: EvidenceRules = {
    placeholders: data.evidence.placeholders.map((p) => new RegExp(p, "gi")),
    dropLines: data.evidence.dropLines.map((p) => new RegExp(p, "i")),
  };
  return { source, data, items, byId: new Map(items.map((i) => [i.id, i])), matchers, evidence };
}

/** The evaluated text of a bug: its evidence (the reporter's own words, scaffolding removed, lines kept). */
export function bugText(bug: BugForTriage, cl: Checklist = loadChecklist()): string {
  return bugEvidence(bug, cl.evidence).text;
}

export function skipReason(cl: Checklist, bug: BugForTriage, opts: EvaluateOptions = {}): string | undefined {
  const tags = new Set(bug.tags.map((t) => t.toLowerCase()));
  const tag = [...cl.data.skip.tags, ...(opts.skipTags ?? [])].find((t) => tags.has(t.toLowerCase()));
  if (tag) return `tagged ${tag}`;
  const title = bug.title.trimStart().toLowerCase();
  const prefix = cl.data.skip.titlePrefixes.find((p) => title.startsWith(p.toLowerCase()));
  if (prefix) return `title starts with ${prefix}`;
  const reporter = bug.reporter?.toLowerCase();
  if (reporter) {
    const allowed = [...cl.data.skip.reporters, ...(opts.reporterAllowList ?? [])];
    if (allowed.some((r) => r.toLowerCase() === reporter))
      return `reporter ${bug.reporter} is on the allow-list`;
  }
  return undefined;
}

/** The first match once `min` are found; a fresh matchAll each time, so a global regex's lastIndex never leaks. */
function firstOfEnough(m: Matcher, text: string): string | undefined {
  if (m.min <= 1) return m.rx.exec(text)?.[0]; // compiled without `g`: stateless
  let n = 0;
  let first: string | undefined;
  for (const hit of text.matchAll(m.rx)) {
    first ??= hit[0];
    if (++n >= m.min) return first;
  }
  return undefined;
}

function shortEvidence(s: string): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
}

/** Runs each matcher at most once over one bug's evidence: undefined for no hit, else what was seen. */
function matcherRunner(cl: Checklist, bug: BugForTriage): (i: number) => string | undefined {
  const ev = bugEvidence(bug, cl.evidence);
  const memo = new Map<number, string | undefined>();
  const filtered = new Map<RegExp, string>();
  const textFor = (m: Matcher): string => {
    const except = m.except;
    if (!except) return ev.text;
    let t = filtered.get(except);
    if (t === undefined) {
      t = ev.text
        .split("\n")
        .filter((l) => !except.test(l))
        .join("\n");
      filtered.set(except, t);
    }
    return t;
  };
  return (i) => {
    if (memo.has(i)) return memo.get(i);
    const m = cl.matchers[i] as Matcher;
    let seen: string | undefined;
    if (m.on === "text") seen = firstOfEnough(m, textFor(m));
    else if (m.on === "attachment") seen = ev.files.flatMap((f) => f.names).find((n) => m.rx.test(n));
    else seen = ev.files.find((f) => f.type !== undefined && m.rx.test(f.type))?.names[0];
    const out = seen === undefined ? undefined : shortEvidence(seen) || "(match)";
    memo.set(i, out);
    return out;
  };
}

export function evaluate(cl: Checklist, bug: BugForTriage, opts: EvaluateOptions = {}): Verdict {
  const run = matcherRunner(cl, bug);
  const holds = (c: Conj): string | undefined => {
    let first: string | undefined;
    for (const i of c.leaves) {
      const seen = run(i);
      if (seen === undefined) return undefined;
      first ??= seen;
    }
    return first;
  };
  /** The most confident rule that holds, with what it saw. */
  const best = (cs: readonly Conj[]): { confidence: number; evidence: string } | undefined => {
    let out: { confidence: number; evidence: string } | undefined;
    for (const c of cs) {
      if (out && out.confidence >= c.confidence) continue;
      const seen = holds(c);
      if (seen !== undefined) out = { confidence: c.confidence, evidence: seen };
    }
    return out;
  };

  const decisions: Record<string, Decision> = {};
  const found = new Set<string>();
  for (const item of cl.items) {
    const hit = best(item.satisfiedBy);
    if (hit && hit.confidence >= cl.data.minConfidence) {
      found.add(item.id);
      decisions[item.id] = { state: "present", confidence: hit.confidence, evidence: hit.evidence };
      continue;
    }
    const part = best(item.partialIf) ?? hit; // a weak hit is something found: asked as a confirmation
    decisions[item.id] = part
      ? { state: "partial", confidence: part.confidence, evidence: part.evidence }
      : { state: "missing", confidence: 1 };
  }
  const queue = [...found];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const t of cl.byId.get(id)?.implies ?? []) {
      if (!found.has(t)) {
        found.add(t);
        queue.push(t);
        decisions[t] = { state: "present", confidence: decisions[id]?.confidence ?? 1, impliedBy: id };
      }
    }
  }
  const applies = (item: ChecklistItem): boolean => !item.when || holds(item.when) !== undefined;
  const present = cl.items.filter((i) => found.has(i.id)).map((i) => i.id);
  const skipped = opts.ignoreSkip ? undefined : skipReason(cl, bug, opts);
  if (skipped) return { complete: true, missing: [], present, partial: [], advisory: [], skipped };

  const missing = cl.data.order.filter((id) => {
    const item = cl.byId.get(id);
    return item && !found.has(id) && (item.kind === "required" || applies(item));
  });
  const partial = missing.filter((id) => decisions[id]?.state === "partial");
  const advisory = cl.items
    .filter((i) => i.kind === "advisory" && !found.has(i.id) && applies(i))
    .map((i) => i.id);
  return { complete: missing.length === 0, missing, present, partial, advisory, decisions };
}
