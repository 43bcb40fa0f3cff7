// `sunbeam-bot replay FILE`: what each Gerrit stream-events line would announce. Bad lines never stop it.
import { readFileSync } from "node:fs";
import { UserError } from "../core/errors.js";
import type { GerritEvent } from "../core/events.js";
import { isDefaultRelayKind } from "../features/relay/filter.js";
import { renderGerritEvent, type RenderOptions } from "../features/relay/render-gerrit.js";
import { parseGerritLine } from "../integrations/gerrit/parse.js";

export type ReplayLine =
  | { line: number; ok: true; event: GerritEvent; announce: string | null }
  | { line: number; ok: false; error: string };

/** Reads a JSONL file; a file that cannot be read is a UserError (exit 2). Blank lines are skipped. */
export function readLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split(/\r?\n/);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UserError(`cannot read ${file} (${code})`);
  }
}

export function replayLines(lines: string[], render: RenderOptions): ReplayLine[] {
  const out: ReplayLine[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === "") return;
    const parsed = parseGerritLine(text);
    if (!parsed.ok) {
      out.push({ line: i + 1, ok: false, error: `line ${i + 1}: ${parsed.error}` });
      return;
    }
    const r = renderGerritEvent(parsed.event, render);
    out.push({
      line: i + 1,
      ok: true,
      event: parsed.event,
      announce: r && isDefaultRelayKind(r.kind) ? r.text : null,
    });
  });
  return out;
}

export function formatReplayLine(r: ReplayLine): string {
  if (!r.ok) return `${r.line}: ERROR ${r.error}`;
  return `${r.line}: ${r.event.kind} ${r.announce ?? "(not announced by default)"}`;
}
