// Affected charms and predicted Zuul jobs on a synthetic monorepo read through git (working tree and bare clone).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { affected, naiveAffected } from "../../../src/features/affected/affected.js";
import {
  changedPaths,
  diffNameStatus,
  listFiles,
  revParse,
  showFile,
} from "../../../src/integrations/monorepo/git.js";
import { parseLayout } from "../../../src/integrations/monorepo/layout.js";
import {
  assembleModel,
  buildModel,
  clearModelCache,
  parseImageRef,
  type MonorepoModel,
} from "../../../src/integrations/monorepo/monorepo.js";
import { UserError } from "../../../src/core/errors.js";
import {
  createSyntheticMonorepo,
  generateMonorepo,
  type SyntheticRepo,
  SYNTHETIC_BUILD_JOBS,
  SYNTHETIC_CHARMS,
} from "../../helpers/synthetic-monorepo.js";

const ALL = SYNTHETIC_CHARMS;
const BUILD_JOBS = SYNTHETIC_BUILD_JOBS;
const BUILT = ALL.filter((c) => c !== "sunbeam-libs" && c !== "widget-k8s");

let repo: SyntheticRepo;
let model: MonorepoModel;

beforeAll(async () => {
  clearModelCache();
  repo = await createSyntheticMonorepo();
  model = await buildModel({ dir: repo.dir, rev: "HEAD" });
});
afterAll(() => repo?.cleanup());

const run = (files: string[]) => {
  const result = affected(model, files);
  expect(result).toEqual(naiveAffected(model, files));
  return result;
};

