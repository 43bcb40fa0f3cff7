// Zuul config parsing and file-matcher semantics (zuul/change_matcher.py), and the indexed query vs the naive one.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { affected, naiveAffected } from "../../../src/features/affected/affected.js";
import { assembleModel } from "../../../src/integrations/monorepo/monorepo.js";
import {
  compilePattern,
  jobRuns,
  jobRunsOnBranch,
  literalPrefix,
  parseZuulConfig,
  patternMatches,
  re2Problem,
  type FilePattern,
} from "../../../src/integrations/monorepo/zuul.js";
import { syntheticFiles } from "../../helpers/synthetic-monorepo.js";

const LAYOUT = { checkPipeline: "check" };
const pats = (...regex: string[]) => regex.map((r) => compilePattern({ regex: r }));
const m = (regex: string, path: string, negate = false) =>
  patternMatches(compilePattern({ regex, negate }), path);

describe("pattern matching", () => {
  it("anchors at the start of the path only (re.match)", () => {
    expect(m("charms/nova-k8s/", "charms/nova-k8s/src/charm.py")).toBe(true);
    expect(m("charms/nova-k8s/", "x/charms/nova-k8s/src/charm.py")).toBe(false);
    expect(m("rebuild", "rebuild-foo")).toBe(true);
    expect(m("rebuild", "charms/x/rebuild")).toBe(false);
    expect(m("ops-sunbeam/ops_sunbeam/test_.*\\.py", "ops-sunbeam/ops_sunbeam/test_utils.py")).toBe(true);
    expect(m("ops-sunbeam/ops_sunbeam/test_.*\\.py", "ops-sunbeam/ops_sunbeam/core.py")).toBe(false);
    expect(m("charms/keystone-k8s/*", "charms/keystone-k8sfoo/x")).toBe(true); // `/*` is "zero or more slashes"
    expect(m(".*\\.rst$", "doc/index.rst")).toBe(true);
    expect(m("^tox.ini$", "tox.ini")).toBe(true);
  });

  it("translates Python/RE2 spellings", () => {
    expect(m("(?i)CHARMS/", "charms/x")).toBe(true);
    expect(m("(?P<top>charms)/", "charms/x")).toBe(true);
    expect(m("docs/\\Z", "docs/")).toBe(true);
    expect(m("docs/\\Z", "docs/x")).toBe(false);
    expect(m("\\Adocs/", "docs/x")).toBe(true);
  });

  it("supports negated matchers and never matches with an invalid regex", () => {
    expect(m("charms/", "tox.ini", true)).toBe(true);
    expect(m("charms/", "charms/x", true)).toBe(false);
    expect(compilePattern({ regex: "charms/(" }).re).toBeNull();
    expect(m("charms/(", "charms/(")).toBe(false);
  });

  it("computes the literal prefix used to bucket regexes", () => {
    expect(literalPrefix("charms/nova-k8s/")).toEqual({ literal: "charms/nova-k8s/", pure: true });
    expect(literalPrefix("^rebuild")).toEqual({ literal: "rebuild", pure: true });
    expect(literalPrefix("\\.zuul\\.yaml")).toEqual({ literal: ".zuul.yaml", pure: true });
    expect(literalPrefix("ops-sunbeam/ops_sunbeam/test_.*\\.py")).toEqual({
      literal: "ops-sunbeam/ops_sunbeam/test_",
      pure: false,
    });
    expect(literalPrefix("charms/keystone-k8s/*")).toEqual({ literal: "charms/keystone-k8s", pure: false });
    expect(literalPrefix("charms/a?")).toEqual({ literal: "charms/", pure: false });
    expect(literalPrefix("foo+bar")).toEqual({ literal: "foo", pure: false });
    expect(literalPrefix("charms/a/|charms/b/")).toEqual({ literal: "", pure: false });
    expect(literalPrefix("\\d+/x")).toEqual({ literal: "", pure: false });
    expect(compilePattern({ regex: "(?i)Charms/" }).literal).toBe("");
    expect(compilePattern({ regex: "charms/", negate: true }).literal).toBe("");
  });

  it("flags syntax RE2 (and so Zuul) rejects", () => {
    expect(re2Problem("charms/(?!sunbeam-libs)")).toBe("lookaround");
    expect(re2Problem("(?<=x)y")).toBe("lookaround");
    expect(re2Problem("(a)\\1")).toBe("a backreference");
    expect(re2Problem("(?P<n>a)(?P=n)")).toBe("a named backreference");
    expect(re2Problem("(?>a)")).toBe("an atomic group");
    expect(re2Problem("a*+")).toBe("a possessive quantifier");
    expect(re2Problem("[(?=]x")).toBeUndefined();
    expect(re2Problem("\\(?=x")).toBeUndefined();
    expect(re2Problem("(?P<name>x)(?i:y)")).toBeUndefined();
    expect(re2Problem("ops-sunbeam/ops_sunbeam/test_.*\\.py")).toBeUndefined();
  });
});

