// `oci bump`: a unified diff that moves charm image pins (upstream-source lines only) to the newest tag or a digest.
import { UserError, errorMessage } from "../../core/errors.js";
import { readFiles } from "../../integrations/monorepo/git.js";
import {
  parseImageRef as splitWritten,
  parseResources,
  type MonorepoModel,
} from "../../integrations/monorepo/monorepo.js";
import { newestInFamily } from "./tag-family.js";
import { buildWatchList, findImages, type Pin } from "./watch-list.js";

export interface BumpOptions {
  /** The monorepo working tree the diff will be applied to. */
  repoDir: string;
  /** The revision whose files are diffed; the model's commit by default (it must match the working tree). */
  rev?: string;
  model: Pick<MonorepoModel, "sha" | "charms" | "layout">;
  /** Only this image (full name, repository or last component). */
  image?: string;
  /** Move the selected image's pins to this tag instead of the newest of their family (needs `image`). */
  toTag?: string;
  /** Write `tag@sha256:…`. Pins that already carry a digest always get the new one. */
  digest?: boolean;
  /** The digest a tag resolves to now (RegistryClient.digest fits); null when the tag does not exist. */
  resolve(image: string, tag: string): Promise<string | null>;
  /** All tags of an image (RegistryClient.listTags fits); needed unless `toTag` is given. */
  listTags?(image: string): Promise<string[] | null>;
  /** Whether the image's registry may be contacted; its pins are skipped (and reported) otherwise. */
  allowed?(image: string): boolean;
}

export interface BumpChange {
  charm: string;
  resource: string;
  file: string;
  from: string;
  to: string;
}

