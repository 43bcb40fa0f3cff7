// Pure: a bump plan split into one proposal per image family, their stable Change-Ids, commit messages, and
// what to do with each against the changes Gerrit already has (amend, open, leave alone, skip).
import { createHash } from "node:crypto";
import type { MonorepoModel } from "../../integrations/monorepo/monorepo.js";
import { compilePattern, jobRuns } from "../../integrations/monorepo/zuul.js";
import { replaceUpstreamSource, unifiedDiff, type BumpPlan } from "./bump.js";
import { parseImageRef as splitWritten } from "../../integrations/monorepo/monorepo.js";
import { tagFamily } from "./tag-family.js";
import { shortDigest } from "./watch-list.js";

/** One commit's worth: the pins of one image family moving to one target. */
export interface Proposal {
  /** `ghcr.io/canonical/keystone` + the family suffix: what the Change-Id is stable for. */
  family: string;
  image: string;
  /** `2025.1`, or `2025.1@sha256:…` when digests are pinned. */
  target: string;
  changes: BumpPlan["changes"];
  /** Path → new text, only this family's pins moved. */
  files: Map<string, string>;
  /** Path → text before. */
  before: Map<string, string>;
  charms: string[];
  jobs: string[];
  subject: string;
}

/** The part of a Gerrit ChangeInfo this logic reads. */
export interface ExistingChange {
  change_id: string;
  _number: number;
  status: string;
  subject?: string;
}

export type Decision =
  | { action: "new" | "amend"; changeId: string; existing?: ExistingChange }
  | { action: "skip"; changeId: string; reason: string; existing?: ExistingChange };

/** A family is the image plus the pinned tag's suffix and numbering (`2024.1-24.04_edge` → `-24.04_edge`). */
export function familyKey(image: string, tag: string | null): string {
  const f = tag === null ? { suffix: "@digest", yearDigits: 0 } : tagFamily(tag);
  return `${image}#${f.suffix}${f.yearDigits ? `/${f.yearDigits}` : ""}`;
}

/**
 * `I` + 40 hex, the same for the same (family, branch, generation): a newer tag amends the open change.
 * The generation moves on only once a change is closed with another target (merged, or abandoned for an
 * older tag), because Gerrit takes no new patch set on a closed change.
 */
export function proposalChangeId(family: string, branch: string, generation = 0): string {
  const h = createHash("sha1").update(`sunbeam-bot oci-bump\0${branch}\0${family}\0${generation}`);
  return `I${h.digest("hex")}`;
}

const tagOf = (ref: string) => {
  const { tag, digest } = splitWritten(ref);
  return `${tag ?? ""}${digest ? `@${shortDigest(digest)}` : ""}`;
};

/** The Zuul jobs of the check pipeline that run for these files (Zuul's files / irrelevant-files filter). */
export function jobsFor(model: Pick<MonorepoModel, "zuul">, files: readonly string[]): string[] {
  const out: string[] = [];
  for (const job of model.zuul.pipelineJobs) {
    const f = job.files?.map(compilePattern) ?? null;
    const i = job.irrelevantFiles?.map(compilePattern) ?? null;
    if (jobRuns(files, f, i)) out.push(job.name);
  }
  return [...new Set(out)].sort();
}

/**
 * Splits a whole-repo plan into proposals, one per image family, each moving exactly its own pins on the
 * plan's base texts. Pins of one family moving to different targets (an odd mix) take the newest target.
 */
export function splitProposals(plan: BumpPlan, model: Pick<MonorepoModel, "zuul">): Proposal[] {
  const before = new Map(plan.files.map((f) => [f.path, f.before]));
  const groups = new Map<string, BumpPlan["changes"]>();
  for (const c of plan.changes) {
    const { image, tag } = splitWritten(c.from);
    const key = familyKey(image, tag);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const out: Proposal[] = [];
  for (const [family, changes] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const files = new Map<string, string>();
    for (const c of changes) {
      const text = files.get(c.file) ?? before.get(c.file);
      const next = text === undefined ? null : replaceUpstreamSource(text, c.resource, c.from, c.to);
      if (next !== null) files.set(c.file, next);
    }
    const image = family.slice(0, family.indexOf("#"));
    const targets = [...new Set(changes.map((c) => tagOf(c.to)))].sort();
    const target = targets.at(-1) ?? "";
    const charms = [...new Set(changes.map((c) => c.charm))].sort();
    const short = image.slice(image.lastIndexOf("/") + 1);
    out.push({
      family,
      image,
      target,
      changes,
      files,
      before: new Map([...files.keys()].map((p) => [p, before.get(p) ?? ""])),
      charms,
      jobs: jobsFor(model, [...files.keys()]),
      subject: `Bump ${short} image to ${target}`,
    });
  }
  return out;
}

/** The commit message: subject, images old → new, affected charms, Zuul jobs, then the Change-Id footer. */
export function commitMessage(p: Proposal, changeId: string): string {
  const moves = [...new Set(p.changes.map((c) => `- ${p.image}: ${tagOf(c.from)} → ${tagOf(c.to)}`))];
  const pins = p.changes.map((c) => `- ${c.charm} ${c.resource} (${c.file})`);
  return [
    p.subject,
    "",
    "Move the charms' OCI image pins of one image family to its newest release.",
    "",
    "Images:",
    ...moves,
    "",
    "Pins moved:",
    ...pins,
    "",
    `Affected charms: ${p.charms.join(", ")}`,
    `Zuul jobs that will run: ${p.jobs.length ? p.jobs.join(", ") : "none"}`,
    "",
    "Proposed by sunbeam-bot (oci propose).",
    "",
    `Change-Id: ${changeId}`,
    "",
  ].join("\n");
}

/** The proposal as a unified diff (what dry-run prints with the message). */
export function proposalDiff(p: Proposal): string {
  return [...p.files]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, after]) => unifiedDiff(path, p.before.get(path) ?? "", after))
    .join("");
}

/**
 * What to do with a proposal given the changes already under its topic: amend the open change with the
 * family's Change-Id (unless it already proposes this target), skip a target a reviewer abandoned, or
 * open a change with the next generation's Change-Id once the earlier one is closed with another target.
 */
export function decide(p: Proposal, branch: string, existing: readonly ExistingChange[]): Decision {
  for (let gen = 0; gen < 1000; gen++) {
    const changeId = proposalChangeId(p.family, branch, gen);
    const c = existing.find((x) => x.change_id === changeId);
    if (!c) return { action: "new", changeId };
    const status = c.status.toUpperCase();
    if (status === "NEW") {
      if (c.subject === p.subject) {
        return { action: "skip", changeId, reason: "already proposed", existing: c };
      }
      return { action: "amend", changeId, existing: c };
    }
    if (c.subject === p.subject) {
      const why = status === "ABANDONED" ? "abandoned by a reviewer: not proposed again" : "already merged";
      return { action: "skip", changeId, reason: why, existing: c };
    }
  }
  return { action: "skip", changeId: "", reason: "too many closed proposals" };
}
