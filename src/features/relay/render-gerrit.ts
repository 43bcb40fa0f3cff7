// Renders one Gerrit event as one concise chat line (pure). Decides the relay kind, e.g. zuul-result.
import type { Account, Approval, GerritEvent } from "../../core/events.js";
import { outcomeText, parseZuulComment } from "./zuul-result.js";
import { plain } from "../../chat/format.js";

export interface RenderOptions {
  /** The bot's own Gerrit username: its events are never rendered. */
  botUser?: string;
  /** Automated accounts (Zuul): their comments become a one-line result summary or nothing. */
  botAccounts?: readonly string[];
  /** Gerrit web URL, to build a change link when the event carries none. */
  gerritUrl?: string;
}

export interface Rendered {
  /** The relay kind rooms filter on: the Gerrit type, or `zuul-result`. */
  kind: string;
  text: string;
}

/** A display name as chat text: chosen by its owner, so literal (never markup or a link). */
export function who(a: Account | undefined): string {
  return plain(a?.name ?? a?.username ?? a?.email ?? "Someone");
}

export function isAccount(a: Account | undefined, names: readonly string[]): boolean {
  if (!a) return false;
  return names.some((n) => n === a.username || n === a.email || n === a.name);
}

function changeUrl(e: GerritEvent, opts: RenderOptions): string | undefined {
  if (e.change?.url) return e.change.url;
  if (opts.gerritUrl && e.change?.number !== undefined) {
    return `${opts.gerritUrl.replace(/\/$/, "")}/c/${e.project ?? ""}/+/${e.change.number}`;
  }
  return undefined;
}

function ref(e: GerritEvent): string {
  const n = e.change?.number ?? "?";
  return e.patchSet?.number !== undefined ? `${n},${e.patchSet.number}` : String(n);
}

function votes(approvals: Approval[] | undefined): string {
  // Only votes this event changed (oldValue present) or non-zero ones are news.
  const shown = (approvals ?? []).filter((a) =>
    a.oldValue !== undefined ? a.oldValue !== a.value : a.value !== 0,
  );
  return shown.map((a) => `${a.type} ${a.value > 0 ? "+" : ""}${a.value}`).join(", ");
}

/** The human part of a comment: without Gerrit's "Patch Set N: <votes>" header, first line, trimmed. */
export function commentGist(comment: string | undefined, max = 120): string {
  if (!comment) return "";
  const body = comment.replace(/^Patch Set \d+:[^\n]*(\n\n?)?/, "").trim();
  const first =
    body
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

function verifiedVote(approvals: Approval[] | undefined): string {
  const v = (approvals ?? []).find((a) => a.type === "Verified");
  return v ? `Verified ${v.value > 0 ? "+" : ""}${v.value}` : "";
}

/** Returns null for events that are never relayed (the bot's own, dropped-output, unknown types). */
export function renderGerritEvent(e: GerritEvent, opts: RenderOptions = {}): Rendered | null {
  if (e.kind === "gerrit.unknown" || e.type === "dropped-output") return null;
  if (opts.botUser && isAccount(e.actor, [opts.botUser])) return null;
  const p = `[${e.project ?? e.projectName ?? "gerrit"}]`;
  const url = changeUrl(e, opts);
  // Subjects, branches, topics and hashtags come from whoever uploads: literal text, never markup.
  const tail = `${e.change?.subject ? `: ${plain(e.change.subject)}` : ""}${url ? ` — ${url}` : ""}`;
  const on = e.branch ? ` on ${plain(e.branch)}` : "";
  const actor = who(e.actor);
  switch (e.type) {
    case "patchset-created":
      return { kind: e.type, text: `${p} ${actor} proposed ${ref(e)}${on}${tail}` };
    case "comment-added": {
      if (isAccount(e.actor, opts.botAccounts ?? [])) {
        const z = parseZuulComment(e.comment);
        // A start message is no result; every report (merge failure, config error, …) is announced.
        if (!z || z.outcome === "started") return null;
        const vote = verifiedVote(e.approvals);
        const what = outcomeText(z);
        const pipe = z.pipeline ? ` (${z.pipeline})` : "";
        return {
          kind: "zuul-result",
          text: `${p} ${actor}: ${vote ? `${vote} on ` : ""}${ref(e)}${pipe} — ${what}${url ? ` — ${url}` : ""}`,
        };
      }
      const v = votes(e.approvals);
      const gist = commentGist(e.comment);
      const detail = [v && `(${v})`, gist && `"${plain(gist)}"`].filter(Boolean).join(" ");
      return {
        kind: e.type,
        text: `${p} ${actor} commented on ${ref(e)}${detail ? ` ${detail}` : ""}${tail}`,
      };
    }
    case "change-merged":
      return { kind: e.type, text: `${p} ${ref(e)} merged${on}${tail}` };
    case "change-abandoned":
      return { kind: e.type, text: `${p} ${actor} abandoned ${ref(e)}${on}${tail}` };
    case "change-restored":
      return { kind: e.type, text: `${p} ${actor} restored ${ref(e)}${on}${tail}` };
    case "ref-updated": {
      const r = e.refUpdate;
      const deleted = r?.newRev !== undefined && /^0+$/.test(r.newRev);
      return {
        kind: e.type,
        text: `${p} ${actor} ${deleted ? "deleted" : "updated"} ${r?.refName ?? "a ref"}${deleted ? "" : ` to ${r?.newRev?.slice(0, 10) ?? "?"}`}`,
      };
    }
    case "reviewer-added":
      return { kind: e.type, text: `${p} ${actor} added ${who(e.reviewer)} as reviewer on ${ref(e)}${tail}` };
    case "reviewer-deleted":
      return {
        kind: e.type,
        text: `${p} ${actor} removed reviewer ${who(e.reviewer)} from ${ref(e)}${tail}`,
      };
    case "vote-deleted":
      return { kind: e.type, text: `${p} ${actor} removed a vote by ${who(e.reviewer)} on ${ref(e)}${tail}` };
    case "wip-state-changed":
      return {
        kind: e.type,
        text: `${p} ${actor} marked ${ref(e)} ${e.change?.wip ? "work in progress" : "ready for review"}${tail}`,
      };
    case "private-state-changed":
      return {
        kind: e.type,
        text: `${p} ${actor} made ${ref(e)} ${e.change?.private ? "private" : "public"}${tail}`,
      };
    case "topic-changed":
      return {
        kind: e.type,
        text: `${p} ${actor} set the topic of ${ref(e)} to "${plain(e.change?.topic ?? "")}"${e.oldTopic ? ` (was "${plain(e.oldTopic)}")` : ""}${tail}`,
      };
    case "hashtags-changed": {
      const parts = [
        ...(e.hashtagsAdded ?? []).map((h) => `+#${plain(h)}`),
        ...(e.hashtagsRemoved ?? []).map((h) => `-#${plain(h)}`),
      ];
      return {
        kind: e.type,
        text: `${p} ${actor} changed hashtags of ${ref(e)} (${parts.join(" ") || "none"})${tail}`,
      };
    }
    case "project-created":
      return {
        kind: e.type,
        text: `[${e.projectName ?? "gerrit"}] project created${e.headName ? ` (HEAD ${e.headName})` : ""}`,
      };
    default:
      return null;
  }
}