export interface BumpPlan {
  changes: BumpChange[];
  skipped: { charm: string; resource: string; reason: string }[];
  files: { path: string; before: string; after: string }[];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const indentOf = (line: string) => /^[ \t]*/.exec(line)?.[0].length ?? 0;
const isContent = (line: string) => line.trim() !== "" && !line.trim().startsWith("#");

/**
 * Replaces the value of one resource's `upstream-source` in a charmcraft.yaml / metadata.yaml text, keeping
 * everything else byte for byte (quotes, comments, indentation, CRLF). Null when the line is not found.
 */
export function replaceUpstreamSource(
  text: string,
  resource: string,
  from: string,
  to: string,
): string | null {
  const lines = text.split("\n");
  const top = lines.findIndex((l) => /^(["']?)resources\1\s*:/.test(l));
  if (top < 0) return null;
  let end = lines.length;
  for (let i = top + 1; i < lines.length; i++) {
    if (/^[^\s#]/.test(lines[i] ?? "")) {
      end = i;
      break;
    }
  }
  const keyRe = new RegExp(`^[ \\t]+(["']?)${escapeRe(resource)}\\1\\s*:`);
  const key = lines.slice(top + 1, end).findIndex((l) => keyRe.test(l));
  if (key < 0) return null;
  const start = top + 1 + key;
  let stop = end;
  for (let i = start + 1; i < end; i++) {
    const l = lines[i] ?? "";
    if (isContent(l) && indentOf(l) <= indentOf(lines[start] ?? "")) {
      stop = i;
      break;
    }
  }
  // The value as written: bare, or in quotes, then the end of the value (flow `,`/`}`, a comment, EOL, CR).
  const valueRe = new RegExp(
    `((?:^|[\\s{,])(["']?)upstream-source\\2\\s*:\\s*(["']?))${escapeRe(from)}(?=\\3(?:\\s*[,}#]|\\s*$))`,
  );
  const hits: number[] = [];
  for (let i = start; i < stop; i++) if (valueRe.test(lines[i] ?? "")) hits.push(i);
  if (hits.length !== 1) return null;
  const at = hits[0] as number;
  lines[at] = (lines[at] ?? "").replace(valueRe, (_m, head: string) => `${head}${to}`);
  return lines.join("\n");
}

/** Splits into lines; `eol` is false when the text does not end with a newline (git's "\ No newline"). */
function splitLines(text: string): { lines: string[]; eol: boolean } {
  const lines = text.split("\n");
  const eol = lines.at(-1) === "";
  if (eol) lines.pop();
  return { lines, eol };
}

/**
 * A git-style unified diff of one file between two texts with the same number of lines (a bump only
 * replaces lines). Hunks carry `context` lines around each change and merge when their contexts touch.
 */
export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  const a = splitLines(before);
  const b = splitLines(after);
  if (a.lines.length !== b.lines.length) throw new Error(`unifiedDiff: ${path}: line counts differ`);
  const n = a.lines.length;
  const changed: number[] = [];
  for (let i = 0; i < n; i++) if (a.lines[i] !== b.lines[i]) changed.push(i);
  if (changed.length === 0 && a.eol === b.eol) return "";
  if (changed.length === 0 || (a.eol !== b.eol && changed.at(-1) !== n - 1)) changed.push(n - 1);
  const hunks: [number, number][] = [];
  for (const i of changed) {
    const last = hunks.at(-1);
    if (last && i - last[1] <= 2 * context) last[1] = i;
    else hunks.push([i, i]);
  }
  const out = [`diff --git a/${path} b/${path}`, `--- a/${path}`, `+++ b/${path}`];
  const noEol = "\\ No newline at end of file";
  for (const [first, last] of hunks) {
    const from = Math.max(0, first - context);
    const to = Math.min(n - 1, last + context);
    const len = to - from + 1;
    const range = len === 1 ? `${from + 1}` : `${from + 1},${len}`;
    out.push(`@@ -${range} +${range} @@`);
    for (let i = from; i <= to;) {
      const isEnd = (k: number) => k === n - 1;
      if (a.lines[i] === b.lines[i] && !(isEnd(i) && a.eol !== b.eol)) {
        out.push(` ${a.lines[i]}`);
        if (isEnd(i) && !a.eol) out.push(noEol);
        i++;
        continue;
      }
      // A run of changed lines: all removals, then all additions, as diff(1) and git print them.
      let j = i;
      while (j <= to && (a.lines[j] !== b.lines[j] || (isEnd(j) && a.eol !== b.eol))) j++;
      for (let k = i; k < j; k++) out.push(`-${a.lines[k]}`, ...(isEnd(k) && !a.eol ? [noEol] : []));
      for (let k = i; k < j; k++) out.push(`+${b.lines[k]}`, ...(isEnd(k) && !b.eol ? [noEol] : []));
      i = j;
    }
  }
  return `${out.join("\n")}\n`;
}

/**
 * For each charm with OCI resources, the file they were read from and its text at `rev`: the first of the
 * layout's metadata files that has `resources` (charmcraft.yaml, then metadata.yaml), as the model does.
 */
export async function resourceFiles(
  repoDir: string,
  rev: string,
  model: Pick<MonorepoModel, "charms" | "layout">,
): Promise<Map<string, { path: string; text: string }>> {
  const charms = model.charms.filter((c) => c.resources.length > 0);
  const paths = charms.flatMap((c) => model.layout.metadataFiles.map((f) => `${c.dir}/${f}`));
  const texts = await readFiles(repoDir, rev, paths);
  const out = new Map<string, { path: string; text: string }>();
  for (const c of charms) {
    for (const f of model.layout.metadataFiles) {
      const path = `${c.dir}/${f}`;
      const text = texts.get(path);
      if (text !== undefined && parseResources(text, path, []) !== undefined) {
        out.set(c.dir, { path, text });
        break;
      }
    }
  }
  return out;
}

/** The new reference for a pin, keeping the image part exactly as written. */
function rewritten(pin: Pin, tag: string, digest: string | null): string {
  const { image } = splitWritten(pin.upstreamSource);
  return `${image}:${tag}${digest ? `@${digest}` : ""}`;
}

/** Works out every pin change and applies them to the file texts; nothing is written to disk. */
export async function planBump(opts: BumpOptions): Promise<BumpPlan> {
  if (opts.toTag !== undefined && !opts.image) throw new UserError("--to-tag needs --image");
  const rev = opts.rev ?? opts.model.sha;
  const files = await resourceFiles(opts.repoDir, rev, opts.model);
  const fileOf = new Map([...files].map(([dir, f]) => [dir, f.path]));
  const list = buildWatchList(opts.model, [], fileOf);
  const images = findImages(list, opts.image);
  if (opts.image && images.length === 0) {
    throw new UserError(`no charm pins an image named ${JSON.stringify(opts.image)}`);
  }
  const plan: BumpPlan = { changes: [], skipped: [], files: [] };
  const resolved = new Map<string, Promise<string | null>>();
  const resolve = (image: string, tag: string) => {
    const key = `${image}:${tag}`;
    if (!resolved.has(key)) resolved.set(key, opts.resolve(image, tag));
    return resolved.get(key) as Promise<string | null>;
  };
  for (const img of images) {
    const pins = img.pins.filter((p) => p.charm !== null && p.resource !== null && p.file !== null);
    const skipAll = (reason: string) => {
      for (const p of pins)
        plan.skipped.push({ charm: p.charm as string, resource: p.resource as string, reason });
    };
    if (opts.allowed && !opts.allowed(img.image)) {
      skipAll(`${img.image}: registry not in the allowed registries`);
      continue;
    }
    let tags: string[] = [];
    if (opts.toTag === undefined) {
      if (!opts.listTags) throw new UserError("bump needs the image's tags (listTags) or an explicit tag");
      try {
        const listed = await opts.listTags(img.image);
        if (listed === null) {
          skipAll(`${img.image}: repository not found in the registry`);
          continue;
        }
        tags = listed;
      } catch (err) {
        // One unreachable or refused image never stops the others' bump.
        skipAll(`${img.image}: ${errorMessage(err)}`);
        continue;
      }
    }
    for (const pin of pins) {
      if (pin.charm === null || pin.resource === null || pin.file === null) continue;
      const skip = (reason: string) =>
        plan.skipped.push({ charm: pin.charm as string, resource: pin.resource as string, reason });
      const target = opts.toTag ?? (pin.tag === null ? null : (newestInFamily(pin.tag, tags) ?? pin.tag));
      if (target === null) {
        skip("digest-only pin: no tag to bump");
        continue;
      }
      const wantDigest = opts.digest === true || pin.digest !== undefined;
      let digest: string | null;
      try {
        digest = wantDigest || opts.toTag !== undefined ? await resolve(img.image, target) : null;
      } catch (err) {
        skip(`${img.image}:${target}: ${errorMessage(err)}`);
        continue;
      }
      if ((wantDigest || opts.toTag !== undefined) && digest === null) {
        skip(`${img.image}:${target} not found in the registry`);
        continue;
      }
      const to = rewritten(pin, target, wantDigest ? digest : null);
      if (to === pin.upstreamSource) continue;
      plan.changes.push({
        charm: pin.charm,
        resource: pin.resource,
        file: pin.file,
        from: pin.upstreamSource,
        to,
      });
    }
  }
  const after = new Map<string, string>();
  for (const c of plan.changes) {
    const before = after.get(c.file) ?? [...files.values()].find((f) => f.path === c.file)?.text ?? "";
    const next = replaceUpstreamSource(before, c.resource, c.from, c.to);
    if (next === null) {
      plan.skipped.push({
        charm: c.charm,
        resource: c.resource,
        reason: `no single upstream-source line in ${c.file}`,
      });
      continue;
    }
    after.set(c.file, next);
  }
  plan.changes = plan.changes.filter(
    (c) => !plan.skipped.some((s) => s.charm === c.charm && s.resource === c.resource),
  );
  for (const [path, text] of [...after].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const before = [...files.values()].find((f) => f.path === path)?.text ?? "";
    if (text !== before) plan.files.push({ path, before, after: text });
  }
  return plan;
}

/** The plan as one unified diff for `git apply` (empty when every selected pin is already where it should be). */
export function planDiff(plan: BumpPlan): string {
  return plan.files.map((f) => unifiedDiff(f.path, f.before, f.after)).join("");
}
