// The monorepo model at one commit: charms, their declared inputs and OCI images, and the Zuul jobs; cached by sha.
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Logger } from "../../core/log.js";
import { listTree, readBlobs, revParse } from "./git.js";
import { DEFAULT_LAYOUT, configPathMatcher, type Layout } from "./layout.js";
import { parseZuulConfig, type ZuulModel } from "./zuul.js";
import { readCachedModel, writeCachedModel } from "./model-cache.js";

export interface OciResource {
  resource: string;
  /** Registry and repository, e.g. `ghcr.io/canonical/keystone`. */
  image: string;
  /** null when the reference has no tag (a bare name or a digest pin). */
  tag: string | null;
  digest?: string;
  upstreamSource: string;
}

export interface CharmInput {
  kind: "external-lib" | "internal-lib" | "template";
  /** The entry as written in `.sunbeam-build.yaml`. */
  entry: string;
  /** Repo path; a file, or a directory meaning everything below it. */
  path: string;
  /** For internal libs: the charm that publishes the lib. */
  owner?: string;
}

export interface Charm {
  /** Last path component: `cinder-volume-ceph`. */
  name: string;
  /** Directory in the repo, no trailing slash: `charms/storage/cinder-volume-ceph`. */
  dir: string;
  /** Directory under the build root: `storage/cinder-volume-ceph`. */
  buildPath: string;
  inputs: CharmInput[];
  resources: OciResource[];
  hasRebuild: boolean;
}

/** Plain data (JSON-serialisable); query indexes are built from it by affected.ts and cached per model. */
export interface MonorepoModel {
  sha: string;
  layout: Layout;
  charms: Charm[];
  zuul: ZuulModel;
  /** Unresolvable declarations, bad YAML, RE2 problems: shown, never fatal. */
  problems: string[];
}

export interface RepoRef {
  dir: string;
  rev: string;
}

const BuildYamlSchema = z.looseObject({
  "external-libraries": z.array(z.string()).nullish(),
  "internal-libraries": z.array(z.string()).nullish(),
  templates: z.array(z.string()).nullish(),
});

const ResourcesSchema = z.record(
  z.string(),
  z.looseObject({ type: z.string().optional(), "upstream-source": z.string().optional() }).nullable(),
);

