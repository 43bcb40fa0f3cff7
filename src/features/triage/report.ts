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
  /** Every item of the checklist, required ones first (for the text renderings), as evaluated. */
  items: ItemReport[];
  /** The checklist applied regardless of the skip rules: for a skipped bug, what would be missing. */
  evaluation: Verdict;
  /** `--ignore-skip`: the skip rule that would have applied. */
  skipIgnored?: string;
}

export interface ReportBug {
  id: number | null;
  title: string;
  url?: string | undefined;
}

/**
 * The bot's decision (a skipped bug is complete with nothing missing, as the bot treats it), with the checklist
 * applied anyway under `evaluation`, because "what would be missing" is the triager's next question.
 * `ignoreSkip` makes the evaluation the decision.
 */
export function triageReport(
  cl: Checklist,
  input: BugForTriage,
  bug: ReportBug,
  opts: EvaluateOptions = {},
): TriageReport {
  const v = evaluate(cl, input, { ...opts, ignoreSkip: true });
  const rule = skipReason(cl, input, opts);
  const skipped = opts.ignoreSkip ? undefined : rule;
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
    ...(skipped
      ? { complete: true, missing: [], present: v.present, partial: [], advisory: [], skipped }
      : v),
    items: ordered.map((i) => ({ id: i.id, kind: i.kind, description: i.description, state: state(i.id) })),
    evaluation: v,
    ...(opts.ignoreSkip && rule ? { skipIgnored: rule } : {}),
  };
}

/** The `triage --json` document (ARCHITECTURE §4): fields may be added, never renamed. */
export function reportJson(r: TriageReport): Record<string, unknown> {
  const e = r.evaluation;
  const verdict = (v: Verdict) => ({
    complete: v.complete,
    missing: v.missing,
    present: v.present,
    partial: v.partial,
    advisory: v.advisory,
  });
  return {
    bug: r.bug,
    ...verdict(r),
    title: r.title,
    ...(r.url ? { url: r.url } : {}),
    ...(r.skipped
      ? { skipped: r.skipped, evaluation: { ...verdict(e), decisions: e.decisions ?? {} } }
      : { decisions: e.decisions ?? {} }),
    ...(r.skipIgnored ? { skipIgnored: r.skipIgnored } : {}),
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
    r.skipped
      ? "Skipped by the bot; the checklist anyway:"
      : r.evaluation.complete
        ? "Complete: every required item is there."
        : `Incomplete: ${r.missing.length} of ${blocking(r)} required items missing: ${r.missing.join(", ")}.`,
  );
  const width = Math.max(...r.items.map((i) => i.id.length));
  for (const i of r.items) {
    const d = r.evaluation.decisions?.[i.id];
    const seen = d?.impliedBy ? ` [via ${d.impliedBy}]` : d?.evidence ? ` [${d.evidence}]` : "";
    lines.push(`  ${MARK[i.state].padEnd(8)} ${i.id.padEnd(width)}  ${i.description}${NOTE[i.state]}${seen}`);
  }
  if (r.skipped) lines.push(`The bot would leave this bug alone: ${r.skipped}.`);
  return lines.join("\n");
}

/** `!triage`'s reply: short, with the missing items named and described. */
export function renderReportChat(r: TriageReport): string {
  const link = r.url ? ` ${r.url}` : "";
  const lines = [`**${headline(r)}**${link}`];
  const e = r.evaluation;
  if (r.skipped) lines.push(`The bot leaves this bug alone (${r.skipped}); the checklist anyway:`);
  if (e.complete) {
    lines.push("Debug info complete: ready for triage.");
  } else {
    lines.push(`Missing ${e.missing.length} of ${blocking(r)} required items:`);
    for (const i of r.items) {
      if (i.state === "missing" || i.state === "partial") {
        lines.push(`- \`${i.id}\`: ${i.description}${i.state === "partial" ? " (partly there)" : ""}`);
      }
    }
  }
  if (e.present.length) lines.push(`Present: ${e.present.map((id) => `\`${id}\``).join(", ")}`);
  if (e.advisory.length) lines.push(`Also useful: ${e.advisory.map((id) => `\`${id}\``).join(", ")}`);
  return lines.join("\n");
}
