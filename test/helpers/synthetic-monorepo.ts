// Builds sunbeam-charms-shaped git repos in temp dirs: a small hand-written one for cases, a generated one for benches.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

function git(cwd: string, args: string[]): Promise<string> {
  const cfg = [
    "-c",
    "user.name=Synthetic",
    "-c",
    "user.email=synthetic@example.com",
    "-c",
    "commit.gpgsign=false",
  ];
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: "1" };
    delete env.GIT_DIR;
    delete env.GIT_WORK_TREE;
    execFile("git", [...cfg, ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`git ${args[0]}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

/** Every charm of the synthetic monorepo, sorted. */
export const SYNTHETIC_CHARMS = [
  "cinder-volume",
  "cinder-volume-ceph",
  "glance-k8s",
  "keystone-k8s",
  "nova-k8s",
  "placement-k8s",
  "sunbeam-libs",
  "widget-k8s",
];
/** Its Zuul jobs that build charms. */
export const SYNTHETIC_BUILD_JOBS = [
  "charm-build-bin-compute",
  "charm-build-bin-storage",
  "charm-build-glance-k8s",
  "charm-build-keystone-k8s",
];

export interface SyntheticRepo {
  /** Working tree. */
  dir: string;
  /** Commit sha of HEAD after the initial commit. */
  sha: string;
  /** Writes (string) or deletes (null) files, commits them, returns the new HEAD sha. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  /** Renames a file with `git mv`, commits, returns the new HEAD sha. */
  rename(from: string, to: string): Promise<string>;
  /** A bare clone (`git clone --bare`) in another temp dir; removed by cleanup(). */
  bareClone(): Promise<string>;
  cleanup(): void;
}

function writeTree(dir: string, files: Record<string, string | null>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) rmSync(full, { force: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
}

async function initRepo(files: Record<string, string | null>, prefix: string): Promise<SyntheticRepo> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const extra: string[] = [];
  await git(dir, ["init", "-q", "-b", "main"]);
  writeTree(dir, files);
  const commitAll = async (message: string) => {
    await git(dir, ["add", "-A"]);
    await git(dir, ["commit", "-q", "--allow-empty", "-m", message]);
    return (await git(dir, ["rev-parse", "HEAD"])).trim();
  };
  const sha = await commitAll("initial layout");
  return {
    dir,
    sha,
    commit: (changes, message = "change") => {
      writeTree(dir, changes);
      return commitAll(message);
    },
    rename: async (from, to) => {
      mkdirSync(dirname(join(dir, to)), { recursive: true });
      await git(dir, ["mv", from, to]);
      return commitAll(`rename ${from}`);
    },
    bareClone: async () => {
      const bare = mkdtempSync(join(tmpdir(), `${prefix}bare-`));
      extra.push(bare);
      await git(tmpdir(), ["clone", "-q", "--bare", dir, bare]);
      return bare;
    },
    cleanup: () => {
      for (const d of [dir, ...extra]) rmSync(d, { recursive: true, force: true });
    },
  };
}

const buildYaml = (o: { ext?: string[]; int?: string[]; tpl?: string[] }): string =>
  [
    o.ext?.length ? `external-libraries:\n${o.ext.map((e) => `  - ${e}`).join("\n")}\n` : "",
    o.int?.length ? `internal-libraries:\n${o.int.map((e) => `  - ${e}`).join("\n")}\n` : "",
    o.tpl?.length ? `templates:\n${o.tpl.map((e) => `  - ${e}`).join("\n")}\n` : "",
  ].join("") || "{}\n";

const ociCharmcraft = (name: string, resources: Record<string, string>): string =>
  `name: ${name}\ntype: charm\ncontainers:\n${Object.keys(resources)
    .map((r) => `  ${r.replace(/-image$/, "")}:\n    resource: ${r}\n`)
    .join("")}resources:\n${Object.entries(resources)
    .map(
      ([r, src]) => `  ${r}:\n    type: oci-image\n    description: OCI image\n    upstream-source: ${src}\n`,
    )
    .join("")}`;

function charmFiles(dir: string, name: string, build: string, charmcraft: string): Record<string, string> {
  return {
    [`${dir}/.sunbeam-build.yaml`]: build,
    [`${dir}/charmcraft.yaml`]: charmcraft,
    [`${dir}/rebuild`]: `# ${name}\n2f1b7c3e\n`,
    [`${dir}/src/charm.py`]: `# ${name} charm\n`,
    [`${dir}/tests/unit/test_charm.py`]: "def test():\n    pass\n",
  };
}

