// Pure: one open Gerrit ChangeInfo → the recheck candidate (charms on a model, votes, CI state, new charms).
// Shared by the bot (MonorepoChanges) and the offline `recheck plan` CLI.
import { changedFiles, touchedPaths, type ChangeInfo } from "../../integrations/gerrit/client.js";
import type { MonorepoModel } from "../../integrations/monorepo/monorepo.js";
import { affected } from "./affected.js";
import { ciState } from "./change-state.js";
import { verifiedVotes } from "./recheck-plan.js";
import type { CandidateChange } from "./recheck-types.js";

/** Charms the files add: a charm marker in a charm root directory the model does not know. */
export function newCharms(files: readonly string[], model: MonorepoModel): string[] {
  const known = new Set(model.charms.map((c) => c.dir));
  const out = new Set<string>();
  for (const f of files) {
    for (const root of model.layout.charmRoots) {
      if (!f.startsWith(root) || !f.endsWith(`/${model.layout.charmMarker}`)) continue;
      const name = f.slice(root.length, f.length - model.layout.charmMarker.length - 1);
      if (name && !name.includes("/") && !known.has(`${root}${name}`)) out.add(name);
    }
  }
  return [...out].sort();
}

export interface CandidateOptions {
  ciAccounts: readonly string[];
  /** The change's web link. */
  url?: string;
  /** The current revision's files when ChangeInfo has none (computed from the clone). */
  files?: readonly string[];
}

/** The candidate, or undefined when the ChangeInfo lacks its current revision (CURRENT_REVISION not asked). */
export function toCandidate(
  c: ChangeInfo,
  model: MonorepoModel,
  o: CandidateOptions,
): CandidateChange | undefined {
  const revision = c.current_revision;
  const rev = revision ? c.revisions?.[revision] : undefined;
  if (!revision || !rev) return undefined;
  const files = o.files ?? touchedPaths(changedFiles(rev.files ?? {}));
  const fresh = newCharms(files, model);
  return {
    number: c._number,
    project: c.project,
    branch: c.branch,
    patchSet: rev._number,
    revision,
    ...(c.subject ? { subject: c.subject } : {}),
    ...(o.url ? { url: o.url } : {}),
    charms: affected(model, files).charms,
    verified: verifiedVotes(c),
    ci: ciState(c, o.ciAccounts),
    ...(fresh.length > 0 ? { newCharms: fresh } : {}),
  };
}
