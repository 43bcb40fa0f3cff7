// OCI entry points for `sunbeam-bot oci check|bump` and the bot's `!images` service: wiring, no new logic.
import { RegistryClient } from "../../integrations/registry/client.js";
import { buildModel, type MonorepoModel } from "../../integrations/monorepo/monorepo.js";
import type { Logger } from "../../core/log.js";
import { connectRedis } from "../../core/redis.js";
import { pollImages, type ImageResult, type RegistryLike } from "./poller.js";
import { planBump, planDiff, resourceFiles, type BumpPlan } from "./bump.js";
import { normalizeRegistryHost, tryParseImageRef } from "../../integrations/registry/image-ref.js";
import { OciState } from "./state.js";
import { ociSettings, type OciConfig } from "./config.js";
import { proposeBumps, proposeText, type ProposeReport } from "./proposer.js";
import { GerritClient } from "../../integrations/gerrit/client.js";
import { UserError } from "../../core/errors.js";
import {
  buildWatchList,
  onAllowedRegistries,
  findImages,
  groupPins,
  shortDigest,
  type PinGroup,
  type PinState,
  type WatchList,
} from "./watch-list.js";
import type { OciSettings } from "./config.js";

export type { OciSettings };

export function registryClient(
  s: Pick<OciSettings, "registries" | "plainHttp" | "mirrors">,
  log?: Logger,
): RegistryClient {
  return new RegistryClient({
    allowedHosts: s.registries,
    ...(s.plainHttp ? { plainHttpHosts: s.plainHttp } : {}),
    ...(s.mirrors ? { mirrors: s.mirrors } : {}),
    ...(log ? { log } : {}),
  });
}

/**
 * The watch list from the monorepo (at `rev`, default HEAD) plus config images; with `registries`, images
 * on other registries are left out and listed as problems (never polled, never a poll error).
 */
export async function loadWatchList(
  s: Pick<OciSettings, "monorepo" | "images"> & { registries?: readonly string[] },
  log?: Logger,
): Promise<{ watchList: WatchList; model: MonorepoModel | null }> {
  let model: MonorepoModel | null = null;
  let files = new Map<string, string>();
  if (s.monorepo) {
    model = await buildModel({ dir: s.monorepo.dir, rev: s.monorepo.rev ?? "HEAD" }, log ? { log } : {});
    const found = await resourceFiles(s.monorepo.dir, model.sha, model);
    files = new Map([...found].map(([dir, f]) => [dir, f.path]));
  }
  const all = buildWatchList(model, s.images ?? [], files);
  return { watchList: s.registries ? onAllowedRegistries(all, s.registries) : all, model };
}

export interface PinReport {
  charm: string | null;
  resources: string[];
  pin: string;
  status: PinState;
  newest?: string;
  digestMoved?: boolean;
}

const pinReport = (g: PinGroup): PinReport => ({
  charm: g.charm,
  resources: g.resources,
  pin: g.pin.upstreamSource,
  status: g.status.status,
  ...(g.status.newest ? { newest: g.status.newest } : {}),
  ...(g.status.digestMoved ? { digestMoved: true } : {}),
});

export interface OciCheckReport {
  images: (ImageResult & { charms: PinReport[] })[];
  problems: string[];
}

export interface OciCheckOptions extends OciSettings {
  redisUrl: string;
  /** The Redis key prefix (config `redis.prefix`). */
  prefix: string;
  /** Kept apart from the bot's state by default, so a check never swallows an announcement. */
  namespace?: string;
  json?: boolean;
  log?: Logger;
  /** Another registry client (tests); built from `registries` / `plainHttp` otherwise. */
  client?: RegistryLike;
}

