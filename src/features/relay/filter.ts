// Which rooms get a rendered Gerrit event: per-room rules on project, branch, kind and author (pure).
import type { GerritEvent } from "../../core/events.js";
import { DEFAULT_RELAY_KINDS } from "./kinds.js";
import { matchesAny } from "./patterns.js";
import { isAccount } from "./render-gerrit.js";
import type { ChatTarget } from "../../chat/outbox.js";

/** The shape filters need; config rules (RelayRule) and run-time subscriptions both fit it. */
export interface RuleLike {
  room: string;
  projects: readonly string[];
  branches: readonly string[];
  events: readonly string[];
  excludeAuthors: readonly string[];
  includeAuthors?: readonly string[] | undefined;
}

/** A rule with the room it posts to resolved: config rooms by name, subscriptions by chat room. */
export type ResolvedRule = RuleLike & { key: string; target: ChatTarget };

export function ruleMatches(rule: RuleLike, e: GerritEvent, kind: string): boolean {
  if (!rule.events.includes(kind)) return false;
  if (!matchesAny(rule.projects, e.project ?? e.projectName)) return false;
  // Events without a branch (project-created) pass a branch filter only when it is "*".
  if (!matchesAny(rule.branches, e.branch)) return false;
  if (rule.excludeAuthors.length > 0 && isAccount(e.actor, rule.excludeAuthors)) return false;
  if (rule.includeAuthors && rule.includeAuthors.length > 0 && !isAccount(e.actor, rule.includeAuthors))
    return false;
  return true;
}

/** The distinct rooms whose rules accept the event, in rule order. */
export function roomsFor(rules: readonly RuleLike[], e: GerritEvent, kind: string): string[] {
  const rooms: string[] = [];
  for (const r of rules) if (ruleMatches(r, e, kind) && !rooms.includes(r.room)) rooms.push(r.room);
  return rooms;
}

/** Whether a kind is announced by a rule that names no events (what `replay` shows). */
export function isDefaultRelayKind(kind: string): boolean {
  return (DEFAULT_RELAY_KINDS as readonly string[]).includes(kind);
}
