// The data of a recheck run: the trigger (a change, or an event such as an image move), the candidate
// changes and the per-change decisions. Its own module so that both the planning (recheck-plan.ts) and
// the texts (recheck-render.ts) use it without importing each other.

import type { ZuulOutcome } from "../../integrations/monorepo/zuul-report.js";

export interface Vote {
  /** Gerrit username (else name, e-mail or `#<account id>`) of the voter. */
  account: string;
  value: number;
  /** When the vote got this value (ISO); Gerrit keeps it when a recheck votes the same again. */
  date?: string;
}

/** Zuul's last report (check or gate) on the current patch set. */
export interface LastReport {
  outcome: ZuulOutcome;
  /** ISO time of the report. */
  date: string;
  pipeline?: string;
  failedJobs: string[];
  reason?: string;
}

/** What the change's messages and commit say about its CI state (change-state.ts). */
export interface CiState {
  wip: boolean;
  private: boolean;
  changeId?: string;
  /** Messages were read: `lastReport` absent then means Zuul has not reported on this patch set. */
  reportsKnown?: boolean;
  lastReport?: LastReport;
  /** A `recheck` comment after the last report: a run is on its way. */
  recheckedAfter?: { date: string; by: string };
  /** Parent commit shas of the current patch set. */
  parents: string[];
  /** `Depends-On:` footers of the commit message. */
  dependsOn: { numbers: number[]; changeIds: string[] };
}

export interface CandidateChange {
  number: number;
  project: string;
  branch: string;
  patchSet: number;
  revision: string;
  subject?: string;
  url?: string;
  /** Charms the change affects (declared dependencies, on the branch-head model). */
  charms: readonly string[];
  /** Verified votes on the current patch set. */
  verified: readonly Vote[];
  /** From the change's messages and commit; absent: only the votes are known. */
  ci?: CiState;
  /** Charms only the change has (not on the branch head): a global input of the trigger affects them too. */
  newCharms?: readonly string[];
  /** Those of `newCharms` the trigger affects, read at the change's own commit (a lib they declare). */
  newCharmsAffected?: readonly string[];
}

/** The change a `!recheck-affected` run names (typically a gate fix that just merged). */
export interface TriggerChange {
  number: number;
  project: string;
  branch: string;
  subject?: string;
  url?: string;
  /** Charms the trigger affects. */
  charms: readonly string[];
  /** The merged patch set's commit: a change whose parent it is depends on the trigger. */
  revision?: string;
  changeId?: string;
  /** The trigger changes a global input (ops-sunbeam, the top-level rebuild): it affects new charms too. */
  global?: boolean;
}

/**
 * Something other than a change that makes charms build differently with no repository change, e.g. a
 * pinned image tag that moved to a new digest. Its candidates are the open changes of `project`/`branch`.
 */
export interface TriggerEvent {
  /** What the dedup marks are keyed by: the same id never rechecks a patch set twice (`oci:<image>@<digest>`). */
  id: string;
  /** How the texts name it: `ghcr.io/canonical/keystone:2024.1 moved to sha256:abcd1234…`. */
  label: string;
  project: string;
  branch: string;
  url?: string;
  /** Charms the event changes. */
  charms: readonly string[];
}

export type Trigger = TriggerChange | TriggerEvent;

export function isChangeTrigger(t: Trigger): t is TriggerChange {
  return "number" in t;
}

/** The trigger part of the dedup key: the change number (as before events existed), else the event id. */
export function triggerId(t: Trigger): string {
  return isChangeTrigger(t) ? String(t.number) : t.id;
}

/** Why a change is not rechecked, in the order they are tested (and listed in the reply). */
export const SKIP_REASONS = [
  "trigger",
  "no-shared-charm",
  "not-failing",
  "wip",
  "private",
  "merge-conflict",
  "config-error",
  "dependency-failed",
  "stale",
  "rechecked-since",
  "already-rechecked",
  "in-batch",
  "cooldown",
  "over-cap",
  "rate-limited",
  "post-failed",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** How a candidate depends on a trigger change: a `Depends-On:` footer naming it, or its commit as parent. */
export type Dependency = "depends-on" | "parent";

export type Decision =
  | { change: CandidateChange; shared: string[]; action: "recheck"; dependency?: Dependency }
  | {
      change: CandidateChange;
      shared: string[];
      action: "skip";
      reason: SkipReason;
      detail?: string;
      dependency?: Dependency;
    };

export interface RecheckPlan {
  trigger: Trigger;
  decisions: Decision[];
}