/** The hand-written synthetic monorepo: every case of monorepo.md in a few charms. */
export function syntheticFiles(): Record<string, string> {
  return {
    "ops-sunbeam/ops_sunbeam/__init__.py": "",
    "ops-sunbeam/ops_sunbeam/core.py": "# core\n",
    "ops-sunbeam/ops_sunbeam/test_utils.py": "# test helpers\n",
    "ops-sunbeam/pyproject.toml": "[project]\nname='ops-sunbeam'\n",
    ".jujuignore": "/venv\n",
    rebuild: "# change the uuid to rebuild every charm\n0b8e5d6c\n",
    "tox.ini": "[tox]\n",
    "repository.py": "# prepare / clean\n",
    "libs/external/lib/charms/data_platform_libs/v0/data_interfaces.py": "# dpl\n",
    "libs/external/lib/charms/tls_certificates_interface/v3/tls_certificates.py": "# tls\n",
    "templates/parts/section-database": "[database]\n",
    "templates/parts/identity-data": "[keystone_authtoken]\n",
    "templates/ceph.conf": "[global]\n",
    "tests/core/smoke.yaml": "applications: {}\n",
    ...charmFiles(
      "charms/keystone-k8s",
      "keystone-k8s",
      buildYaml({ ext: ["charms.data_platform_libs.v0.data_interfaces"], tpl: ["parts/identity-data"] }),
      ociCharmcraft("keystone-k8s", { "keystone-image": "ghcr.io/canonical/keystone:2024.1" }),
    ),
    "charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py": "# published by keystone\n",
    // glance: era-A job named after the charm without vars.charm; resources only in metadata.yaml.
    ...charmFiles(
      "charms/glance-k8s",
      "glance-k8s",
      buildYaml({
        ext: ["charms.data_platform_libs.v0.data_interfaces"],
        int: ["charms.keystone_k8s.v0.identity_service"],
        tpl: ["parts/section-database"],
      }),
      "name: glance-k8s\ntype: charm\n",
    ),
    "charms/glance-k8s/metadata.yaml": `name: glance-k8s\n${ociCharmcraft("glance-k8s", {
      "glance-api-image": "ghcr.io/canonical/glance-api:2024.1-24.04_edge",
    })
      .split("\n")
      .slice(2)
      .join("\n")}`,
    ...charmFiles(
      "charms/nova-k8s",
      "nova-k8s",
      buildYaml({ ext: ["charms.tls_certificates_interface.v3.tls_certificates"], tpl: ["parts"] }),
      ociCharmcraft("nova-k8s", {
        "nova-api-image": "ghcr.io/canonical/nova-consolidated:2024.1-24.04_edge",
        "nova-scheduler-image": "ghcr.io/canonical/nova-consolidated:2024.1-24.04_edge",
      }),
    ),
    ...charmFiles(
      "charms/placement-k8s",
      "placement-k8s",
      buildYaml({ int: ["charms.keystone_k8s.v0.identity_service"] }),
      ociCharmcraft("placement-k8s", { "placement-api-image": "ghcr.io/canonical/placement-api:2024.1" }),
    ),
    ...charmFiles(
      "charms/cinder-volume",
      "cinder-volume",
      buildYaml({}),
      "name: cinder-volume\ntype: charm\n",
    ),
    "charms/cinder-volume/lib/charms/cinder_volume/v0/cinder_volume.py": "# published by cinder-volume\n",
    ...charmFiles(
      "charms/storage/cinder-volume-ceph",
      "cinder-volume-ceph",
      buildYaml({ int: ["charms.cinder_volume.v0.cinder_volume"], tpl: ["ceph.conf"] }),
      "name: cinder-volume-ceph\ntype: charm\n",
    ),
    ...charmFiles("charms/sunbeam-libs", "sunbeam-libs", buildYaml({}), "name: sunbeam-libs\ntype: charm\n"),
    "charms/sunbeam-libs/lib/charms/sunbeam_libs/v0/service_readiness.py": "# lib only\n",
    // A charm not wired into Zuul yet.
    ...charmFiles(
      "charms/widget-k8s",
      "widget-k8s",
      buildYaml({ int: ["charms.sunbeam_libs.v0.service_readiness"] }),
      "name: widget-k8s\n",
    ),
    "zuul.d/jobs.yaml": ZUUL_JOBS,
    "zuul.d/project-templates.yaml": ZUUL_TEMPLATES,
    "zuul.d/zuul.yaml": ZUUL_PROJECT,
    "zuul.d/secrets.yaml": ZUUL_SECRETS,
  };
}