function checkText(report: OciCheckReport): string {
  const out: string[] = [];
  for (const r of report.images) {
    const head = r.error
      ? `error: ${r.error}`
      : `${r.tagCount} tags${r.firstRun ? ", first run (recorded, nothing reported)" : ""}`;
    out.push(`${r.image}: ${head}`);
    for (const [tag, d] of Object.entries(r.tags)) out.push(`  ${tag} ${shortDigest(d)}`);
    for (const n of r.newTags) out.push(`  new: ${n.tag}${n.digest ? ` ${shortDigest(n.digest)}` : ""}`);
    for (const m of r.movedDigests) {
      out.push(`  moved: ${m.tag} ${shortDigest(m.from)} -> ${shortDigest(m.to)}`);
    }
    for (const c of r.charms) {
      const who = c.charm ?? "config";
      const res = c.resources.length ? ` (${c.resources.join(", ")})` : "";
      out.push(`  ${who}${res}: ${c.pin}: ${c.status}${c.newest ? ` (newest ${c.newest})` : ""}`);
    }
  }
  for (const p of report.problems) out.push(`problem: ${p}`);
  return out.join("\n");
}

/**
 * `sunbeam-bot oci check [--json]`: polls every watched image once, prints tags/digests, what is new since
 * the last check and the charms using each image; saves the state, so a second run reports nothing new.
 * Exit code 1 when an image could not be polled.
 */
export async function ociCheck(
  opts: OciCheckOptions,
): Promise<{ report: OciCheckReport; output: string; exitCode: number }> {
  const { watchList } = await loadWatchList(opts, opts.log);
  const client = opts.client ?? registryClient(opts, opts.log);
  const redis = connectRedis(opts.redisUrl, { lazyConnect: false });
  try {
    const state = new OciState(redis, opts.prefix, opts.namespace ?? "oci-check");
    const { results } = await pollImages({
      client,
      watchList,
      state,
      ...(opts.log ? { log: opts.log } : {}),
    });
    const images = results.map((r) => {
      const img = watchList.images.find((w) => w.image === r.image);
      const known = [...new Set([...r.relevant, ...Object.keys(r.tags)])];
      return { ...r, charms: img ? groupPins(img, r.error ? null : known, r.tags).map(pinReport) : [] };
    });
    const report: OciCheckReport = { images, problems: watchList.problems };
    const output = opts.json ? JSON.stringify(report) : checkText(report);
    // Problems (unparsable pins, registries outside the allow-list) are reported, never a failure.
    return { report, output, exitCode: results.some((r) => r.error) ? 1 : 0 };
  } finally {
    await redis.quit();
  }
}

export interface OciBumpOptions extends Pick<OciSettings, "registries" | "plainHttp" | "mirrors"> {
  repoDir: string;
  rev?: string;
  image?: string;
  digest?: boolean;
  toTag?: string;
  log?: Logger;
  client?: RegistryLike;
}

export interface OciBumpResult {
  /** The unified diff for `git apply` ("" when nothing moves). */
  diff: string;
  changes: BumpPlan["changes"];
  /** Pins left as they are, with why (registry not allowed, repository missing, line not found). */
  skipped: BumpPlan["skipped"];
}

/** `sunbeam-bot oci bump --repo DIR [--image NAME] [--digest]`: the diff, and what it skipped. */
export async function ociBump(opts: OciBumpOptions): Promise<OciBumpResult> {
  const model = await buildModel(
    { dir: opts.repoDir, rev: opts.rev ?? "HEAD" },
    opts.log ? { log: opts.log } : {},
  );
  const client = opts.client ?? registryClient(opts, opts.log);
  const allowed = new Set(opts.registries.map(normalizeRegistryHost));
  const plan = await planBump({
    repoDir: opts.repoDir,
    model,
    ...(opts.image ? { image: opts.image } : {}),
    ...(opts.toTag ? { toTag: opts.toTag } : {}),
    ...(opts.digest ? { digest: true } : {}),
    resolve: (image, tag) => client.digest(image, tag),
    listTags: (image) => client.listTags(image),
    allowed: (image) => allowed.has(tryParseImageRef(image)?.registry ?? ""),
  });
  return { diff: planDiff(plan), changes: plan.changes, skipped: plan.skipped };
}