const yamlError = (where: string, err: unknown) =>
  `${where}: YAML error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
const nameOf = (dir: string) => dir.slice(dir.lastIndexOf("/") + 1);

/** `registry/repo:tag@sha256:…` → parts; a colon before the last `/` is a registry port, not a tag. */
export function parseImageRef(ref: string): { image: string; tag: string | null; digest?: string } {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(":");
  const out =
    colon > rest.lastIndexOf("/")
      ? { image: rest.slice(0, colon), tag: rest.slice(colon + 1) }
      : { image: rest, tag: null };
  return digest ? { ...out, digest } : out;
}

/**
 * The text of one top-level key of a block-style YAML mapping: charmcraft.yaml files carry hundreds of
 * lines of config and actions, and parsing only `resources:` keeps a 1,000-charm model build fast.
 */
export function topLevelBlock(text: string, key: string): string | undefined {
  const start = new RegExp(`^${key}\\s*:`, "m").exec(text);
  if (!start) return undefined;
  const rest = text.slice(start.index);
  const next = /\n(?=[^\s#-])/.exec(rest.slice(1));
  return next ? rest.slice(0, next.index + 1) : rest;
}

/** OCI resources of a charm; undefined when the file has no `resources` key (so the fallback file is read). */
export function parseResources(text: string, where: string, problems: string[]): OciResource[] | undefined {
  const block = topLevelBlock(text, "resources");
  if (block === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parseYaml(block, { logLevel: "silent" });
  } catch (err) {
    problems.push(yamlError(where, err));
    return undefined;
  }
  if (typeof doc !== "object" || doc === null || !("resources" in doc)) return undefined;
  const parsed = ResourcesSchema.safeParse((doc as { resources: unknown }).resources ?? {});
  if (!parsed.success) {
    problems.push(`${where}: resources is not a map of resource definitions`);
    return [];
  }
  const out: OciResource[] = [];
  for (const [resource, def] of Object.entries(parsed.data)) {
    const src = def?.["upstream-source"];
    if (def?.type !== "oci-image" || !src) continue;
    out.push({ resource, ...parseImageRef(src), upstreamSource: src });
  }
  return out.sort((a, b) => (a.resource < b.resource ? -1 : 1));
}

/** Charm directories (no trailing slash): a direct child of a charm root that holds the marker file. */
export function findCharmDirs(paths: readonly string[], layout: Layout): string[] {
  const dirs = new Set<string>();
  const suffix = `/${layout.charmMarker}`;
  for (const p of paths) {
    if (!p.endsWith(suffix)) continue;
    const dir = p.slice(0, -suffix.length);
    for (const root of layout.charmRoots) {
      if (dir.startsWith(root) && dir.length > root.length && !dir.slice(root.length).includes("/"))
        dirs.add(dir);
    }
  }
  return [...dirs].sort();
}

function libPath(entry: string): string | undefined {
  const parts = entry.split(".");
  if (parts.length < 2 || parts.some((p) => p === "" || !/^[\w-]+$/.test(p))) return undefined;
  return parts.join("/");
}

interface Tree {
  layout: Layout;
  files: Set<string>;
  dirs: Set<string>;
  /** `charms/<owner_>/vN/mod.py` → the charm directories that hold it under their lib dir. */
  libOwners: Map<string, string[]>;
}

function indexTree(paths: readonly string[], charmDirs: string[], layout: Layout): Tree {
  const dirs = new Set<string>();
  const charmDirSet = new Set(charmDirs);
  const libOwners = new Map<string, string[]>();
  const libInfix = `/${layout.charmLibDir}charms/`;
  for (const p of paths) {
    for (let i = p.indexOf("/"); i > 0; i = p.indexOf("/", i + 1)) dirs.add(p.slice(0, i));
    const at = p.indexOf(libInfix);
    if (at < 0 || !charmDirSet.has(p.slice(0, at))) continue;
    const key = p.slice(at + libInfix.length - "charms/".length);
    libOwners.set(key, [...(libOwners.get(key) ?? []), p.slice(0, at)]);
  }
  return { layout, files: new Set(paths), dirs, libOwners };
}

/** A charm's `.sunbeam-build.yaml` entries mapped to repo paths (monorepo.md §3). */
function declaredInputs(dir: string, text: string, tree: Tree, problems: string[]): CharmInput[] {
  const { layout, files } = tree;
  const where = `${dir}/${layout.charmMarker}`;
  const exists = (p: string) => files.has(p) || tree.dirs.has(p);
  let decl: z.infer<typeof BuildYamlSchema> = {};
  try {
    const parsed = BuildYamlSchema.safeParse(parseYaml(text, { logLevel: "silent" }) ?? {});
    if (parsed.success) decl = parsed.data;
    else problems.push(`${where}: expected lists under external-libraries, internal-libraries, templates`);
  } catch (err) {
    problems.push(yamlError(where, err));
  }
  const inputs: CharmInput[] = [];
  for (const entry of decl["external-libraries"] ?? []) {
    const rel = libPath(entry);
    if (!rel) {
      problems.push(`${where}: bad external library ${JSON.stringify(entry)}`);
      continue;
    }
    const base = `${layout.externalLibRoot}${rel}`;
    const path = files.has(`${base}.py`) || !tree.dirs.has(base) ? `${base}.py` : base;
    if (!exists(path)) problems.push(`${where}: external library ${entry}: no ${path}`);
    inputs.push({ kind: "external-lib", entry, path });
  }
  for (const entry of decl["internal-libraries"] ?? []) {
    const rel = libPath(entry);
    const owners = rel ? (tree.libOwners.get(`${rel}.py`) ?? []) : [];
    const ownerSeg = rel?.split("/")[1] ?? "";
    // Prefer the charm whose name matches the lib's owner segment; a consumer may hold a stray copy.
    const owner =
      owners.find((d) => nameOf(d).replace(/-/g, "_") === ownerSeg) ??
      owners.find((d) => d !== dir) ??
      owners[0];
    if (!rel || !owner) problems.push(`${where}: internal library ${entry}: no charm publishes it`);
    else {
      const path = `${owner}/${layout.charmLibDir}${rel}.py`;
      inputs.push({ kind: "internal-lib", entry, path, owner: nameOf(owner) });
    }
  }
  for (const entry of decl.templates ?? []) {
    const rel = entry.replace(/^\/+|\/+$/g, "");
    if (!rel || rel.split("/").includes("..")) {
      problems.push(`${where}: bad template ${JSON.stringify(entry)}`);
      continue;
    }
    const path = `${layout.templatesRoot}${rel}`;
    if (!exists(path)) problems.push(`${where}: template ${entry}: no ${path}`);
    inputs.push({ kind: "template", entry, path });
  }
  return inputs;
}

/** Pure: the model from a tree listing and the contents of the files it needs. */
export function assembleModel(
  sha: string,
  paths: readonly string[],
  contents: ReadonlyMap<string, string>,
  layout: Layout = DEFAULT_LAYOUT,
): MonorepoModel {
  const problems: string[] = [];
  const dirs = findCharmDirs(paths, layout);
  const tree = indexTree(paths, dirs, layout);
  const charms: Charm[] = dirs.map((dir) => {
    const inputs = declaredInputs(dir, contents.get(`${dir}/${layout.charmMarker}`) ?? "", tree, problems);
    let resources: OciResource[] = [];
    for (const file of layout.metadataFiles) {
      const text = contents.get(`${dir}/${file}`);
      const found = text === undefined ? undefined : parseResources(text, `${dir}/${file}`, problems);
      if (found) {
        resources = found;
        break;
      }
    }
    return {
      name: nameOf(dir),
      dir,
      buildPath: dir.startsWith(layout.buildPathRoot) ? dir.slice(layout.buildPathRoot.length) : dir,
      inputs,
      resources,
      hasRebuild: tree.files.has(`${dir}/${layout.charmRebuildFile}`),
    };
  });
  const seen = new Map<string, string>();
  for (const c of charms) {
    const other = seen.get(c.name);
    if (other) problems.push(`charm name ${c.name} is used by both ${other} and ${c.dir}`);
    seen.set(c.name, c.dir);
  }
  const zuulFiles = paths
    .filter(configPathMatcher(layout.zuulConfigPaths))
    .sort()
    .map((path) => ({ path, text: contents.get(path) ?? "" }));
  const zuul = parseZuulConfig(zuulFiles, layout);
  return { sha, layout, charms, zuul, problems: [...problems, ...zuul.problems] };
}

/** The files `assembleModel` reads from a listing. */
export function filesToRead(paths: readonly string[], layout: Layout): string[] {
  const dirs = findCharmDirs(paths, layout);
  const present = new Set(paths);
  const wanted = dirs.flatMap((d) => [layout.charmMarker, ...layout.metadataFiles].map((f) => `${d}/${f}`));
  const zuul = paths.filter(configPathMatcher(layout.zuulConfigPaths));
  return [...wanted.filter((p) => present.has(p)), ...zuul];
}

const CACHE_SIZE = 4;
const cache = new Map<string, Promise<MonorepoModel>>();

/** Drops every cached model (tests, or after a layout change). */
export function clearModelCache(): void {
  cache.clear();
}

/**
 * The model of `repo.dir` (a working tree or a bare git dir) at `repo.rev`, read through git only.
 * Cached by commit sha and layout (LRU of a few, and on disk): the tree at a sha never changes.
 */
export async function buildModel(
  repo: RepoRef,
  opts: { layout?: Layout; log?: Logger } = {},
): Promise<MonorepoModel> {
  const layout = opts.layout ?? DEFAULT_LAYOUT;
  const sha = await revParse(repo.dir, repo.rev);
  const key = `${sha}\0${layout === DEFAULT_LAYOUT ? "" : JSON.stringify(layout)}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // re-insert: Map order is the LRU order
    cache.set(key, hit);
    return hit;
  }
  const started = performance.now();
  const promise = (async () => {
    // Across processes: the model of a commit on disk (model-cache.ts), so a second CLI run is warm.
    const stored = readCachedModel<MonorepoModel>(key, sha);
    if (stored) return stored;
    const tree = await listTree(repo.dir, sha);
    const paths = [...tree.keys()];
    const wanted = filesToRead(paths, layout);
    const blobs = await readBlobs(repo.dir, [...new Set(wanted.map((p) => tree.get(p) as string))]);
    const contents = new Map(wanted.map((p) => [p, blobs.get(tree.get(p) as string) ?? ""]));
    const model = assembleModel(sha, paths, contents, layout);
    writeCachedModel(key, model);
    return model;
  })();
  cache.set(key, promise);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  try {
    const model = await promise;
    opts.log?.debug(
      { sha, charms: model.charms.length, problems: model.problems.length, ms: performance.now() - started },
      "monorepo model built",
    );
    return model;
  } catch (err) {
    cache.delete(key); // a failed read must not poison the cache
    throw err;
  }
}