const ZUUL_JOBS = `- job:
    name: charm-build
    abstract: true
    run: playbooks/charm/build.yaml
- job:
    name: charm-build-keystone-k8s
    parent: charm-build
    files: [ops-sunbeam/ops_sunbeam/, charms/keystone-k8s/, rebuild]
    vars:
      charm: keystone-k8s
- job:
    name: charm-build-glance-k8s
    parent: charm-build
    files:
      - ops-sunbeam/ops_sunbeam/
      - charms/glance-k8s/
      - rebuild
- job:
    name: charm-build-bin
    abstract: true
    parent: charm-build
    match-on-config-updates: false
    irrelevant-files:
      - ops-sunbeam/ops_sunbeam/test_.*\\.py
- job:
    name: charm-build-bin-compute
    parent: charm-build-bin
    files: [ops-sunbeam/ops_sunbeam/, charms/nova-k8s/, charms/placement-k8s/, rebuild]
    vars:
      charm_builds:
        - {name: nova-k8s, path: nova-k8s}
        - {name: placement-k8s, path: placement-k8s}
- job:
    name: charm-build-bin-storage
    parent: charm-build-bin
    files: [ops-sunbeam/ops_sunbeam/, charms/cinder-volume/, charms/storage/cinder-volume-ceph/, rebuild]
    vars:
      charm_builds:
        - {name: cinder-volume, path: cinder-volume}
        - {name: cinder-volume-ceph, path: storage/cinder-volume-ceph}
- job:
    name: func-test-core
    run: playbooks/func-test.yaml
    dependencies:
      - name: charm-build-keystone-k8s
        soft: true
    files: [charms/keystone-k8s/, charms/glance-k8s/, tests/core/, rebuild]
    irrelevant-files: ops-sunbeam/ops_sunbeam/test_.*\\.py
- job:
    name: func-test-unused
    files: [templates/]
`;

const ZUUL_TEMPLATES = `- project-template:
    name: sunbeam-charm-build-jobs
    check:
      fail-fast: true
      jobs:
        - charm-build-keystone-k8s
        - charm-build-glance-k8s:
            nodeset: ubuntu-noble
        - charm-build-bin-compute
        - charm-build-bin-storage
    gate:
      jobs:
        - charm-build-keystone-k8s
`;

const ZUUL_PROJECT = `- project:
    templates:
      - openstack-python3-jobs
      - sunbeam-charm-build-jobs
    check:
      jobs:
        - openstack-tox-linters
        - func-test-core:
            voting: false
    vars:
      publish_channels:
        keystone-k8s: 2024.1/edge
`;

const ZUUL_SECRETS = `- secret:
    name: charmhub_token
    data:
      value: !encrypted/pkcs1-oaep
        - bWFkZS11cCBjaXBoZXJ0ZXh0IGNodW5rIG9uZQ==
        - bWFkZS11cCBjaXBoZXJ0ZXh0IGNodW5rIHR3bw==
      short: !encrypted/pkcs1-oaep c2hvcnQ=
`;

export function createSyntheticMonorepo(): Promise<SyntheticRepo> {
  return initRepo(syntheticFiles(), "sunbeam-synth-");
}

export interface GeneratedRepo {
  /** A bare git dir (the model reads through git only). */
  dir: string;
  sha: string;
  files: number;
  cleanup(): void;
}

/**
 * A generated n-charm monorepo for benchmarks: bins of 10 (every 10th charm under charms/storage/),
 * an era-A job for every 20th charm, func-test jobs over 25 charms each, libs, templates, internal libs.
 * One commit made with `git fast-import` straight into a bare repo: writing thousands of files to disk
 * and `git add`-ing them takes tens of seconds on slow file systems, a pack takes well under one.
 */
