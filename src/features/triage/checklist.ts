// Loads the debug-info checklist (YAML data, validated like the config) and evaluates a bug against it (pure).
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, parseYaml, type ConfigProblem } from "../../core/config-load.js";
import { packageFile } from "../../core/paths.js";

const ID_RX = /^[a-z][a-z0-9_]*$/;
const FLAGS_RX = /^(?!.*(.).*\1)[imsu]*$/;
/** `sunbeam inspect` was removed from Sunbeam; a prompt that still recommends it would mislead reporters. */
const REMOVED_COMMAND = /\bsunbeam\s+inspect\b/i;

const nonEmpty = z.string().trim().min(1, "must not be empty");
const itemId = z.string().regex(ID_RX, "must be lower-case letters, digits or '_'");
const promptText = nonEmpty.refine((s) => !REMOVED_COMMAND.test(s), {
  message: "`sunbeam inspect` was removed from Sunbeam: ask for a sosreport instead",
});

/** One regex over the text or over each attachment name. `g` is added by the loader when `min` > 1. */
const leafShape = {
  text: z.string().min(1).optional(),
  attachment: z.string().min(1).optional(),
  flags: z.string().regex(FLAGS_RX, "flags are some of i, m, s, u (each once)").optional(),
  min: z.number().int().min(1).max(1000).optional(),
};
type LeafRaw = { text?: string; attachment?: string; flags?: string; min?: number };

function checkLeaf(r: LeafRaw, ctx: z.RefinementCtx): void {
  if ((r.text === undefined) === (r.attachment === undefined)) {
    ctx.addIssue({ code: "custom", message: "a rule has exactly one of text or attachment (or all)" });
    return;
  }
  if (r.min !== undefined && r.text === undefined) {
    ctx.addIssue({ code: "custom", path: ["min"], message: "min applies to text rules only" });
  }
  const key = r.text !== undefined ? "text" : "attachment";
  if (r.flags !== undefined && !FLAGS_RX.test(r.flags)) return; // reported on flags already
  try {
    new RegExp(r.text ?? r.attachment ?? "", r.flags ?? "i");
  } catch (err) {
    ctx.addIssue({ code: "custom", path: [key], message: `invalid regex: ${(err as Error).message}` });
  }
}

const LeafSchema = z.strictObject(leafShape).superRefine(checkLeaf);
const RuleSchema = z
  .strictObject({ ...leafShape, all: z.array(LeafSchema).min(1).optional() })
  .superRefine((r, ctx) => {
    if (r.all === undefined) return checkLeaf(r, ctx);
    if (r.text !== undefined || r.attachment !== undefined || r.flags !== undefined || r.min !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: "a rule with all has no text, attachment, flags or min of its own",
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
  on: "text" | "attachment";
  rx: RegExp;
  min: number;
}
/** A compiled rule: indices into `matchers`, all of which must hit. */
type Conj = readonly number[];

export interface ChecklistItem {
  id: string;
  kind: ItemKind;
  description: string;
  prompt: { text: string; commands: string[]; partial?: string | undefined };
  implies: readonly string[];
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
}

export interface BugForTriage {
  title: string;
  description: string;
  tags: readonly string[];
  /** Attachment titles or Librarian file names. */
  attachments: readonly string[];
  comments?: readonly { author_is_reporter: boolean; content: string }[];
  /** Launchpad name of the reporter, for the allow-list. */
  reporter?: string | undefined;
}

/** The CLI's `--file BUG.json` form (and fixtures): unknown fields are ignored. */
export const BugInputSchema = z.object({
  id: z.number().int().positive().optional(),
  title: z.string(),
  description: z.string().default(""),
  tags: z.array(z.string()).default([]),
  attachments: z.array(z.string()).default([]),
  comments: z.array(z.object({ author_is_reporter: z.boolean(), content: z.string() })).default([]),
  reporter: z.string().optional(),
});
export type BugInput = z.infer<typeof BugInputSchema>;

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
    const on = r.text !== undefined ? "text" : "attachment";
    const src = r.text ?? r.attachment ?? "";
    const min = r.min ?? 1;
    const flags = (r.flags ?? "i") + (min > 1 ? "g" : "");
    const key = `${on}\0${flags}\0${min}\0${src}`;
    let i = seen.get(key);
    if (i === undefined) {
      i = matchers.push({ on, rx: new RegExp(src, flags), min }) - 1;
      seen.set(key, i);
    }
    return i;
  };
  const conj = (r: RuleRaw): Conj => (r.all ? r.all.map(leaf) : [leaf(r)]);
  const items = Object.entries(data.items).map(([id, it]): ChecklistItem => ({
    id,
    kind: it.kind,
    description: it.description,
    prompt: it.prompt,
    implies: it.implies,
    when: it.when ? conj(it.when) : undefined,
    satisfiedBy: it.satisfiedBy.map(conj),
    partialIf: it.partialIf.map(conj),
  }));
  return { source, data, items, byId: new Map(items.map((i) => [i.id, i])), matchers };
}

