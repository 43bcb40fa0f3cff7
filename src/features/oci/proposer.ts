// `oci propose` and the poll's proposals: plan the whole-repo bump, split it per image family, read the
// topic's changes from Gerrit, then (unless dry-run) build and push the commits within the limits.
import type { ChatTarget, Outbox } from "../../chat/outbox.js";
import { errorMessage } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { buildCommit, pushForReview, type PushAuth } from "../../integrations/gerrit/push.js";
import { buildModel } from "../../integrations/monorepo/monorepo.js";
import { normalizeRegistryHost, tryParseImageRef } from "../../integrations/registry/image-ref.js";
import { planBump } from "./bump.js";
import type { OciConfig } from "./config.js";
import type { RegistryLike } from "./poller.js";
import {
  commitMessage,
  decide,
  proposalDiff,
  splitProposals,
  type Decision,
  type ExistingChange,
} from "./propose.js";

export type ProposeSettings = OciConfig["propose"];

/** The Gerrit query the proposer needs (GerritClient.queryChanges fits). */
export interface ChangeQuery {
  queryChanges(q: string, o?: { limit?: number }): Promise<ExistingChange[]>;
}

export interface ProposeDeps {
  repoDir: string;
  rev: string;
  registries: readonly string[];
  client: RegistryLike;
  propose: ProposeSettings;
  /** Gerrit's web URL, for change links when the push output names none. */
  gerritUrl: string;
  gerrit?: ChangeQuery;
  auth: PushAuth;
  dryRun: boolean;
  log?: Logger;
  now?: () => number;
  /** Rooms for the change links (not in dry-run). */
  outbox?: Outbox;
  targets?: readonly ChatTarget[];
}

export interface ProposalOutcome {
  family: string;
  subject: string;
  target: string;
  charms: string[];
  jobs: string[];
  changeId: string;
  action: Decision["action"] | "limited" | "failed";
  reason?: string;
  /** The change link after a push (or the existing change's). */
  url?: string;
  message: string;
  diff: string;
}

export interface ProposeReport {
  proposals: ProposalOutcome[];
  /** Pins the plan left alone (foreign registries, missing repositories). */
  skipped: { charm: string; resource: string; reason: string }[];
  pushed: number;
}

const changeUrl = (base: string, project: string, n: number) =>
  `${base.replace(/\/+$/, "")}/c/${project}/+/${n}`;

