// `affected` CLI logic on the synthetic monorepo: --files, --rev, --change (fake Gerrit), text and JSON, tree and bare.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { affectedCli, parseRange, type AffectedCliOptions } from "../../../src/features/affected/cli.js";
import type { AffectedReport } from "../../../src/features/affected/render.js";
import { clearModelCache } from "../../../src/integrations/monorepo/monorepo.js";
import { GerritClient } from "../../../src/integrations/gerrit/client.js";
import { UserError } from "../../../src/core/errors.js";
import { FakeGerritRest, makeChange } from "../../fakes/gerrit-rest.js";
import {
  createSyntheticMonorepo,
  syntheticFiles,
  type SyntheticRepo,
  SYNTHETIC_BUILD_JOBS,
  SYNTHETIC_CHARMS,
} from "../../helpers/synthetic-monorepo.js";

const ALL = SYNTHETIC_CHARMS;
const BUILD_JOBS = SYNTHETIC_BUILD_JOBS;
const LINTERS = "openstack-tox-linters";
const PLACEMENT_YAML = "charms/placement-k8s/.sunbeam-build.yaml";
const GADGET = "charms/gadget-k8s";

/** The files of the commit that edits placement's declarations and adds a charm (change 9001 on Gerrit). */
const DECLARATION_CHANGE: Record<string, string> = {
  [PLACEMENT_YAML]:
    "internal-libraries:\n  - charms.keystone_k8s.v0.identity_service\ntemplates:\n  - ceph.conf\n",
  "templates/ceph.conf": "[global]\nfsid = 0000\n",
  [`${GADGET}/.sunbeam-build.yaml`]: "templates:\n  - ceph.conf\n",
  [`${GADGET}/charmcraft.yaml`]: "name: gadget-k8s\ntype: charm\n",
  [`${GADGET}/src/charm.py`]: "# gadget\n",
};
const RENAMED = {
  from: "charms/glance-k8s/tests/unit/test_charm.py",
  to: "charms/placement-k8s/tests/unit/test_glance.py",
};
const NOT_IN_CLONE = "e".repeat(40);

let repo: SyntheticRepo;
let bare: string;
let notRepo: string;
/** Commits on main: initial layout → declarations edited → a cross-charm rename → declarations restored. */
let base: string;
let declSha: string;
let renameSha: string;
let head: string;
let gerrit: FakeGerritRest;
let client: GerritClient;

beforeAll(async () => {
  repo = await createSyntheticMonorepo();
  base = repo.sha;
  declSha = await repo.commit(DECLARATION_CHANGE, "placement uses ceph.conf; new charm gadget-k8s");
  renameSha = await repo.rename(RENAMED.from, RENAMED.to);
  // HEAD goes back to the initial declarations, so that --files (model at HEAD) answers as affected.test.ts.
  const initial = syntheticFiles();
  head = await repo.commit(
    {
      [PLACEMENT_YAML]: initial[PLACEMENT_YAML] as string,
      "templates/ceph.conf": initial["templates/ceph.conf"] as string,
      ...Object.fromEntries(
        Object.keys(DECLARATION_CHANGE).flatMap((p) => (p.startsWith(GADGET) ? [[p, null]] : [])),
      ),
    },
    "restore declarations",
  );
  bare = await repo.bareClone();
  notRepo = mkdtempSync(join(tmpdir(), "sunbeam-not-a-repo-"));
  const rev = (sha: string, ps: number, files: Record<string, { status?: string; old_path?: string }>) => ({
    [sha]: { _number: ps, ref: `refs/changes/01/x/${ps}`, kind: "REWORK", files },
  });
  gerrit = await FakeGerritRest.start({
    changes: [
      // The change's own commit is in the clone: the model is read at it.
      makeChange(9001, {
        subject: "placement uses ceph.conf",
        current_revision: declSha,
        revisions: rev(
          declSha,
          1,
          Object.fromEntries(
            Object.keys(DECLARATION_CHANGE).map((p) => [p, p.startsWith(GADGET) ? { status: "A" } : {}]),
          ),
        ),
      }),
      // Not fetched yet: the model falls back to the head of the target branch.
      makeChange(9002, {
        current_revision: NOT_IN_CLONE,
        revisions: rev(NOT_IN_CLONE, 1, {
          "charms/storage/cinder-volume-ceph/src/charm.py": {},
          "templates/ceph.conf": {},
        }),
      }),
      // Neither the commit nor the branch is in the clone.
      makeChange(9003, { branch: "stable/2023.2" }),
      // A rename as Gerrit reports it.
      makeChange(9004, {
        current_revision: renameSha,
        revisions: rev(renameSha, 1, { [RENAMED.to]: { status: "R", old_path: RENAMED.from } }),
      }),
      // Two patch sets; a link may name the older one.
      makeChange(9005, {
        current_revision: head,
        revisions: {
          ...rev("d".repeat(40), 1, { "charms/nova-k8s/src/charm.py": {} }),
          ...rev(head, 2, { "charms/keystone-k8s/src/charm.py": {} }),
        },
      }),
    ],
  });
  client = new GerritClient({ url: gerrit.url, sleep: async () => {} });
});