export async function generateMonorepo(n: number): Promise<GeneratedRepo> {
  const files: Record<string, string> = {
    "ops-sunbeam/ops_sunbeam/core.py": "",
    "ops-sunbeam/ops_sunbeam/test_utils.py": "",
    ".jujuignore": "",
    rebuild: "0\n",
    "zuul.d/secrets.yaml": ZUUL_SECRETS,
  };
  for (let i = 0; i < 20; i++) files[`libs/external/lib/charms/ext${i}/v0/mod.py`] = "";
  for (let i = 0; i < 10; i++) files[`templates/parts/t${i}`] = "";
  const charms = Array.from({ length: n }, (_, i) => {
    const name = `c${String(i).padStart(4, "0")}-k8s`;
    return { name, path: i % 10 === 9 ? `storage/${name}` : name };
  });
  const jobs: string[] = [
    "- job:\n    name: charm-build-bin\n    abstract: true\n    irrelevant-files:\n      - ops-sunbeam/ops_sunbeam/test_.*\\.py\n",
  ];
  const check: string[] = ["openstack-tox-linters"];
  charms.forEach((c, i) => {
    const owner = charms[i - 1];
    Object.assign(
      files,
      charmFiles(
        `charms/${c.path}`,
        c.name,
        buildYaml({
          ext: [`charms.ext${i % 20}.v0.mod`, `charms.ext${(i * 7) % 20}.v0.mod`],
          int: owner ? [`charms.${owner.name.replace(/-/g, "_")}.v0.lib`] : [],
          tpl: [`parts/t${i % 10}`],
        }),
        ociCharmcraft(c.name, { [`${c.name}-image`]: `ghcr.io/canonical/${c.name}:2024.1-24.04_edge` }),
      ),
    );
    files[`charms/${c.path}/lib/charms/${c.name.replace(/-/g, "_")}/v0/lib.py`] = "";
    if (i % 20 === 0) {
      jobs.push(
        `- job:\n    name: charm-build-${c.name}\n    files: [ops-sunbeam/ops_sunbeam/, charms/${c.path}/, rebuild]\n    vars: {charm: ${c.name}}\n`,
      );
      check.push(`charm-build-${c.name}`);
    }
  });
  for (let b = 0; b * 10 < n; b++) {
    const members = charms.slice(b * 10, b * 10 + 10);
    jobs.push(
      `- job:\n    name: charm-build-bin-${b}\n    parent: charm-build-bin\n    files:\n${[
        "ops-sunbeam/ops_sunbeam/",
        ...members.map((m) => `charms/${m.path}/`),
        "rebuild",
      ]
        .map((f) => `      - ${f}\n`)
        .join("")}    vars:\n      charm_builds:\n${members
        .map((m) => `        - {name: ${m.name}, path: ${m.path}}\n`)
        .join("")}`,
    );
    check.push(`charm-build-bin-${b}`);
  }
  for (let f = 0; f * 25 < n; f++) {
    const members = charms.slice(f * 25, f * 25 + 25);
    jobs.push(
      `- job:\n    name: func-test-${f}\n    irrelevant-files: ['ops-sunbeam/ops_sunbeam/test_.*\\.py']\n    files:\n${[
        ...members.map((m) => `charms/${m.path}/`),
        `tests/suite${f}/`,
        "rebuild",
      ]
        .map((x) => `      - ${x}\n`)
        .join("")}`,
    );
    check.push(`func-test-${f}`);
  }
  files["zuul.d/jobs.yaml"] = jobs.join("");
  files["zuul.d/zuul.yaml"] =
    `- project:\n    check:\n      jobs:\n${check.map((j) => `        - ${j}\n`).join("")}`;
  const dir = mkdtempSync(join(tmpdir(), "sunbeam-gen-"));
  await git(dir, ["init", "-q", "--bare", "-b", "main"]);
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const script = [
    "commit refs/heads/main\n",
    "committer Synthetic <synthetic@example.com> 1700000000 +0000\n",
    data(`generated ${n}-charm monorepo`),
    ...Object.entries(files).map(([path, text]) => `M 100644 inline ${path}\n${data(text)}`),
    "done\n",
  ].join("");
  await new Promise<void>((resolve, reject) => {
    const child = execFile("git", ["fast-import", "--quiet", "--done"], { cwd: dir }, (err) =>
      err ? reject(err) : resolve(),
    );
    child.stdin?.end(script);
  });
  const sha = (await git(dir, ["rev-parse", "refs/heads/main"])).trim();
  return {
    dir,
    sha,
    files: Object.keys(files).length,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