/** The skipped pins as stderr lines: `skipped bind9-k8s bind-image: …`. */
export function skippedText(skipped: BumpPlan["skipped"]): string {
  return skipped.map((s) => `skipped ${s.charm} ${s.resource}: ${s.reason}\n`).join("");
}

/** One image as `!images` shows it (the shape `commands/images.ts` declares as ImageStatusReport). */
export interface ImageStatusReport {
  image: string;
  /** ISO time of the last poll that was saved; null before the first one. */
  lastPolled: string | null;
  tagCount: number;
  /** The newest release of each pinned family that is ahead of its pin. */
  newer: string[];
  pins: PinReport[];
}

/** The `images` command service: the bot's own poll state (never the registry) against the watch list. */
export function imagesService(deps: {
  watchList: () => Promise<WatchList>;
  state: OciState;
}): (name?: string) => Promise<ImageStatusReport[]> {
  return async (name) => {
    const list = await deps.watchList();
    const polled = await deps.state.lastPolled();
    const out: ImageStatusReport[] = [];
    for (const img of findImages(list, name)) {
      const st = await deps.state.load(img.image);
      const tags = Object.keys(st?.tags ?? {});
      const groups = groupPins(img, st ? tags : null, st?.tags ?? {});
      const newer = [...new Set(groups.flatMap((g) => (g.status.newest ? [g.status.newest] : [])))];
      out.push({
        image: img.image,
        lastPolled: polled[img.image] ?? null,
        tagCount: tags.length,
        newer,
        pins: groups.map(pinReport),
      });
    }
    return out;
  };
}

export interface OciProposeOptions {
  oci: OciConfig;
  gerrit?: { url: string; user?: string; password?: string };
  /** Dry-run unless explicitly false: print the commits, push nothing. */
  dryRun: boolean;
  json?: boolean;
  log?: Logger;
  client?: RegistryLike;
}

/**
 * `sunbeam-bot oci propose [--push] [--json]`: the per-family commits, as they would be (dry-run, the
 * default) or as pushed for review. Exit code 1 when a push failed.
 */
export async function ociPropose(
  o: OciProposeOptions,
): Promise<{ report: ProposeReport; output: string; exitCode: number }> {
  const m = o.oci.monorepo;
  if (!m) throw new UserError("oci propose needs oci.monorepo (the clone to commit in)");
  if (!o.dryRun && !o.oci.propose.remote) throw new UserError("oci propose --push needs oci.propose.remote");
  if (!o.dryRun && !o.gerrit) throw new UserError("oci propose --push needs the gerrit section");
  const settings = ociSettings(o.oci);
  const creds =
    o.gerrit?.user && o.gerrit.password ? { user: o.gerrit.user, password: o.gerrit.password } : {};
  const report = await proposeBumps({
    repoDir: m.path,
    rev: m.rev,
    registries: settings.registries,
    client: o.client ?? registryClient(settings, o.log),
    propose: o.oci.propose,
    gerritUrl: o.gerrit?.url ?? "",
    ...(o.gerrit
      ? { gerrit: new GerritClient({ url: o.gerrit.url, ...creds, ...(o.log ? { log: o.log } : {}) }) }
      : {}),
    auth: {
      ...creds,
      ...(o.oci.propose.sshKeyFile ? { sshKeyFile: o.oci.propose.sshKeyFile } : {}),
      ...(o.oci.propose.knownHostsFile ? { knownHostsFile: o.oci.propose.knownHostsFile } : {}),
    },
    dryRun: o.dryRun,
    ...(o.log ? { log: o.log } : {}),
  });
  const output = o.json ? JSON.stringify(report) : proposeText(report, o.dryRun);
  return { report, output, exitCode: report.proposals.some((p) => p.action === "failed") ? 1 : 0 };
}