/** The chat line for one pushed proposal: the link, images, affected charms and jobs. */
export function proposalAnnouncement(o: ProposalOutcome): string {
  const verb = o.action === "amend" ? "updated" : "proposed";
  return [
    `**OCI bump ${verb}**: [${o.subject}](${o.url ?? ""})`,
    `- charms: ${o.charms.map((c) => `\`${c}\``).join(", ")}`,
    `- Zuul jobs: ${o.jobs.length ? o.jobs.map((j) => `\`${j}\``).join(", ") : "none"}`,
  ].join("\n");
}

/** Plans, decides and (unless dry-run) pushes; never throws for one proposal's failure. */
export async function proposeBumps(deps: ProposeDeps): Promise<ProposeReport> {
  const p = deps.propose;
  const model = await buildModel({ dir: deps.repoDir, rev: deps.rev }, deps.log ? { log: deps.log } : {});
  const allowed = new Set(deps.registries.map(normalizeRegistryHost));
  const plan = await planBump({
    repoDir: deps.repoDir,
    model,
    ...(p.digest ? { digest: true } : {}),
    resolve: (image, tag) => deps.client.digest(image, tag),
    listTags: (image) => deps.client.listTags(image),
    allowed: (image) => allowed.has(tryParseImageRef(image)?.registry ?? ""),
  });
  const proposals = splitProposals(plan, model);
  const existing = deps.gerrit
    ? await deps.gerrit.queryChanges(`project:${p.project} branch:${p.branch} topic:${p.topic}`, {
        limit: 500,
      })
    : [];
  let open = existing.filter((c) => c.status.toUpperCase() === "NEW").length;
  let pushed = 0;
  // Pushes done or, in dry-run, that would be: the per-run limit counts both the same way.
  let slots = 0;
  const out: ProposalOutcome[] = [];
  for (const prop of proposals) {
    const d = decide(prop, p.branch, existing);
    const message = commitMessage(prop, d.changeId);
    const o: ProposalOutcome = {
      family: prop.family,
      subject: prop.subject,
      target: prop.target,
      charms: prop.charms,
      jobs: prop.jobs,
      changeId: d.changeId,
      action: d.action,
      ...(d.action === "skip" ? { reason: d.reason } : {}),
      ...(d.existing ? { url: changeUrl(deps.gerritUrl, p.project, d.existing._number) } : {}),
      message,
      diff: proposalDiff(prop),
    };
    out.push(o);
    if (d.action === "skip") continue;
    if (d.action === "new" && open >= p.maxOpen) {
      Object.assign(o, {
        action: "limited",
        reason: `${open} open proposals (oci.propose.maxOpen ${p.maxOpen})`,
      });
      continue;
    }
    if (slots >= p.pushesPerPoll) {
      Object.assign(o, { action: "limited", reason: `one run pushes at most ${p.pushesPerPoll}: next time` });
      continue;
    }
    slots++;
    if (deps.dryRun) {
      if (d.action === "new") open++;
      continue;
    }
    try {
      const sha = await buildCommit({
        repoDir: deps.repoDir,
        parent: model.sha,
        files: prop.files,
        message,
        author: p.author,
        date: Math.floor((deps.now ?? Date.now)() / 1000),
      });
      if (!p.remote) throw new Error("oci.propose.remote is not set");
      const r = await pushForReview({
        repoDir: deps.repoDir,
        remote: p.remote,
        sha,
        branch: p.branch,
        topic: p.topic,
        auth: deps.auth,
      });
      pushed++;
      if (d.action === "new") open++;
      let url = r.url;
      if (!url && deps.gerrit) {
        const [c] = await deps.gerrit.queryChanges(`change:${d.changeId} project:${p.project}`, { limit: 1 });
        if (c) url = changeUrl(deps.gerritUrl, p.project, c._number);
      }
      if (url) o.url = url;
      deps.log?.info({ family: prop.family, changeId: d.changeId, url, action: d.action }, "OCI bump pushed");
      for (const t of deps.targets ?? []) {
        await deps.outbox?.post(
          t,
          { text: proposalAnnouncement(o) },
          `oci-propose:${t.network}:${t.room}:${sha}`,
        );
      }
    } catch (err) {
      Object.assign(o, { action: "failed", reason: errorMessage(err) });
      deps.log?.warn({ family: prop.family, err: errorMessage(err) }, "OCI bump proposal failed");
    }
  }
  return { proposals: out, skipped: plan.skipped, pushed };
}

/** The dry-run / report text: per proposal what was (or would be) done, then the commit and its diff. */
export function proposeText(r: ProposeReport, dryRun: boolean): string {
  const lines: string[] = [];
  if (r.proposals.length === 0) lines.push("No image family has a newer release: nothing to propose.");
  for (const o of r.proposals) {
    const what =
      o.action === "new" || o.action === "amend"
        ? `${dryRun ? "would push" : "pushed"} (${o.action === "new" ? "new change" : "new patch set"})`
        : `${o.action}${o.reason ? `: ${o.reason}` : ""}`;
    lines.push(`${o.subject}: ${what}${o.url ? ` ${o.url}` : ""}`);
    if (dryRun && (o.action === "new" || o.action === "amend")) {
      lines.push(
        "",
        ...o.message
          .trimEnd()
          .split("\n")
          .map((l) => `    ${l}`),
        "",
        o.diff,
      );
    }
  }
  for (const s of r.skipped) lines.push(`skipped ${s.charm} ${s.resource}: ${s.reason}`);
  return lines.join("\n");
}
