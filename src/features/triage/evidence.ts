// What of a bug counts as the reporter's evidence (pure): their own text with template scaffolding removed, lines kept, and their own attachments.

/** An attachment as the evaluator sees it; a bare string is a file name (the simple `--file` form). */
export interface AttachmentForTriage {
  /** The file name (the Librarian's, when resolved), else the title. */
  name: string;
  /** The attachment's title, when it differs from the file name (editable free text). */
  title?: string | undefined;
  /** The media type given at upload, when known. */
  type?: string | undefined;
  /** false: someone else uploaded it, so it proves nothing about the reporter's system. Default true. */
  fromReporter?: boolean | undefined;
}

export interface CommentForTriage {
  author_is_reporter: boolean;
  content: string;
  /** Launchpad's `visible` (devel API): false for a hidden comment. */
  visible?: boolean | undefined;
}

/** The scaffolding patterns of the checklist's `evidence` section, compiled. */
export interface EvidenceRules {
  placeholders: readonly RegExp[];
  dropLines: readonly RegExp[];
}

export interface EvidenceFile {
  /** File name and title (basenames), each once. */
  names: string[];
  type: string | undefined;
}

export interface Evidence {
  text: string;
  files: EvidenceFile[];
}

/** The bot's own comments end with this marker: its prompt lists the very commands it asks for. */
const BOT_MARKER = /^sunbeam-triage:v1\b/m;
const FENCE = /^\s*(```|~~~)/;
const QUOTE = /^\s*>/;
/** `Deployment type (single node / multi node / MAAS): x` → `Deployment type: x`: the hint is the template's. */
const LABEL_HINT = /^(\s*[-*]?\s*(?!Traceback\b)[A-Za-z][\w /]{1,40}?)\s*\([^()\n]*\)\s*:/;
/** A template label with no answer: `Ubuntu release:`, `- Snap version: N/A`. Capitalised, so YAML keys stay. */
const EMPTY_LABEL = /^\s*[-*]?\s*[A-Z][\w ()/.`'-]{0,50}:\s*(n\/?a|none|-|tbd|todo|\.\.\.)?\s*$/i;
const NO_ANSWER = /:\s*(n\/?a|none|-|tbd|todo|\.\.\.)\s*$/i;
const CAPITALISED_LABEL = /^\s*[-*]?\s*[A-Z]/;

function isEmptyLabel(line: string): boolean {
  return CAPITALISED_LABEL.test(line) && EMPTY_LABEL.test(line);
}

/** One part (title, description or a comment) without scaffolding; line structure kept. */
export function stripScaffolding(part: string, rules: EvidenceRules): string {
  const kept: { line: string; fenced: boolean }[] = [];
  let fenced = false;
  for (const raw of part.split(/\r?\n/)) {
    if (FENCE.test(raw)) {
      fenced = !fenced;
      continue;
    }
    let line = raw;
    for (const p of rules.placeholders) line = line.replace(p, " ");
    if (!fenced) {
      if (QUOTE.test(line)) continue; // someone else's words quoted back (often the bot's prompt)
      if (rules.dropLines.some((d) => d.test(line))) continue;
      line = line.replace(LABEL_HINT, "$1:");
    }
    if (line.trim() === "") continue;
    kept.push({ line, fenced });
  }
  // An empty label counts only as the heading of what follows it ("Steps to reproduce:\n I ran …"): drop it when
  // nothing follows, or another label does, or when it was answered N/A.
  return kept
    .filter((k, i) => {
      if (k.fenced || !isEmptyLabel(k.line)) return true;
      if (NO_ANSWER.test(k.line)) return false;
      const next = kept[i + 1];
      return next !== undefined && (next.fenced || !isEmptyLabel(next.line));
    })
    .map((k) => k.line)
    .join("\n");
}

/**
 * Runs of spaces/tabs become one space: the rules only ever ask for "some whitespace", and `^\s*` over thousands
 * of blank lines (pasted logs) is quadratic in every regex engine (blank lines are already gone).
 */
function squeeze(s: string): string {
  return s.replace(/[^\S\n]{2,}/g, " ");
}

function basename(s: string): string {
  return s.trim().replace(/^.*[\\/]/, "");
}

export interface BugEvidenceInput {
  title: string;
  description: string;
  attachments: readonly (string | AttachmentForTriage)[];
  comments?: readonly CommentForTriage[] | undefined;
}

/** Title, description and the reporter's visible comments (never the bot's), and the reporter's attachments. */
export function bugEvidence(bug: BugEvidenceInput, rules: EvidenceRules): Evidence {
  const parts = [bug.title, bug.description];
  for (const c of bug.comments ?? []) {
    if (c.author_is_reporter && c.visible !== false && !BOT_MARKER.test(c.content)) parts.push(c.content);
  }
  const text = squeeze(parts.map((p) => stripScaffolding(p, rules)).join("\n"));
  const files: EvidenceFile[] = [];
  for (const a of bug.attachments) {
    const att = typeof a === "string" ? { name: a } : a;
    if (att.fromReporter === false) continue;
    const names = [...new Set([att.name, att.title ?? ""].map(basename).filter((n) => n !== ""))];
    if (names.length > 0) files.push({ names, type: att.type?.trim() || undefined });
  }
  return { text, files };
}