/**
 * "Text" of a bug: title, description and the reporter's own comments (others' words prove nothing).
 * Runs of spaces/tabs become one space and blank lines are dropped: the rules only ever ask for "some
 * whitespace", and `^\s*` over thousands of blank lines (pasted logs) is quadratic in every regex engine.
 */
export function bugText(bug: BugForTriage): string {
  const parts = [bug.title, bug.description];
  for (const c of bug.comments ?? []) if (c.author_is_reporter) parts.push(c.content);
  return parts
    .join("\n")
    .replace(/[^\S\n]{2,}/g, " ")
    .replace(/\n[^\S\n]*(?=\n)/g, "");
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

/** Counts matches up to `min`; a fresh matchAll each time, so a global regex's lastIndex never leaks. */
function enough(m: Matcher, text: string): boolean {
  if (m.min <= 1) return m.rx.test(text); // compiled without `g`: stateless
  let n = 0;
  for (const _ of text.matchAll(m.rx)) if (++n >= m.min) return true;
  return false;
}

export function evaluate(cl: Checklist, bug: BugForTriage, opts: EvaluateOptions = {}): Verdict {
  const text = bugText(bug);
  // Titles may carry a path; the rules anchor on the file name.
  const files = bug.attachments.map((a) => a.trim().replace(/^.*[\\/]/, ""));
  const memo = new Int8Array(cl.matchers.length); // 0 unknown, 1 hit, 2 miss: each regex runs at most once
  const hit = (i: number): boolean => {
    if (memo[i] === 0) {
      const m = cl.matchers[i] as Matcher;
      const ok = m.on === "text" ? enough(m, text) : files.some((f) => m.rx.test(f));
      memo[i] = ok ? 1 : 2;
    }
    return memo[i] === 1;
  };
  const holds = (c: Conj): boolean => c.every(hit);
  const any = (cs: readonly Conj[]): boolean => cs.some(holds);

  const found = new Set<string>();
  for (const item of cl.items) if (any(item.satisfiedBy)) found.add(item.id);
  const queue = [...found];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const t of cl.byId.get(id)?.implies ?? []) {
      if (!found.has(t)) {
        found.add(t);
        queue.push(t);
      }
    }
  }
  const applies = (item: ChecklistItem): boolean => !item.when || holds(item.when);
  const present = cl.items.filter((i) => found.has(i.id)).map((i) => i.id);
  const skipped = opts.ignoreSkip ? undefined : skipReason(cl, bug, opts);
  if (skipped) return { complete: true, missing: [], present, partial: [], advisory: [], skipped };

  const missing = cl.data.order.filter((id) => {
    const item = cl.byId.get(id);
    return item && !found.has(id) && (item.kind === "required" || applies(item));
  });
  const partial = missing.filter((id) => any(cl.byId.get(id)?.partialIf ?? []));
  const advisory = cl.items
    .filter((i) => i.kind === "advisory" && !found.has(i.id) && applies(i))
    .map((i) => i.id);
  return { complete: missing.length === 0, missing, present, partial, advisory };
}