describe("jobRuns (files / irrelevant-files)", () => {
  const files = pats("charms/a/", "rebuild");
  const irr = pats("ops-sunbeam/ops_sunbeam/test_.*\\.py", ".*\\.md$");

  it("runs when no matcher is set", () => {
    expect(jobRuns(["anything"], null, null)).toBe(true);
  });
  it("needs one file matching `files`", () => {
    expect(jobRuns(["charms/b/x", "charms/a/y"], files, null)).toBe(true);
    expect(jobRuns(["charms/b/x"], files, null)).toBe(false);
  });
  it("is skipped only when every file is irrelevant", () => {
    expect(jobRuns(["ops-sunbeam/ops_sunbeam/test_x.py", "README.md"], null, irr)).toBe(false);
    expect(jobRuns(["ops-sunbeam/ops_sunbeam/test_x.py", "charms/a/x"], files, irr)).toBe(true);
    expect(jobRuns(["ops-sunbeam/ops_sunbeam/test_x.py"], files, irr)).toBe(false);
  });
  it("runs everything when no file is left (a change of only /COMMIT_MSG)", () => {
    expect(jobRuns([], files, irr)).toBe(true);
  });
  it("treats an empty `files` list as set: nothing matches it", () => {
    expect(jobRuns(["charms/a/x"], [], null)).toBe(false);
    expect(jobRuns(["charms/a/x"], null, [])).toBe(true);
  });
});

describe("parseZuulConfig", () => {
  const jobs = `- job:
    name: base-build
    abstract: true
    irrelevant-files: 'docs/.*'
    vars: {charm_builds: [{name: a, path: a}]}
- job:
    name: build-a
    parent: base-build
    files: charms/a/
- job:
    name: build-b
    parent: base-build
    files: [charms/b/]
    irrelevant-files: []
    vars:
      charm: b
- job:
    name: loop-1
    parent: loop-2
- job:
    name: loop-2
    parent: loop-1
- job:
    name: unused
    files: ['(?!x)']
- job:
    name: from-elsewhere
    parent: openstack-tox
`;
  const project = `- project-template:
    name: tpl
    check:
      jobs:
        - build-a
        - build-b: {files: [charms/b/, shared/]}
- project:
    templates: [tpl, external-template]
    check:
      jobs:
        - from-elsewhere
        - build-b:
            voting: false
        - loop-1
    gate:
      jobs: [gate-only]
`;
  const secrets = `- secret:
    name: s
    data:
      token: !encrypted/pkcs1-oaep
        - AAAA
        - BBBB
      other: !encrypted/pkcs1-oaep CCCC
      templated: !unsafe '{{ not a zuul tag }}'
`;
  const model = parseZuulConfig(
    [
      { path: "zuul.d/jobs.yaml", text: jobs },
      { path: "zuul.d/project.yaml", text: project },
      { path: "zuul.d/secrets.yaml", text: secrets },
    ],
    LAYOUT,
  );
  const byName = Object.fromEntries(model.pipelineJobs.map((j) => [j.name, j]));
  const regex = (p: FilePattern[] | null) => p?.map((x) => x.regex) ?? null;

  it("lists the check pipeline's jobs from the project and its templates, sorted", () => {
    expect(model.pipelineJobs.map((j) => j.name)).toEqual(["build-a", "build-b", "from-elsewhere", "loop-1"]);
    expect(model.templates).toEqual(["tpl", "external-template"]);
    expect(model.external).toEqual(["external-template", "openstack-tox"]);
  });

  it("inherits matchers and vars through parent unless the child sets them; string or list", () => {
    expect(regex(byName["build-a"]?.files ?? null)).toEqual(["charms/a/"]);
    expect(regex(byName["build-a"]?.irrelevantFiles ?? null)).toEqual(["docs/.*"]);
    expect(byName["build-a"]?.charmBuilds).toEqual([{ name: "a", path: "a" }]);
    expect(byName["build-a"]?.abstract).toBe(false);
    expect(model.jobs["base-build"]?.abstract).toBe(true);
    expect(byName["build-b"]?.charm).toBe("b");
    expect(regex(byName["build-b"]?.irrelevantFiles ?? null)).toEqual([]);
  });

  it("applies pipeline variants on top of the job", () => {
    expect(regex(byName["build-b"]?.files ?? null)).toEqual(["charms/b/", "shared/"]);
    expect(model.jobs["build-b"]?.files?.map((p) => p.regex)).toEqual(["charms/b/"]);
  });

  it("treats jobs defined elsewhere as matcher-less", () => {
    expect(byName["from-elsewhere"]).toMatchObject({ defined: true, files: null, irrelevantFiles: null });
  });

  it("reports cycles and RE2 problems without throwing, and tolerates !encrypted and unknown tags", () => {
    expect(model.problems.some((p) => p.includes("inheritance cycle"))).toBe(true);
    expect(model.problems.some((p) => p.includes("unused") && p.includes("lookaround"))).toBe(true);
    expect(model.problems.some((p) => p.includes("secrets"))).toBe(false);
  });

  it("reports broken YAML as a problem", () => {
    const bad = parseZuulConfig([{ path: "zuul.d/x.yaml", text: "- job: [\n" }], LAYOUT);
    expect(bad.pipelineJobs).toEqual([]);
    expect(bad.problems[0]).toMatch(/zuul.d\/x.yaml: YAML error/);
  });
});

