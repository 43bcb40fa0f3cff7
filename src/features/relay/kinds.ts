// The relay kinds a room can ask for: the Gerrit event types plus the one-line Zuul result summary.
import { GERRIT_TYPES } from "../../core/events.js";

export const RELAY_KINDS = [...GERRIT_TYPES.filter((t) => t !== "dropped-output"), "zuul-result"] as const;
export type RelayKind = (typeof RELAY_KINDS)[number];

/** What a room gets when its rule names no events: the changes people act on, not every vote. */
export const DEFAULT_RELAY_KINDS = [
  "patchset-created",
  "change-merged",
  "change-abandoned",
  "change-restored",
  "comment-added",
  "zuul-result",
  "wip-state-changed",
] as const;
