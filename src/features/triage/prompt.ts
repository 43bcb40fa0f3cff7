// Renders the bot's triage texts (pure): the Launchpad prompt and thanks with their marker, and the triage-room note.
import { loadChecklist, type Checklist, type Verdict } from "./checklist.js";

/**
 * The footer that identifies the bot's own comments. Launchpad renders comments as plain text (no HTML
 * comments), so the marker is a visible last line; finding it before posting is what makes a restart safe.
 */
export const MARKER = "sunbeam-triage:v1";
const MARKER_LINE = /^sunbeam-triage:v1 (?:missing=([a-z0-9_,]*)|complete)[ \t]*$/gm;

export interface PromptOptions {
  /** Say that the bug was set to Incomplete and that a reply re-opens it (default true). */
  statusNote?: boolean;
  /** Recommend the verdict's advisory items after the numbered list (default true). */
  advisory?: boolean;
}

export interface TriageNoteBug {
  id: number;
  title: string;
  /** Defaults to https://bugs.launchpad.net/bugs/<id>. */
  url?: string | undefined;
}

export interface TriageNoteOptions {
  dryRun: boolean;
  /** new: first look at a bug; reply: the reporter answered our prompt (default new). */
  stage?: "new" | "reply";
}

const INDENT = "       ";

function fill(text: string, cl: Checklist): string {
  return text.replaceAll("{docsUrl}", cl.data.docsUrl);
}

function itemBlock(cl: Checklist, id: string, lead: string, verdict: Verdict): string {
  const item = cl.byId.get(id);
  if (!item) return `${lead}${id}`; // a verdict from an older checklist: still name the item
  const d = verdict.decisions?.[id];
  // Something partly there is asked as a confirmation, naming what we saw, not as if nothing were there.
  const confirm = verdict.partial.includes(id) && item.prompt.partial;
  const text = confirm
    ? (item.prompt.partial ?? "").replaceAll("{found}", d?.evidence ?? "…")
    : item.prompt.text;
  return [`${lead}${text}`, ...item.prompt.commands.map((c) => `${INDENT}${c}`)].join("\n");
}

export function markerLine(missing: readonly string[]): string {
  return `${MARKER} missing=${missing.join(",")}`;
}

/**
 * What the prompt lists: the missing items, those that imply others first (a sosreport carries the Sunbeam logs
 * and juju status), without the items such a listed one implies, so one attachment answers several.
 */
export function promptItems(cl: Checklist, missing: readonly string[]): string[] {
  const asked = new Set(missing);
  const implied = new Set<string>();
  for (const id of missing) for (const t of cl.byId.get(id)?.implies ?? []) if (asked.has(t)) implied.add(t);
  const leads = missing.filter((id) => (cl.byId.get(id)?.implies.length ?? 0) > 0 && !implied.has(id));
  return [...leads, ...missing.filter((id) => !leads.includes(id) && !implied.has(id))];
}

/** The one short Launchpad comment asking for exactly the missing items, each with the command that collects it. */
export function renderPrompt(cl: Checklist, verdict: Verdict, opts: PromptOptions = {}): string {
  if (verdict.missing.length === 0) throw new Error("renderPrompt: nothing is missing");
  const m = cl.data.messages;
  const ids = promptItems(cl, verdict.missing);
  const blocks = [fill(m.intro, cl)];
  blocks.push(ids.map((id, i) => itemBlock(cl, id, `${i + 1}. `, verdict)).join("\n"));
  if (opts.advisory !== false && verdict.advisory.length > 0) {
    const extra = verdict.advisory.map((id) => itemBlock(cl, id, "- ", verdict)).join("\n");
    blocks.push(`${fill(m.advisory, cl)}\n${extra}`);
  }
  if (ids.some((id) => cl.byId.get(id)?.sensitive)) blocks.push(fill(m.secrets, cl));
  blocks.push(fill(m.docs, cl));
  if (opts.statusNote !== false) blocks.push(fill(m.incomplete, cl));
  blocks.push(markerLine(verdict.missing));
  return blocks.join("\n\n");
}

/** Words a reader reads: the marker line is for the bot, a command counts by its words. */
export function promptWords(text: string): number {
  return text
    .split("\n")
    .filter((l) => !l.startsWith(MARKER))
    .join(" ")
    .split(/\s+/)
    .filter((w) => /\w/.test(w)).length;
}

/** The short thanks once the reporter has supplied everything. */
export function renderComplete(cl: Checklist = loadChecklist()): string {
  return `${fill(cl.data.messages.complete, cl)}\n\n${MARKER} complete`;
}

/**
 * Finds the bot's marker in a comment: the last marker line wins. Only a line that is exactly the marker counts,
 * so a reporter quoting the prompt ("> sunbeam-triage:v1 …") is not mistaken for the bot.
 */
export function parseMarker(text: string): { missing: string[]; complete: boolean } | null {
  let last: RegExpMatchArray | undefined;
  for (const m of text.matchAll(MARKER_LINE)) last = m;
  if (!last) return null;
  const list = last[1];
  if (list === undefined) return { missing: [], complete: true };
  return { missing: list.split(",").filter((s) => s.length > 0), complete: false };
}

function oneLine(s: string, max = 120): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A note for the triage room: which bug, its link, and what the bot found and did (or would do). */
export function renderTriageNote(bug: TriageNoteBug, verdict: Verdict, opts: TriageNoteOptions): string {
  const head = `${opts.dryRun ? "[dry-run] " : ""}Bug #${bug.id} "${oneLine(bug.title)}"`;
  const link = bug.url ?? `https://bugs.launchpad.net/bugs/${bug.id}`;
  const reply = opts.stage === "reply";
  let body: string;
  if (verdict.skipped) {
    body = `not checked (${verdict.skipped}).`;
  } else if (verdict.complete) {
    body = reply
      ? `the reporter supplied the missing debug info; ${opts.dryRun ? "would set" : "set"} back to New: ready for triage.`
      : "debug info complete: ready for triage.";
  } else {
    const partial = verdict.partial.length > 0 ? ` (partial: ${verdict.partial.join(", ")})` : "";
    const missing = `missing ${verdict.missing.join(", ")}${partial}`;
    body = reply
      ? `the reporter replied but is still ${missing}; not prompting again, over to the triagers.`
      : `${missing}; ${opts.dryRun ? "would ask" : "asked"} the reporter and set it Incomplete.`;
  }
  const advisory =
    !verdict.skipped && verdict.advisory.length > 0 ? `\nAlso useful: ${verdict.advisory.join(", ")}.` : "";
  return `${head}: ${body}${advisory}\n${link}`;
}