afterAll(async () => {
  await gerrit?.close();
  repo?.cleanup();
  if (notRepo) rmSync(notRepo, { recursive: true, force: true });
  clearModelCache();
});

// The model cache is keyed by sha alone: clear it so that every case really reads its own repository.
beforeEach(() => clearModelCache());

const VARIANTS = [
  { name: "working tree", dir: () => repo.dir },
  { name: "bare clone", dir: () => bare },
];

describe.each(VARIANTS)("from a $name", ({ dir }) => {
  const cli = (o: Omit<AffectedCliOptions, "repo" | "json"> & { json?: boolean }) =>
    affectedCli({ repo: dir(), json: false, ...o });
  const files = async (...paths: string[]): Promise<AffectedReport> => {
    const r = await cli({ files: paths });
    expect(r.exitCode).toBe(0);
    expect(r.result).toMatchObject({ modelRev: head, modelRef: "HEAD", modelSource: "rev", problems: [] });
    return r.result;
  };

  describe("--files (model at HEAD)", () => {
    it("own directory: the charm, its bin job, the tox job", async () => {
      const r = await files("charms/nova-k8s/src/charm.py");
      expect(r).toMatchObject({
        charms: ["nova-k8s"],
        reasons: { "nova-k8s": ["charms/nova-k8s/src/charm.py"] },
        zuulJobs: ["charm-build-bin-compute", LINTERS],
        tested: ["nova-k8s"],
        untested: [],
        files: ["charms/nova-k8s/src/charm.py"],
      });
    });

    it("ops-sunbeam change: every charm, every build job; sunbeam-libs and the unwired charm untested", async () => {
      const r = await files("ops-sunbeam/ops_sunbeam/core.py");
      expect(r.charms).toEqual(ALL);
      expect(r.reasons["nova-k8s"]).toEqual(["ops-sunbeam/ops_sunbeam/core.py (shared: ops-sunbeam)"]);
      expect(r.zuulJobs).toEqual([...BUILD_JOBS, LINTERS]);
      expect(r.untested).toEqual(["sunbeam-libs", "widget-k8s"]);
    });

    it("ops-sunbeam test helper only: every charm affected, bin jobs skipped by irrelevant-files", async () => {
      const r = await files("ops-sunbeam/ops_sunbeam/test_utils.py");
      expect(r.charms).toEqual(ALL);
      expect(r.zuulJobs).toEqual(["charm-build-glance-k8s", "charm-build-keystone-k8s", LINTERS]);
      expect(r.tested).toEqual(["glance-k8s", "keystone-k8s"]);
      expect(r.untested).toEqual(ALL.filter((c) => c !== "glance-k8s" && c !== "keystone-k8s"));
    });

    it("external lib: its declared consumers, no build job", async () => {
      const r = await files("libs/external/lib/charms/data_platform_libs/v0/data_interfaces.py");
      expect(r).toMatchObject({
        charms: ["glance-k8s", "keystone-k8s"],
        zuulJobs: [LINTERS],
        untested: ["glance-k8s", "keystone-k8s"],
      });
    });

    it("internal lib: the owner is built, its consumers are affected but untested", async () => {
      const r = await files("charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py");
      expect(r).toMatchObject({
        charms: ["glance-k8s", "keystone-k8s", "placement-k8s"],
        zuulJobs: ["charm-build-keystone-k8s", "func-test-core", LINTERS],
        tested: ["keystone-k8s"],
        untested: ["glance-k8s", "placement-k8s"],
      });
      expect(r.reasons["placement-k8s"]).toEqual([
        "charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py (internal lib charms.keystone_k8s.v0.identity_service from keystone-k8s)",
      ]);
    });

    it("template: the charms declaring it (file or directory entry), no build job", async () => {
      const r = await files("templates/parts/section-database");
      expect(r).toMatchObject({
        charms: ["glance-k8s", "nova-k8s"],
        zuulJobs: [LINTERS],
        untested: ["glance-k8s", "nova-k8s"],
      });
      expect(r.reasons["nova-k8s"]).toEqual(["templates/parts/section-database (template parts)"]);
    });

    it("top-level rebuild: every charm and every build job", async () => {
      const r = await files("rebuild");
      expect(r.charms).toEqual(ALL);
      expect(r.reasons["widget-k8s"]).toEqual(["rebuild (top-level rebuild: every charm)"]);
      expect(r.zuulJobs).toEqual([...BUILD_JOBS, "func-test-core", LINTERS]);
      expect(r.untested).toEqual(["sunbeam-libs", "widget-k8s"]);
    });

    it("per-charm rebuild: that charm only", async () => {
      const r = await files("charms/keystone-k8s/rebuild");
      expect(r).toMatchObject({
        charms: ["keystone-k8s"],
        reasons: { "keystone-k8s": ["charms/keystone-k8s/rebuild (charm rebuild)"] },
        zuulJobs: ["charm-build-keystone-k8s", "func-test-core", LINTERS],
        tested: ["keystone-k8s"],
      });
    });

    it("storage charm: reported by name, matched by build path; its bin builds it alone", async () => {
      const r = await files(
        "charms/storage/cinder-volume-ceph/src/charm.py",
        "charms/storage/cinder-volume-ceph/rebuild",
      );
      expect(r).toMatchObject({
        charms: ["cinder-volume-ceph"],
        reasons: {
          "cinder-volume-ceph": [
            "charms/storage/cinder-volume-ceph/rebuild (charm rebuild)",
            "charms/storage/cinder-volume-ceph/src/charm.py",
          ],
        },
        zuulJobs: ["charm-build-bin-storage", LINTERS],
        tested: ["cinder-volume-ceph"],
        untested: [],
      });
    });

    it("/COMMIT_MSG: never a charm input; alone, Zuul runs every job", async () => {
      const alone = await files("/COMMIT_MSG");
      expect(alone).toMatchObject({ charms: [], reasons: {}, untested: [] });
      expect(alone.zuulJobs).toEqual([...BUILD_JOBS, "func-test-core", LINTERS]);
      const withTest = await files("/COMMIT_MSG", "ops-sunbeam/ops_sunbeam/test_utils.py");
      const testOnly = await files("ops-sunbeam/ops_sunbeam/test_utils.py");
      expect({ ...withTest, files: [] }).toEqual({ ...testOnly, files: [] });
      expect(withTest.files).toEqual(["/COMMIT_MSG", "ops-sunbeam/ops_sunbeam/test_utils.py"]);
    });

    it("--files at another revision reads the model there", async () => {
      const paths = ["templates/ceph.conf", `${GADGET}/src/charm.py`];
      const atHead = await files(...paths);
      expect(atHead.charms).toEqual(["cinder-volume-ceph"]); // gadget-k8s does not exist at HEAD
      const atDecl = (await cli({ files: paths, at: declSha })).result;
      expect(atDecl).toMatchObject({
        charms: ["cinder-volume-ceph", "gadget-k8s", "placement-k8s"],
        modelRev: declSha,
        modelRef: declSha,
        modelSource: "rev",
      });
    });
  });

  describe("--rev A..B (files from git, model at B)", () => {
    it("a change to .sunbeam-build.yaml counts the declarations it makes", async () => {
      const r = (await cli({ rev: `${base}..${declSha}` })).result;
      expect(r.files).toEqual([...Object.keys(DECLARATION_CHANGE)].sort());
      expect(r).toMatchObject({
        modelRev: declSha,
        modelRef: declSha,
        modelSource: "rev",
        // gadget-k8s exists only at B; placement-k8s declares ceph.conf only at B.
        charms: ["cinder-volume-ceph", "gadget-k8s", "placement-k8s"],
        zuulJobs: ["charm-build-bin-compute", LINTERS],
        tested: ["placement-k8s"],
        untested: ["cinder-volume-ceph", "gadget-k8s"],
      });
      expect(r.reasons["placement-k8s"]).toEqual([
        PLACEMENT_YAML,
        "templates/ceph.conf (template ceph.conf)",
      ]);
      // The same files on the model before the change: no gadget-k8s, placement only through its own dir.
      const before = (await cli({ files: r.files, at: base })).result;
      expect(before.charms).toEqual(["cinder-volume-ceph", "placement-k8s"]);
      expect(before.reasons["placement-k8s"]).toEqual([PLACEMENT_YAML]);
    });

    it("a rename counts both sides (relative revisions work too)", async () => {
      const r = (await cli({ rev: "HEAD~2..HEAD~1" })).result;
      expect(r).toMatchObject({
        files: [RENAMED.from, RENAMED.to],
        modelRev: renameSha,
        modelRef: "HEAD~1",
        charms: ["glance-k8s", "placement-k8s"],
        reasons: { "glance-k8s": [RENAMED.from], "placement-k8s": [RENAMED.to] },
        zuulJobs: ["charm-build-bin-compute", "charm-build-glance-k8s", "func-test-core", LINTERS],
        tested: ["glance-k8s", "placement-k8s"],
        untested: [],
      });
    });

    it("an empty side means HEAD", async () => {
      const r = (await cli({ rev: `${renameSha}..` })).result;
      expect(r.modelRev).toBe(head);
      expect(r.files).toEqual([...Object.keys(DECLARATION_CHANGE)].sort());
      expect(r.charms).toEqual(["cinder-volume-ceph", "placement-k8s"]); // HEAD's declarations: no gadget
    });
  });

  describe("--change N (files from Gerrit REST)", () => {
    it("reads the model at the change's own revision when its commit is in the clone", async () => {
      const viaRev = (await cli({ rev: `${base}..${declSha}` })).result;
      const out = await cli({ change: 9001, gerrit: client, gerritUrl: gerrit.url });
      expect(out.result).toMatchObject({
        modelSource: "change",
        modelRev: declSha,
        change: {
          number: 9001,
          patchSet: 1,
          project: "openstack/sunbeam-charms",
          branch: "main",
          revision: declSha,
          subject: "placement uses ceph.conf",
          url: `${gerrit.url}/c/openstack/sunbeam-charms/+/9001`,
        },
      });
      // Gerrit's /COMMIT_MSG is left out; the rest is the same answer as git's diff of that commit.
      const pick = ({ charms, reasons, zuulJobs, tested, untested, files }: AffectedReport) => ({
        charms,
        reasons,
        zuulJobs,
        tested,
        untested,
        files,
      });
      expect(pick(out.result)).toEqual(pick(viaRev));
      expect(out.output).toContain(
        "Change 9001 (patch set 1) on openstack/sunbeam-charms main: placement uses ceph.conf",
      );
      expect(out.output).toContain(`Model: ${declSha.slice(0, 12)}, the change's own revision.`);
    });

    it("falls back to the target branch when the change's commit is not in the clone, and says so", async () => {
      const out = await cli({ change: "9002", gerrit: client });
      expect(out.result).toMatchObject({
        modelSource: "branch",
        modelRef: "main",
        modelRev: head,
        files: ["charms/storage/cinder-volume-ceph/src/charm.py", "templates/ceph.conf"],
        charms: ["cinder-volume-ceph"],
        zuulJobs: ["charm-build-bin-storage", LINTERS],
        tested: ["cinder-volume-ceph"],
      });
      expect(out.result.change?.url).toBeUndefined();
      expect(out.output).toContain(
        "the change's commit is not in the bot's clone, so its target branch is used",
      );
    });

    it("takes both sides of a rename from Gerrit", async () => {
      const r = (await cli({ change: 9004, gerrit: client })).result;
      expect(r).toMatchObject({
        modelSource: "change",
        modelRev: renameSha,
        files: [RENAMED.from, RENAMED.to],
        charms: ["glance-k8s", "placement-k8s"],
      });
    });

    it("a link naming an older patch set takes that patch set's files", async () => {
      const r = (
        await cli({
          change: `${gerrit.url}/c/openstack/sunbeam-charms/+/9005/1`,
          gerrit: client,
          gerritUrl: gerrit.url,
        })
      ).result;
      expect(r).toMatchObject({
        files: ["charms/nova-k8s/src/charm.py"],
        charms: ["nova-k8s"],
        change: { number: 9005, patchSet: 1 },
        modelSource: "branch",
      });
      const current = (await cli({ change: "9005", gerrit: client })).result;
      expect(current).toMatchObject({
        charms: ["keystone-k8s"],
        change: { patchSet: 2 },
        modelSource: "change",
      });
    });

    it("refuses a change whose commit and branch are both missing from the clone", async () => {
      await expect(cli({ change: 9003, gerrit: client })).rejects.toThrow(
        /neither the change's commit nor branch stable\/2023\.2/,
      );
    });

    it("refuses an unknown change, a link to another host, and --change without Gerrit", async () => {
      const unknown = cli({ change: 9999, gerrit: client });
      await expect(unknown).rejects.toBeInstanceOf(UserError);
      await expect(unknown).rejects.toThrow(/9999/);
      await expect(
        cli({ change: "https://review.example.org/c/x/+/9001", gerrit: client, gerritUrl: gerrit.url }),
      ).rejects.toThrow(/only links to 127\.0\.0\.1/);
      await expect(
        cli({
          change: `${gerrit.url}/c/openstack/sunbeam-charms/+/9005/7`,
          gerrit: client,
          gerritUrl: gerrit.url,
        }),
      ).rejects.toThrow(/change 9005 has no patch set 7/);
      await expect(
        cli({ change: "openstack%2Fother~9001", gerrit: client, gerritUrl: gerrit.url }),
      ).rejects.toThrow(/change 9001 is on openstack\/sunbeam-charms, not openstack\/other/);
      await expect(cli({ change: 9001 })).rejects.toBeInstanceOf(UserError);
      await expect(cli({ change: "abc", gerrit: client })).rejects.toBeInstanceOf(UserError);
    });
  });

  describe("output", () => {
    it("--json prints one JSON document with the ARCHITECTURE §4 contract", async () => {
      const out = await cli({
        files: ["charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py"],
        json: true,
      });
      expect(out.exitCode).toBe(0);
      expect(out.output).not.toContain("\n");
      const doc = JSON.parse(out.output) as Record<string, unknown>;
      for (const key of ["charms", "reasons", "zuulJobs", "untested", "tested", "modelRev"]) {
        expect(doc).toHaveProperty(key);
      }
      expect(doc).toMatchObject({
        charms: ["glance-k8s", "keystone-k8s", "placement-k8s"],
        zuulJobs: ["charm-build-keystone-k8s", "func-test-core", LINTERS],
        tested: ["keystone-k8s"],
        untested: ["glance-k8s", "placement-k8s"],
        modelRev: head,
        modelSource: "rev",
      });
      expect(Object.keys(doc.reasons as object).sort()).toEqual(doc.charms);
      expect(doc).toEqual(JSON.parse(JSON.stringify(out.result)));
    });

    it("--json for a change carries the change and where the model came from", async () => {
      const doc = JSON.parse(
        (await cli({ change: 9002, gerrit: client, json: true })).output,
      ) as AffectedReport;
      expect(doc).toMatchObject({ modelSource: "branch", modelRef: "main", change: { number: 9002 } });
    });

    it("text names the model, the charms with reasons, the jobs and the untested charms", async () => {
      const out = await cli({
        files: ["charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py"],
      });
      const lines = out.output.split("\n");
      expect(lines[0]).toBe(`Model: ${head.slice(0, 12)} (HEAD).`);
      expect(lines[1]).toBe("Files: 1");
      expect(out.output).toContain("Affected charms (3):");
      expect(out.output).toContain(
        "Zuul jobs that will run on main (3): charm-build-keystone-k8s, func-test-core, openstack-tox-linters",
      );
      expect(out.output).toContain("Jobs from zuul.d only (no recent Zuul reports seen)");
      expect(out.output).toContain(
        "Warning: 2 affected charms are not built by any Zuul job: glance-k8s, placement-k8s",
      );
      const every = await cli({ files: ["ops-sunbeam/ops_sunbeam/core.py"] });
      expect(every.output).toContain("Affected charms (8: every charm):");
      expect(every.output).toContain("- every charm: ops-sunbeam/ops_sunbeam/core.py (shared: ops-sunbeam)");
      const none = await cli({ files: ["tox.ini"] });
      expect(none.output).toContain("No charm is affected.");
    });
  });

  describe("usage errors (UserError, exit code 2)", () => {
    const rejectsUser = async (p: Promise<unknown>, msg: RegExp) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(2);
      expect((err as Error).message).toMatch(msg);
    };

    it("none or several of --files, --rev, --change", async () => {
      await rejectsUser(cli({}), /exactly one of --files, --rev, --change/);
      await rejectsUser(cli({ files: ["rebuild"], rev: "HEAD~1..HEAD" }), /exactly one/);
      await rejectsUser(cli({ rev: "HEAD~1..HEAD", change: 9001, gerrit: client }), /exactly one/);
      await rejectsUser(cli({ files: [] }), /at least one path/);
    });

    it("a bad range", async () => {
      for (const bad of ["HEAD", "HEAD~1...HEAD", "a..b..c", "HEAD~1 ..HEAD"]) {
        await rejectsUser(cli({ rev: bad }), /--rev wants A\.\.B/);
      }
      await rejectsUser(cli({ rev: "--output=/tmp/x..HEAD" }), /invalid git revision/);
    });

    it("an unknown revision on either side of --rev, or for --files", async () => {
      await rejectsUser(cli({ rev: "no-such-branch..HEAD" }), /unknown revision no-such-branch/);
      await rejectsUser(cli({ rev: `HEAD..${"0".repeat(40)}` }), /unknown revision 0{40}/);
      await rejectsUser(cli({ files: ["rebuild"], at: "no-such-tag" }), /unknown revision no-such-tag/);
    });
  });
});

describe("outside a repository and range parsing", () => {
  it("a directory that is not a git repository is a usage error", async () => {
    await expect(affectedCli({ repo: notRepo, files: ["rebuild"], json: true })).rejects.toThrow(
      /not a git repository/,
    );
    await expect(affectedCli({ repo: notRepo, rev: "HEAD~1..HEAD", json: true })).rejects.toBeInstanceOf(
      UserError,
    );
  });

  it("parses A..B with empty sides as HEAD and dotted names", () => {
    expect(parseRange("a..b")).toEqual(["a", "b"]);
    expect(parseRange("..b")).toEqual(["HEAD", "b"]);
    expect(parseRange("a..")).toEqual(["a", "HEAD"]);
    expect(parseRange("v1.0..stable/2024.1")).toEqual(["v1.0", "stable/2024.1"]);
    expect(() => parseRange("a")).toThrow(UserError);
  });
});
