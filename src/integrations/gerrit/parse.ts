// Types raw Gerrit stream-events lines into GerritEvents. Total: any input gives an event or an error.
import {
  GERRIT_TYPES,
  type Account,
  type Approval,
  type GerritEvent,
  type GerritType,
} from "../../core/events.js";

export type ParseResult = { ok: true; event: GerritEvent } | { ok: false; error: string };

const KNOWN = new Set<string>(GERRIT_TYPES);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Gerrit sends numbers as integers; old servers and Zuul's fake send strings. Accept both. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

function strList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
}

function account(v: unknown): Account | undefined {
  if (!isObj(v)) return undefined;
  const a: Account = {};
  const name = str(v.name);
  const email = str(v.email);
  const username = str(v.username);
  if (name !== undefined) a.name = name;
  if (email !== undefined) a.email = email;
  if (username !== undefined) a.username = username;
  return a;
}

function approvals(v: unknown): Approval[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Approval[] = [];
  for (const a of v) {
    if (!isObj(a)) continue;
    const type = str(a.type);
    const value = num(a.value);
    if (type === undefined || value === undefined) continue;
    const ap: Approval = { type, value };
    const old = num(a.oldValue);
    if (old !== undefined) ap.oldValue = old;
    const by = account(a.by);
    if (by) ap.by = by;
    out.push(ap);
  }
  return out;
}

/** Which field names the account that caused each event type. */
const ACTOR_FIELD: Record<GerritType, string | undefined> = {
  "patchset-created": "uploader",
  "comment-added": "author",
  "change-merged": "submitter",
  "change-abandoned": "abandoner",
  "change-restored": "restorer",
  "ref-updated": "submitter",
  "reviewer-added": "adder",
  "reviewer-deleted": "remover",
  "vote-deleted": "remover",
  "wip-state-changed": "changer",
  "private-state-changed": "changer",
  "topic-changed": "changer",
  "hashtags-changed": "editor",
  "project-created": undefined,
  "dropped-output": undefined,
};

export function accountKey(a: Account | undefined): string {
  return a?.username ?? a?.email ?? a?.name ?? "-";
}

/**
 * The deterministic id: the same event read live, read twice, or synthesised by backfill gets the
 * same id, so the queue's job-id dedup collapses it.
 */
export function gerritEventId(e: Omit<GerritEvent, "id">, raw?: string): string {
  const when = e.createdOn ?? "-";
  switch (e.type) {
    case "ref-updated":
      return `gerrit:ref-updated:${e.refUpdate?.project ?? e.project ?? "-"}:${e.refUpdate?.refName ?? "-"}:${e.refUpdate?.newRev ?? "-"}`;
    case "project-created":
      return `gerrit:project-created:${e.projectName ?? "-"}`;
    case "dropped-output":
      return `gerrit:dropped-output:${when}`;
  }
  const change = e.change?.number ?? "-";
  const ps = e.patchSet?.number ?? "-";
  let extra = "";
  if (e.reviewer) extra = `:${accountKey(e.reviewer)}`;
  if (e.type === "hashtags-changed")
    extra = `:+${(e.hashtagsAdded ?? []).join(",")}-${(e.hashtagsRemoved ?? []).join(",")}`;
  // One account can act twice on one patch set within a second (Zuul reports every pipeline in the same
  // second after a merge failure): the comment text tells them apart, and a replay has the same text.
  // Only the text, not the approvals: backfill rebuilds comments from REST messages, whose text is the
  // same but whose votes are only those the message header names.
  if (e.comment !== undefined && e.comment.trim() !== "") extra += `:${fnv1a(e.comment.trim())}`;
  if (e.type === "topic-changed") extra += `:${fnv1a(`${e.oldTopic ?? ""}>${e.change?.topic ?? ""}`)}`;
  if (e.kind === "gerrit.unknown" || (e.createdOn === null && raw !== undefined)) {
    // Without a timestamp nothing else distinguishes two events: fall back to the line's content.
    extra += `:${fnv1a(raw ?? JSON.stringify(e))}`;
  }
  return `gerrit:${e.type}:${change}:${ps}:${when}:${accountKey(e.actor)}${extra}`;
}