describe("the model", () => {
  it("finds every charm with its name, directory and build path", () => {
    expect(model.charms.map((c) => c.name).sort()).toEqual(ALL);
    expect(model.charms.find((c) => c.name === "cinder-volume-ceph")).toMatchObject({
      dir: "charms/storage/cinder-volume-ceph",
      buildPath: "storage/cinder-volume-ceph",
      hasRebuild: true,
    });
    expect(model.problems).toEqual([]);
    expect(model.zuul.external).toEqual(["openstack-python3-jobs"]);
  });

  it("resolves internal libs to the owner's file, external libs and templates to repo paths", () => {
    const glance = model.charms.find((c) => c.name === "glance-k8s");
    expect(glance?.inputs).toEqual([
      {
        kind: "external-lib",
        entry: "charms.data_platform_libs.v0.data_interfaces",
        path: "libs/external/lib/charms/data_platform_libs/v0/data_interfaces.py",
      },
      {
        kind: "internal-lib",
        entry: "charms.keystone_k8s.v0.identity_service",
        path: "charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py",
        owner: "keystone-k8s",
      },
      { kind: "template", entry: "parts/section-database", path: "templates/parts/section-database" },
    ]);
    const ceph = model.charms.find((c) => c.name === "cinder-volume-ceph");
    expect(ceph?.inputs[0]).toMatchObject({
      owner: "cinder-volume",
      path: expect.stringMatching(/^charms\/cinder-volume\//),
    });
  });

  it("reads OCI resources from charmcraft.yaml, falling back to metadata.yaml", () => {
    const res = (name: string) => model.charms.find((c) => c.name === name)?.resources;
    expect(res("keystone-k8s")).toEqual([
      {
        resource: "keystone-image",
        image: "ghcr.io/canonical/keystone",
        tag: "2024.1",
        upstreamSource: "ghcr.io/canonical/keystone:2024.1",
      },
    ]);
    expect(res("glance-k8s")?.[0]).toMatchObject({
      image: "ghcr.io/canonical/glance-api",
      tag: "2024.1-24.04_edge",
    });
    expect(res("nova-k8s")?.map((r) => r.resource)).toEqual(["nova-api-image", "nova-scheduler-image"]);
    expect(res("cinder-volume-ceph")).toEqual([]);
  });

  it("parses image references with ports and digests", () => {
    expect(parseImageRef("localhost:5000/rock:1.0")).toEqual({ image: "localhost:5000/rock", tag: "1.0" });
    expect(parseImageRef("localhost:5000/rock")).toEqual({ image: "localhost:5000/rock", tag: null });
    expect(parseImageRef("ubuntu/x:1@sha256:ab")).toEqual({
      image: "ubuntu/x",
      tag: "1",
      digest: "sha256:ab",
    });
  });
});

describe("affected", () => {
  it("own directory: the charm, its bin job, the tox job", () => {
    const r = run(["charms/nova-k8s/src/charm.py"]);
    expect(r.charms).toEqual(["nova-k8s"]);
    expect(r.reasons).toEqual({ "nova-k8s": ["charms/nova-k8s/src/charm.py"] });
    expect(r.zuulJobs).toEqual(["charm-build-bin-compute", "openstack-tox-linters"]);
    expect(r.tested).toEqual(["nova-k8s"]); // the bin's other member has no changed file
    expect(r.untested).toEqual([]);
  });

  it("ops-sunbeam change: every charm, every build job", () => {
    const r = run(["ops-sunbeam/ops_sunbeam/core.py"]);
    expect(r.charms).toEqual(ALL);
    expect(r.reasons["keystone-k8s"]).toEqual(["ops-sunbeam/ops_sunbeam/core.py (shared: ops-sunbeam)"]);
    expect(r.zuulJobs).toEqual([...BUILD_JOBS, "openstack-tox-linters"]);
    expect(r.tested).toEqual(BUILT);
    expect(r.untested).toEqual(["sunbeam-libs", "widget-k8s"]);
  });

  it("ops-sunbeam test helper only: every charm affected, bins skipped by irrelevant-files", () => {
    const r = run(["ops-sunbeam/ops_sunbeam/test_utils.py"]);
    expect(r.charms).toEqual(ALL);
    expect(r.zuulJobs).toEqual([
      "charm-build-glance-k8s",
      "charm-build-keystone-k8s",
      "openstack-tox-linters",
    ]);
    expect(r.untested).toEqual(ALL.filter((c) => c !== "glance-k8s" && c !== "keystone-k8s"));
  });

  it("external lib: declared consumers, no build job", () => {
    const r = run(["libs/external/lib/charms/data_platform_libs/v0/data_interfaces.py"]);
    expect(r.charms).toEqual(["glance-k8s", "keystone-k8s"]);
    expect(r.reasons["glance-k8s"]).toEqual([
      "libs/external/lib/charms/data_platform_libs/v0/data_interfaces.py (external lib charms.data_platform_libs.v0.data_interfaces)",
    ]);
    expect(r.zuulJobs).toEqual(["openstack-tox-linters"]);
    expect(r.untested).toEqual(["glance-k8s", "keystone-k8s"]);
  });

  it("internal lib: the owner is tested, consumers are affected but untested", () => {
    const r = run(["charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py"]);
    expect(r.charms).toEqual(["glance-k8s", "keystone-k8s", "placement-k8s"]);
    expect(r.reasons["placement-k8s"]).toEqual([
      "charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py (internal lib charms.keystone_k8s.v0.identity_service from keystone-k8s)",
    ]);
    expect(r.zuulJobs).toEqual(["charm-build-keystone-k8s", "func-test-core", "openstack-tox-linters"]);
    expect(r.tested).toEqual(["keystone-k8s"]); // func-test jobs carry no charm vars: they test no charm
    expect(r.untested).toEqual(["glance-k8s", "placement-k8s"]);
  });

  it("internal lib published by a charm and used by a storage charm in the same bin", () => {
    const r = run(["charms/cinder-volume/lib/charms/cinder_volume/v0/cinder_volume.py"]);
    expect(r.charms).toEqual(["cinder-volume", "cinder-volume-ceph"]);
    expect(r.zuulJobs).toEqual(["charm-build-bin-storage", "openstack-tox-linters"]);
    expect(r.tested).toEqual(["cinder-volume"]);
    expect(r.untested).toEqual(["cinder-volume-ceph"]);
  });

  it("a library-only charm's lib: its consumer is affected, nothing builds either", () => {
    const r = run(["charms/sunbeam-libs/lib/charms/sunbeam_libs/v0/service_readiness.py"]);
    expect(r.charms).toEqual(["sunbeam-libs", "widget-k8s"]);
    expect(r.untested).toEqual(["sunbeam-libs", "widget-k8s"]);
  });

  it("template: file entries and directory entries both match", () => {
    const r = run(["templates/parts/section-database"]);
    expect(r.charms).toEqual(["glance-k8s", "nova-k8s"]);
    expect(r.reasons["nova-k8s"]).toEqual(["templates/parts/section-database (template parts)"]);
    expect(r.reasons["glance-k8s"]).toEqual([
      "templates/parts/section-database (template parts/section-database)",
    ]);
    expect(r.zuulJobs).toEqual(["openstack-tox-linters"]);
  });

  it("top-level rebuild: every charm and every build job", () => {
    const r = run(["rebuild"]);
    expect(r.charms).toEqual(ALL);
    expect(r.reasons["widget-k8s"]).toEqual(["rebuild (top-level rebuild: every charm)"]);
    expect(r.zuulJobs).toEqual([...BUILD_JOBS, "func-test-core", "openstack-tox-linters"]);
    expect(r.untested).toEqual(["sunbeam-libs", "widget-k8s"]);
  });

  it("per-charm rebuild of a storage charm: reported by name, matched by build path", () => {
    const r = run(["charms/storage/cinder-volume-ceph/rebuild"]);
    expect(r.charms).toEqual(["cinder-volume-ceph"]);
    expect(r.reasons).toEqual({
      "cinder-volume-ceph": ["charms/storage/cinder-volume-ceph/rebuild (charm rebuild)"],
    });
    expect(r.zuulJobs).toEqual(["charm-build-bin-storage", "openstack-tox-linters"]);
    expect(r.tested).toEqual(["cinder-volume-ceph"]);
  });

  it("/COMMIT_MSG is never a charm input; alone it still runs every job", () => {
    const alone = run(["/COMMIT_MSG"]);
    expect(alone.charms).toEqual([]);
    expect(alone.zuulJobs).toEqual(model.zuul.pipelineJobs.map((j) => j.name));
    const withTest = run(["/COMMIT_MSG", "ops-sunbeam/ops_sunbeam/test_utils.py"]);
    expect(withTest).toEqual(run(["ops-sunbeam/ops_sunbeam/test_utils.py"]));
    expect(run(["/MERGE_LIST", "tox.ini"]).charms).toEqual([]);
  });

  it("files outside every charm input affect nothing", () => {
    expect(run(["tox.ini", "zuul.d/jobs.yaml"])).toEqual({
      charms: [],
      reasons: {},
      zuulJobs: ["openstack-tox-linters"],
      tested: [],
      untested: [],
    });
  });
});

describe("changes read from git", () => {
  it("a change to .sunbeam-build.yaml: the charm itself now, the new input from then on", async () => {
    const before = repo.sha;
    const after = await repo.commit({
      "charms/placement-k8s/.sunbeam-build.yaml":
        "internal-libraries:\n  - charms.keystone_k8s.v0.identity_service\ntemplates:\n  - ceph.conf\n",
    });
    const files = changedPaths(await diffNameStatus(repo.dir, before, after));
    expect(files).toEqual(["charms/placement-k8s/.sunbeam-build.yaml"]);
    const next = await buildModel({ dir: repo.dir, rev: after });
    expect(affected(next, files).charms).toEqual(["placement-k8s"]);
    expect(affected(model, ["templates/ceph.conf"]).charms).toEqual(["cinder-volume-ceph"]);
    expect(affected(next, ["templates/ceph.conf"]).charms).toEqual(["cinder-volume-ceph", "placement-k8s"]);
  });

  it("a rename counts both sides", async () => {
    const before = await revParse(repo.dir, "HEAD");
    const after = await repo.rename("templates/ceph.conf", "templates/storage/ceph.conf");
    const changes = await diffNameStatus(repo.dir, before, after);
    expect(changes).toEqual([
      { status: "R", oldPath: "templates/ceph.conf", path: "templates/storage/ceph.conf" },
    ]);
    const r = affected(await buildModel({ dir: repo.dir, rev: before }), changedPaths(changes));
    expect(r.charms).toEqual(["cinder-volume-ceph", "placement-k8s"]);
  });

  it("reads the same model from a bare clone", async () => {
    const bare = await repo.bareClone();
    clearModelCache();
    const fromBare = await buildModel({ dir: bare, rev: "main" });
    clearModelCache();
    const fromTree = await buildModel({ dir: repo.dir, rev: "HEAD" });
    expect(fromBare).not.toBe(fromTree);
    expect(JSON.parse(JSON.stringify(fromBare))).toEqual(JSON.parse(JSON.stringify(fromTree)));
    expect(await listFiles(bare, "main")).toContain("zuul.d/secrets.yaml");
    expect(await showFile(bare, "main", "rebuild")).toMatch(/rebuild every charm/);
    expect(await showFile(bare, "main", "no/such/file")).toBeUndefined();
    const diff = await diffNameStatus(bare, repo.sha, "main");
    expect(changedPaths(diff)).toContain("templates/storage/ceph.conf");
  });

  it("caches by commit sha, whatever names the revision", async () => {
    const sha = await revParse(repo.dir, "HEAD");
    const a = await buildModel({ dir: repo.dir, rev: "HEAD" });
    const b = await buildModel({ dir: repo.dir, rev: sha });
    const c = await buildModel({ dir: repo.dir, rev: "main" });
    expect(b).toBe(a);
    expect(c).toBe(a);
    const old = await buildModel({ dir: repo.dir, rev: repo.sha });
    expect(old).not.toBe(a);
    expect(old.sha).toBe(repo.sha);
  });

  it("refuses option-like and unknown revisions", async () => {
    await expect(buildModel({ dir: repo.dir, rev: "--output=/tmp/x" })).rejects.toBeInstanceOf(UserError);
    await expect(buildModel({ dir: repo.dir, rev: "no-such-branch" })).rejects.toThrow(/unknown revision/);
    await expect(diffNameStatus(repo.dir, "-p", "HEAD")).rejects.toBeInstanceOf(UserError);
  });
});

describe("other monorepo shapes and sizes", () => {
  it("takes another layout as data, no code change", () => {
    const layout = parseLayout({
      charmRoots: ["operators/"],
      buildPathRoot: "operators/",
      charmMarker: "build.yaml",
      globalInputs: [{ path: "common/", label: "shared: common" }],
      rebuildFile: "REBUILD",
      zuulConfigPaths: [".zuul.yaml"],
    });
    const files: Record<string, string> = {
      "operators/a/build.yaml": "templates: [t1]\n",
      "operators/b/build.yaml": "{}\n",
      "operators/b/src/x.py": "",
      "templates/t1": "",
      "common/util.py": "",
      ".zuul.yaml":
        "- job: {name: build-a, files: [operators/a/], vars: {charm: a}}\n- project: {check: {jobs: [build-a]}}\n",
    };
    const m = assembleModel("1".repeat(40), Object.keys(files), new Map(Object.entries(files)), layout);
    expect(m.charms.map((c) => c.buildPath)).toEqual(["a", "b"]);
    expect(affected(m, ["templates/t1"])).toMatchObject({ charms: ["a"], zuulJobs: [], untested: ["a"] });
    expect(affected(m, ["common/util.py"]).charms).toEqual(["a", "b"]);
    expect(affected(m, ["REBUILD"]).charms).toEqual(["a", "b"]);
    expect(affected(m, ["operators/a/x"])).toMatchObject({ zuulJobs: ["build-a"], tested: ["a"] });
    expect(() => parseLayout({ charmRoots: ["charms"] })).toThrow(/must end with/);
  });

  it("a generated 200-charm monorepo: same answers as the naive baseline", async () => {
    const gen = await generateMonorepo(200);
    try {
      const big = await buildModel({ dir: gen.dir, rev: "main" });
      expect(big.charms).toHaveLength(200);
      expect(big.problems).toEqual([]);
      for (const files of [
        ["charms/c0005-k8s/src/charm.py"],
        ["ops-sunbeam/ops_sunbeam/test_utils.py"],
        ["charms/storage/c0009-k8s/lib/charms/c0009_k8s/v0/lib.py", "templates/parts/t3"],
        ["libs/external/lib/charms/ext7/v0/mod.py"],
      ]) {
        expect(affected(big, files)).toEqual(naiveAffected(big, files));
      }
      expect(affected(big, ["charms/storage/c0009-k8s/lib/charms/c0009_k8s/v0/lib.py"]).charms).toEqual([
        "c0009-k8s",
        "c0010-k8s",
      ]);
    } finally {
      gen.cleanup();
    }
  });
});
