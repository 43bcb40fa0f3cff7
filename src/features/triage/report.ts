// The checklist verdict for one bug as a report (pure): `triage --json`, the CLI's text and `!triage`'s reply.
import {
  evaluate,
  skipReason,
  type BugForTriage,
  type Checklist,
  type EvaluateOptions,
  type ItemKind,
  type Verdict,
} from "./checklist.js";

/**
 * present: found; missing: blocks (partial: something was found, not enough); recommended: an advisory
 * item that fits this bug; not-needed: a conditional or advisory item that does not apply here.
 */
export type ItemState = "present" | "missing" | "partial" | "recommended" | "not-needed";

export interface ItemReport {
  id: string;
  kind: ItemKind;
  description: string;
  state: ItemState;
}

/** The verdict (complete, missing, present, partial, advisory, skipped) with the bug it is about. */
export interface TriageReport extends Verdict {
  /** The Launchpad bug number; null for a bug read from a file without an `id`. */
  bug: number | null;
  title: string;
  url?: string;
  /** Every item of the checklist, required ones first (for the text renderings). */
  items: ItemReport[];
}

export interface ReportBug {
  id: number | null;
  title: string;
  url?: string | undefined;
}

/**
 * The verdict a human asks for: the checklist is applied even to a bug the bot skips (the skip reason is
 * reported beside it), because "what would be missing" is the question.
 */
export function triageReport(
  cl: Checklist,
  input: BugForTriage,
  bug: ReportBug,
  opts: EvaluateOptions = {},
): TriageReport {
  const v = evaluate(cl, input, { ...opts, ignoreSkip: true });
  const skipped = skipReason(cl, input, opts);
  const state = (id: string): ItemState => {
    if (v.present.includes(id)) return "present";
    if (v.partial.includes(id)) return "partial";
    if (v.missing.includes(id)) return "missing";
    if (v.advisory.includes(id)) return "recommended";
    return "not-needed";
  };
  const ordered = [
    ...cl.data.order.flatMap((id) => cl.byId.get(id) ?? []),
    ...cl.items.filter((i) => !cl.data.order.includes(i.id)),
  ];
  return {
    bug: bug.id,
    title: bug.title,
    ...(bug.url ? { url: bug.url } : {}),
    complete: v.complete,
    missing: v.missing,
    present: v.present,
    partial: v.partial,
    advisory: v.advisory,
    ...(skipped ? { skipped } : {}),
    items: ordered.map((i) => ({ id: i.id, kind: i.kind, description: i.description, state: state(i.id) })),
  };
}

/** The `triage --json` document (ARCHITECTURE §4): fields may be added, never renamed. */
export function reportJson(r: TriageReport): Record<string, unknown> {
  return {
    bug: r.bug,
    complete: r.complete,
    missing: r.missing,
    present: r.present,
    partial: r.partial,
    advisory: r.advisory,
    title: r.title,
    ...(r.url ? { url: r.url } : {}),
    ...(r.skipped ? { skipped: r.skipped } : {}),
  };
}

const MARK: Record<ItemState, string> = {
  present: "ok",
  missing: "MISSING",
  partial: "PARTIAL",
  recommended: "advised",
  "not-needed": "-",
};

const NOTE: Record<ItemState, string> = {
  present: "",
  missing: "",
  partial: " (something found, not enough)",
  recommended: " (recommended, never required)",
  "not-needed": " (not needed for this bug)",
};

function headline(r: TriageReport): string {
  const name = r.bug === null ? "Bug" : `Bug #${r.bug}`;
  return `${name} "${r.title.replace(/\s+/g, " ").trim()}"`;
}

function blocking(r: TriageReport): number {
  return r.items.filter((i) => i.kind !== "advisory" && i.state !== "not-needed").length;
}

/** The CLI's text: a verdict line, then one line per checklist item. */
export function renderReportText(r: TriageReport): string {
  const lines = [headline(r) + (r.url ? `\n${r.url}` : "")];
  lines.push(
    r.complete
      ? "Complete: every required item is there."
      : `Incomplete: ${r.missing.length} of ${blocking(r)} required items missing: ${r.missing.join(", ")}.`,
  );
  const width = Math.max(...r.items.map((i) => i.id.length));
  for (const i of r.items) {
    lines.push(`  ${MARK[i.state].padEnd(8)} ${i.id.padEnd(width)}  ${i.description}${NOTE[i.state]}`);
  }
  if (r.skipped) lines.push(`The bot would leave this bug alone: ${r.skipped}.`);
  return lines.join("\n");
}

/** `!triage`'s reply: short, with the missing items named and described. */
export function renderReportChat(r: TriageReport): string {
  const link = r.url ? ` ${r.url}` : "";
  const lines = [`**${headline(r)}**${link}`];
  if (r.complete) {
    lines.push("Debug info complete: ready for triage.");
  } else {
    lines.push(`Missing ${r.missing.length} of ${blocking(r)} required items:`);
    for (const i of r.items) {
      if (i.state === "missing" || i.state === "partial") {
        lines.push(`- \`${i.id}\`: ${i.description}${i.state === "partial" ? " (partly there)" : ""}`);
      }
    }
  }
  if (r.present.length) lines.push(`Present: ${r.present.map((id) => `\`${id}\``).join(", ")}`);
  if (r.advisory.length) lines.push(`Also useful: ${r.advisory.map((id) => `\`${id}\``).join(", ")}`);
  if (r.skipped) lines.push(`The bot leaves this bug alone (${r.skipped}).`);
  return lines.join("\n");
}