/** A small stable string hash (FNV-1a, 32 bit, hex); ids need determinism, not cryptography. */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Types one decoded JSON object. Never throws. */
export function parseGerritObject(o: Obj, raw?: string): ParseResult {
  const type = str(o.type);
  if (type === undefined || type === "") return { ok: false, error: 'no "type" field' };
  const known = KNOWN.has(type);
  const c = isObj(o.change) ? o.change : undefined;
  const p = isObj(o.patchSet) ? o.patchSet : undefined;
  const e: Omit<GerritEvent, "id"> = {
    source: "gerrit",
    kind: known ? (`gerrit.${type}` as GerritEvent["kind"]) : "gerrit.unknown",
    type,
    createdOn: num(o.eventCreatedOn) ?? null,
  };
  const project =
    str(c?.project) ?? str(o.project) ?? (isObj(o.refUpdate) ? str(o.refUpdate.project) : undefined);
  if (project !== undefined) e.project = project;
  const branch = str(c?.branch) ?? branchOfRef(str(o.refName));
  if (branch !== undefined) e.branch = branch;
  if (c) {
    e.change = {};
    const n = num(c.number);
    if (n !== undefined) e.change.number = n;
    copyStr(c, e.change, ["id", "subject", "url", "status", "topic"]);
    const owner = account(c.owner);
    if (owner) e.change.owner = owner;
    const wip = bool(c.wip);
    if (wip !== undefined) e.change.wip = wip;
    const priv = bool(c.private);
    if (priv !== undefined) e.change.private = priv;
    const tags = strList(c.hashtags);
    if (tags) e.change.hashtags = tags;
  }
  if (p) {
    e.patchSet = {};
    const n = num(p.number);
    if (n !== undefined) e.patchSet.number = n;
    copyStr(p, e.patchSet, ["revision", "kind"]);
    const up = account(p.uploader);
    if (up) e.patchSet.uploader = up;
  }
  const actorField = known ? ACTOR_FIELD[type as GerritType] : undefined;
  const actor = actorField ? account(o[actorField]) : undefined;
  if (actor) e.actor = actor;
  const aps = approvals(o.approvals);
  if (aps) e.approvals = aps;
  copyStr(o, e, ["comment", "reason", "newRev", "oldTopic", "projectName"]);
  // The doc says projectHead, the code says headName: accept both.
  const head = str(o.headName) ?? str(o.projectHead);
  if (head !== undefined) e.headName = head;
  if (isObj(o.refUpdate)) {
    const r = o.refUpdate;
    e.refUpdate = {};
    copyStr(r, e.refUpdate, ["oldRev", "newRev", "refName", "project"]);
    if (e.branch === undefined) {
      const b = branchOfRef(e.refUpdate.refName);
      if (b !== undefined) e.branch = b;
    }
  }
  const reviewer = account(o.reviewer);
  if (reviewer) e.reviewer = reviewer;
  const added = strList(o.added);
  if (added) e.hashtagsAdded = added;
  const removed = strList(o.removed);
  if (removed) e.hashtagsRemoved = removed;
  return { ok: true, event: { ...e, id: gerritEventId(e, raw) } };
}

/** Parses one stream-events line. Malformed JSON is an error naming what was wrong. */
export function parseGerritLine(line: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    return { ok: false, error: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isObj(parsed)) return { ok: false, error: "not a JSON object" };
  return parseGerritObject(parsed, line);
}

function branchOfRef(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined;
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
}

function copyStr<T extends object>(from: Obj, to: T, keys: string[]): void {
  for (const k of keys) {
    const v = str(from[k]);
    if (v !== undefined) (to as Record<string, unknown>)[k] = v;
  }
}