describe("indexed query equals the naive baseline", () => {
  const files = syntheticFiles();
  const model = assembleModel("0".repeat(40), Object.keys(files).sort(), new Map(Object.entries(files)));
  const paths = [
    ...Object.keys(files),
    "/COMMIT_MSG",
    "/MERGE_LIST",
    "rebuild-notes",
    "ops-sunbeam/ops_sunbeam/test_new.py",
    "templates/parts/new-part",
    "charms/new-charm/src/charm.py",
    "charms/storage/other/x",
    "doc/index.rst",
  ];

  it("on any set of changed paths", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom(...paths), { maxLength: 6 }), (changed) => {
        expect(affected(model, changed)).toEqual(naiveAffected(model, changed));
      }),
      { numRuns: 300 },
    );
  });

  it("on random paths", () => {
    const segment = fc.constantFrom(
      "charms",
      "storage",
      "ops-sunbeam",
      "ops_sunbeam",
      "templates",
      "parts",
      "x",
    );
    const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join("/"));
    fc.assert(
      fc.property(fc.array(path, { maxLength: 5 }), (changed) => {
        expect(affected(model, changed)).toEqual(naiveAffected(model, changed));
      }),
      { numRuns: 300 },
    );
  });
});

describe("branch matchers", () => {
  // The shape of sunbeam-charms' zuul.d: openstack-python3-sunbeam-jobs restricts py310 and py312 by branch
  // (project-templates.yaml), openstack-cover-jobs comes from openstack-zuul-jobs (not in the repo).
  const templates = `- project-template:
    name: openstack-python3-sunbeam-jobs
    check:
      jobs:
        - openstack-tox-linters
        - openstack-tox-pep8
        - openstack-tox-py310:
            branches:
              - stable/2023.1
              - stable/2023.2
        - openstack-tox-py312:
            branches: main
`;
  const jobs = `- job:
    name: charm-build-keystone-k8s
    files: [ops-sunbeam/ops_sunbeam/, charms/keystone-k8s/, rebuild]
- job:
    name: publish-only-stable
    branches: {regex: ^main$, negate: true}
- job:
    name: two-variants
    branches: stable/2024.1
- job:
    name: two-variants
    branches: [stable/2025.1]
`;
  const project = `- project:
    templates: [openstack-python3-sunbeam-jobs, openstack-cover-jobs]
    check:
      jobs:
        - charm-build-keystone-k8s
        - publish-only-stable
        - two-variants
        - func-test-tempest:
            voting: false
`;
  const model = parseZuulConfig(
    [
      { path: "zuul.d/project-templates.yaml", text: templates },
      { path: "zuul.d/jobs.yaml", text: jobs },
      { path: "zuul.d/zuul.yaml", text: project },
    ],
    LAYOUT,
  );
  const on = (branch: string) =>
    model.pipelineJobs.filter((j) => jobRunsOnBranch(j, branch)).map((j) => j.name);

  it("leaves out on main what a template entry or a job definition restricts to other branches", () => {
    expect(on("main")).toEqual([
      "charm-build-keystone-k8s",
      "func-test-tempest",
      "openstack-tox-linters",
      "openstack-tox-pep8",
      "openstack-tox-py312",
    ]);
    expect(model.external).toContain("openstack-cover-jobs");
  });

  it("honours lists, {regex, negate} and several definitions on stable branches", () => {
    expect(on("stable/2023.1")).toEqual([
      "charm-build-keystone-k8s",
      "func-test-tempest",
      "openstack-tox-linters",
      "openstack-tox-pep8",
      "openstack-tox-py310",
      "publish-only-stable",
    ]);
    expect(on("stable/2024.1")).toContain("two-variants");
    expect(on("stable/2025.1")).toContain("two-variants");
    expect(on("stable/2023.2")).not.toContain("two-variants");
  });
});
