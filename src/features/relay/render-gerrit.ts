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
  /**
   * Work-in-progress uploads: off by default (the change is announced as a proposal when it is marked
   * ready); on, they are announced as WIP.
   */
  announceWip?: boolean;
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
  // Only votes this event set are news: changed (oldValue present) or non-zero; a vote back to 0 is a removal.
  const shown = (approvals ?? []).filter((a) =>
    a.oldValue !== undefined ? a.oldValue !== a.value && a.value !== 0 : a.value !== 0,
  );
  return shown.map((a) => `${a.type} ${a.value > 0 ? "+" : ""}${a.value}`).join(", ");
}

/** One token of Gerrit's "Patch Set N: …" header: `Code-Review+2`, `Verified-1`, or `-Code-Review` (removed). */
const HEADER_VOTE = /^(?:-[A-Za-z][\w-]*|[A-Za-z][\w-]*[+-]\d+)$/;

/**
 * Labels whose vote this comment removed: an approval back to 0 from a vote, or `-Label` in the header.
 * The header counts too because Gerrit may send no approvals (or 0 without oldValue) for a removal; it is
 * read only when every token of it is a vote, so a free-text first line is never taken for one.
 */
function removedVotes(approvals: Approval[] | undefined, comment: string | undefined): string[] {
  const out = new Set<string>();
  for (const a of approvals ?? [])
    if (a.value === 0 && a.oldValue !== undefined && a.oldValue !== 0) out.add(a.type);
  const header =
    /^Patch Set \d+:([^\n]*)/
      .exec(comment ?? "")?.[1]
      ?.trim()
      .split(/\s+/)
      .filter(Boolean) ?? [];
  if (header.every((t) => HEADER_VOTE.test(t)))
    for (const t of header) if (t.startsWith("-")) out.add(t.slice(1));
  return [...out];
}

/** NoteDb bookkeeping refs: Gerrit 3.x updates a change's `/meta` ref on every review action. */
const NOTEDB_REF = /^refs\/(?:changes\/\d+\/\d+\/meta$|draft-comments\/|starred-changes\/|sequences\/)/;
const isZeroRev = (rev: string | undefined): boolean => rev !== undefined && /^0+$/.test(rev);

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
      // A WIP upload is not a proposal yet: it is announced when marked ready (below), or as WIP if asked.
      if (e.change?.wip) {
        if (!opts.announceWip) return null;
        return { kind: e.type, text: `${p} ${actor} uploaded ${ref(e)} (work in progress)${on}${tail}` };
      }
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
      const removed = removedVotes(e.approvals, e.comment);
      const gist = commentGist(e.comment);
      const detail = [v && `(${v})`, gist && `"${plain(gist)}"`].filter(Boolean).join(" ");
      const verb = removed.length
        ? `removed their ${removed.map(plain).join(", ")} vote${removed.length > 1 ? "s" : ""} on`
        : "commented on";
      return {
        kind: e.type,
        text: `${p} ${actor} ${verb} ${ref(e)}${detail ? ` ${detail}` : ""}${tail}`,
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
      if (r?.refName && NOTEDB_REF.test(r.refName)) return null;
      const name = plain(r?.refName ?? "a ref");
      const rev = r?.newRev?.slice(0, 10) ?? "?";
      if (isZeroRev(r?.newRev)) return { kind: e.type, text: `${p} ${actor} deleted ${name}` };
      if (isZeroRev(r?.oldRev)) return { kind: e.type, text: `${p} ${actor} created ${name} at ${rev}` };
      return { kind: e.type, text: `${p} ${actor} updated ${name} to ${rev}` };
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
      // Ready for review is when a WIP upload becomes a proposal: announced as one (rooms asking for
      // patchset-created get it), since the upload itself was not.
      if (!e.change?.wip)
        return {
          kind: "patchset-created",
          text: `${p} ${actor} proposed ${ref(e)} (ready for review)${on}${tail}`,
        };
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
