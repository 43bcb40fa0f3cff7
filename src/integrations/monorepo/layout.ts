// Monorepo layout rules as data (zod-checked), with openstack/sunbeam-charms as the default shape.
import { z } from "zod";

/** A directory prefix ends with "/"; anything else names one exact file. */
const repoPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.includes(".."), "must be a relative path inside the repo");
const dirPath = repoPath.refine((p) => p.endsWith("/"), "must end with '/'");

export const LayoutSchema = z.strictObject({
  /** Directories whose direct children are charms when they hold `charmMarker` (e.g. `charms/<name>/`). */
  charmRoots: z.array(dirPath).min(1).default(["charms/", "charms/storage/"]),
  /** Build path = charm directory relative to this (`storage/cinder-volume-ceph`). */
  buildPathRoot: dirPath.default("charms/"),
  /** The file that makes a directory a charm and declares its shared inputs. */
  charmMarker: z.string().min(1).default(".sunbeam-build.yaml"),
  /** Charm metadata files read for OCI resources, first one that has `resources` wins. */
  metadataFiles: z.array(z.string().min(1)).min(1).default(["charmcraft.yaml", "metadata.yaml"]),
  /** Inputs copied into every charm; `label` is what the reason text calls them. */
  globalInputs: z.array(z.strictObject({ path: repoPath, label: z.string().min(1) })).default([
    { path: "ops-sunbeam/ops_sunbeam/", label: "shared: ops-sunbeam" },
    { path: ".jujuignore", label: "shared: .jujuignore" },
  ]),
  /** Top-level file meaning "rebuild every charm" (exact path). */
  rebuildFile: repoPath.default("rebuild"),
  /** Per-charm file meaning "rebuild this charm" (relative to the charm directory). */
  charmRebuildFile: z.string().min(1).default("rebuild"),
  /** `charms.x.vN.y` external libraries live under this root as `charms/x/vN/y.py`. */
  externalLibRoot: dirPath.default("libs/external/lib/"),
  /** Internal libraries live in their owner charm at `<charm dir>/<this>charms/<owner_>/vN/y.py`. */
  charmLibDir: dirPath.default("lib/"),
  /** `templates` entries are relative to this root. */
  templatesRoot: dirPath.default("templates/"),
  /** Zuul config files; `*` matches within one path component. */
  zuulConfigPaths: z.array(repoPath).min(1).default(["zuul.d/*.yaml", ".zuul.yaml"]),
  /** The pipeline whose jobs a recheck runs. */
  checkPipeline: z.string().min(1).default("check"),
  /** Era-A jobs named `<prefix><charm>` without `vars.charm` build that charm. */
  buildJobPrefix: z.string().default("charm-build-"),
  /** Gerrit's magic paths: never a charm input. */
  irrelevantPaths: z.array(z.string().min(1)).default(["/COMMIT_MSG", "/MERGE_LIST"]),
  /** Paths Zuul's own file matchers drop (zuul/change_matcher.py strips only /COMMIT_MSG). */
  zuulIgnoredPaths: z.array(z.string().min(1)).default(["/COMMIT_MSG"]),
});

export type Layout = z.infer<typeof LayoutSchema>;

export const DEFAULT_LAYOUT: Layout = LayoutSchema.parse({});

/** Validates a layout from config; every problem at once in the thrown ZodError. */
export function parseLayout(input: unknown): Layout {
  return LayoutSchema.parse(input ?? {});
}

/** A matcher for `zuul.d/*.yaml` style paths: `*` never crosses a `/`. */
export function configPathMatcher(patterns: readonly string[]): (path: string) => boolean {
  const res = patterns.map(
    (p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, "[^/]*")}$`),
  );
  return (path) => res.some((re) => re.test(path));
}
