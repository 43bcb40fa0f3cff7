// Unit tests of the debug-info checklist: loading and validation, every id's rules, implications, skip rules.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse as parseYamlText } from "yaml";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/core/config-load.js";
import {
  BugInputSchema,
  defaultChecklistPath,
  evaluate,
  loadChecklist,
  parseChecklist,
  type BugForTriage,
} from "../../../src/features/triage/checklist.js";

const cl = loadChecklist();
const ORDER = [
  "snap_version",
  "os_release",
  "deployment",
  "steps",
  "error_output",
  "juju_status",
  "sunbeam_logs",
  "diag_bundle",
  "manifest",
];

function bug(over: Partial<BugForTriage> = {}): BugForTriage {
  return { title: "Something broke", description: "", tags: [], attachments: [], ...over };
}
/** The verdict for a description (and attachments), title neutral. */
function check(description: string, attachments: string[] = []) {
  return evaluate(cl, bug({ description, attachments }));
}
const has = (description: string, id: string, attachments: string[] = []): boolean =>
  check(description, attachments).present.includes(id);

const SNAP_LIST = `Name       Version  Rev  Tracking       Publisher   Notes
openstack  2024.1   599  2024.1/stable  canonical✓  -`;
const JUJU_STATUS = `Model      Controller          Cloud/Region                Version  SLA          Timestamp
openstack  sunbeam-controller  sunbeam-microk8s/localhost  3.5.4    unsupported  10:12:01Z

App       Version  Status   Scale  Charm         Channel        Rev  Address        Exposed  Message
keystone           waiting      1  keystone-k8s  2024.1/stable  213  10.152.183.90  no       installing agent

Unit         Workload  Agent  Address    Ports  Message
keystone/0*  error     idle   10.1.0.23         hook failed: "identity-service-relation-changed"`;
const LOG_LINES = `12:34:56,789 sunbeam.commands.bootstrap DEBUG Starting bootstrap
12:34:57,001 sunbeam.jobs.juju INFO Bootstrapping Juju
12:40:01,342 sunbeam.jobs.juju ERROR Timed out waiting for model openstack`;

describe("the bundled checklist", () => {
  it("has the contract's ten ids, kinds and missing order", () => {
    expect(cl.items.map((i) => i.id).sort()).toEqual([...ORDER, "k8s_inspect"].sort());
    expect(cl.data.order).toEqual(ORDER);
    expect(cl.byId.get("manifest")?.kind).toBe("conditional");
    expect(cl.byId.get("k8s_inspect")?.kind).toBe("advisory");
    expect(cl.byId.get("diag_bundle")?.implies).toEqual(["juju_status", "sunbeam_logs"]);
  });

  it("is found under the package root (works from src/ and dist/src/) and loaded once", () => {
    expect(defaultChecklistPath()).toMatch(/src[\\/]features[\\/]triage[\\/]default-checklist\.yaml$/);
    expect(loadChecklist()).toBe(cl);
  });

  it("asks for each missing item with a command, and never for `sunbeam inspect`", () => {
    for (const item of cl.items) {
      const words = [item.prompt.text, ...item.prompt.commands].join("\n");
      expect(words).not.toMatch(/sunbeam\s+inspect/i);
      if (item.id !== "error_output") expect(item.prompt.commands.length).toBeGreaterThan(0);
    }
    expect(cl.byId.get("diag_bundle")?.prompt.commands).toContain(
      "sudo sos report -k sunbeam.juju-allow-login=True",
    );
    expect(cl.byId.get("juju_status")?.prompt.commands).toEqual([
      "sunbeam utils juju-login",
      "juju status -m openstack",
      "juju status -m openstack-machines",
    ]);
    expect(cl.byId.get("snap_version")?.prompt.commands).toEqual(["snap list openstack"]);
  });
});

describe("checklist validation", () => {
  const base = (): Record<string, unknown> =>
    parseYamlText(readFileSync(defaultChecklistPath(), "utf8")) as Record<string, unknown>;
  const problems = (doc: unknown) => {
    try {
      parseChecklist(doc, "test.yaml");
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it("lists every problem at once, each with its path", () => {
    const doc = base();
    const items = doc.items as Record<string, Record<string, unknown>>;
    items.steps!.satisfiedBy = [{ text: "(unclosed", flags: "m" }];
    items.os_release!.kind = "mandatory";
    items.juju_status!.colour = "blue";
    items.diag_bundle!.prompt = { text: "Please run sunbeam inspect and attach the tarball", commands: [] };
    items.sunbeam_logs!.satisfiedBy = [{ attachment: "x", min: 3 }];
    items.deployment!.satisfiedBy = [{ text: "x", flags: "gx" }];
    const p = problems(doc);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: "items.steps.satisfiedBy.0.text",
          message: expect.stringMatching(/invalid regex/),
        }),
        expect.objectContaining({ path: "items.os_release.kind" }),
        expect.objectContaining({ path: "items.juju_status.colour", message: "unknown key" }),
        expect.objectContaining({
          path: "items.diag_bundle.prompt.text",
          message: expect.stringMatching(/removed/),
        }),
        expect.objectContaining({ path: "items.sunbeam_logs.satisfiedBy.0.min" }),
        expect.objectContaining({ path: "items.deployment.satisfiedBy.0.flags" }),
      ]),
    );
    expect(p).toHaveLength(6);
  });

  it("checks references: order and implications", () => {
    const doc = base();
    doc.order = (doc.order as string[])
      .filter((id) => id !== "manifest")
      .concat(["k8s_inspect", "nope", "steps"]);
    (doc.items as Record<string, Record<string, unknown>>).diag_bundle!.implies = ["juju_status", "logs"];
    const p = problems(doc);
    expect(p).toEqual([
      expect.objectContaining({
        path: "order.8",
        message: "advisory items never block",
        value: "k8s_inspect",
      }),
      expect.objectContaining({ path: "order.9", value: "nope" }),
      expect.objectContaining({ path: "order.10", message: "listed twice", value: "steps" }),
      expect.objectContaining({ path: "items.diag_bundle.implies.1", value: "logs" }),
      expect.objectContaining({ path: "order", message: "must list conditional item manifest" }),
    ]);
  });

  it("a conditional item needs a when rule", () => {
    const doc = base();
    delete (doc.items as Record<string, Record<string, unknown>>).manifest!.when;
    expect(problems(doc)).toEqual([expect.objectContaining({ path: "items.manifest.when" })]);
  });

  it("loads a team's own file, and reports an unreadable one as a config problem", () => {
    const dir = mkdtempSync(join(tmpdir(), "checklist-"));
    const file = join(dir, "mine.yaml");
    const doc = base();
    (doc.messages as Record<string, string>).intro = "Hello from our team.";
    writeFileSync(file, JSON.stringify(doc)); // JSON is YAML
    expect(loadChecklist(file).data.messages.intro).toBe("Hello from our team.");
    expect(() => loadChecklist(join(dir, "absent.yaml"))).toThrow(
      /cannot read the checklist file \(ENOENT\)/,
    );
  });
});

describe("snap_version", () => {
  it("is satisfied by a snap list row, snap info, or channel and revision in prose", () => {
    expect(has(SNAP_LIST, "snap_version")).toBe(true);
    expect(has("tracking:     2024.1/stable\ninstalled:    2024.1   (599) 1GB -", "snap_version")).toBe(true);
    expect(evaluate(cl, bug({ title: "2024.1/stable rev 599: bootstrap hangs" })).present).toContain(
      "snap_version",
    );
    expect(has("openstack snap latest/edge, revision: 640", "snap_version")).toBe(true);
  });
  it("a channel without a revision is partial and missing", () => {
    const v = check("I installed openstack from 2024.1/stable yesterday");
    expect(v.missing).toContain("snap_version");
    expect(v.partial).toContain("snap_version");
    expect(check("tracking: 2024.1/stable").partial).toContain("snap_version");
  });
  it("is not satisfied by a revision alone or a version number", () => {
    const v = check("openstack snap rev 599, sunbeam 2024.1");
    expect(v.missing).toContain("snap_version");
    expect(v.partial).not.toContain("snap_version");
  });
});

describe("os_release", () => {
  it.each([
    "Ubuntu 24.04.1 LTS",
    "ubuntu server 22.04",
    "on noble",
    'VERSION_ID="24.04"',
    "Description:\tUbuntu 22.04.4 LTS",
  ])("is satisfied by %j", (text) => expect(has(text, "os_release")).toBe(true));
  it.each(["on Ubuntu", "Ubuntu 24", "jammyx", "noblest", "version_id=24.04"])("not by %j", (text) =>
    expect(has(text, "os_release")).toBe(false),
  );
});

describe("deployment", () => {
  it.each([
    "single node",
    "multi-node",
    "3-node cluster",
    "three node",
    "MAAS provider",
    "sunbeam cluster add n2",
    "--role compute",
    "control,compute",
  ])("is satisfied by %j", (text) => expect(has(text, "deployment")).toBe(true));
  it.each(["I deployed sunbeam on my server", "sunbeam cluster bootstrap", "a nodejs app"])(
    "not by %j",
    (text) => expect(has(text, "deployment")).toBe(false),
  );
});

describe("steps", () => {
  it("is satisfied by a phrase, two numbered lines, or two command lines", () => {
    expect(has("Steps to reproduce: deploy", "steps")).toBe(true);
    expect(has("Steps:\nrun it", "steps")).toBe(true);
    expect(has("1. install the snap\n2) bootstrap", "steps")).toBe(true);
    expect(has("$ sudo snap install openstack\n$ sunbeam prepare-node-script", "steps")).toBe(true);
    expect(
      has("sudo snap install openstack --channel 2024.1/stable\nsunbeam cluster bootstrap", "steps"),
    ).toBe(true);
    expect(has("juju status -m openstack\nopenstack server list", "steps")).toBe(true);
  });
  // Was: one command line was not enough. A single failing command is "the commands run" (issue 14).
  it("one action command is enough; one numbered line, status tables and snap-list rows are not", () => {
    expect(has("1. it fails", "steps")).toBe(false);
    expect(has("$ sunbeam cluster bootstrap", "steps")).toBe(true);
    expect(has("$ juju status\n# snap list openstack", "steps")).toBe(false);
    expect(has(`${SNAP_LIST}\n${JUJU_STATUS}`, "steps")).toBe(false);
  });
});

describe("error_output", () => {
  it.each([
    "Traceback (most recent call last):\n  File x",
    "Error: Command failed",
    "ERROR unable to connect",
    "raised ValueException",
    'hook failed: "install"',
    "Timed out while waiting",
    "returned non-zero exit status 1",
    "Actual result: nothing",
    "expected behavior: works",
    // was a negative example; snapd prints its errors in lower case (issue 14)
    "error: cannot perform the following tasks:",
  ])("is satisfied by %j", (text) => expect(has(text, "error_output")).toBe(true));
  it.each(["it fails with an error", "it timed out", "something failed"])("not by prose %j", (text) =>
    expect(has(text, "error_output")).toBe(false),
  );
  it("screenshots alone are partial", () => {
    const v = check("see screenshot", ["Screenshot from 2024-10-02 14-21-07.png", "err.JPG"]);
    expect(v.missing).toContain("error_output");
    expect(v.partial).toEqual(["error_output"]);
  });
});

describe("juju_status", () => {
  it("is satisfied by a pasted table (any of its headers) or a juju-status file", () => {
    expect(has(JUJU_STATUS, "juju_status")).toBe(true);
    expect(has("  Unit    Workload  Agent  Machine", "juju_status")).toBe(true);
    expect(has("see attached", "juju_status", ["juju_status_openstack.txt"])).toBe(true);
    expect(has("see attached", "juju_status", ["juju-status.yaml"])).toBe(true);
  });
  it("merely mentioning juju status does not count", () => {
    expect(has("I ran juju status and all units are active", "juju_status")).toBe(false);
    expect(has("see attached", "juju_status", ["juju-status.png"])).toBe(false);
  });
});

describe("sunbeam_logs", () => {
  it("is satisfied by a log file or three pasted log lines", () => {
    expect(has("", "sunbeam_logs", ["sunbeam-20241001-101500.123456.log"])).toBe(true);
    expect(has("", "sunbeam_logs", ["my sunbeam bootstrap.log"])).toBe(true);
    expect(has(LOG_LINES, "sunbeam_logs")).toBe(true);
  });
  it("two pasted lines or an unrelated log are not enough", () => {
    expect(has(LOG_LINES.split("\n").slice(0, 2).join("\n"), "sunbeam_logs")).toBe(false);
    expect(has("", "sunbeam_logs", ["syslog.log", "sunbeam-20241001.txt"])).toBe(false);
  });
});

describe("diag_bundle and its implications", () => {
  it.each([
    "sosreport-node1-2024-10-01-hxtfwmz.tar.xz",
    "sos-collector-cluster-2024-10-01.tar.gz",
    "sunbeam-inspection-report-20240515_101010.tar.gz",
    "path/to/sosreport-n2-x.tar.bz2",
  ])("%s is a bundle that also covers juju_status and sunbeam_logs", (file) => {
    const v = check("", [file]);
    expect(v.present).toEqual(expect.arrayContaining(["juju_status", "sunbeam_logs", "diag_bundle"]));
    expect(v.present).not.toContain("k8s_inspect");
  });
  it("other archives are not bundles, and juju status or logs do not imply a bundle", () => {
    expect(
      has("", "diag_bundle", ["inspection-report-20240515_101010.tar.gz", "sosreport.txt", "logs.tar.xz"]),
    ).toBe(false);
    const v = check(`${JUJU_STATUS}\n${LOG_LINES}`);
    expect(v.present).toEqual(expect.arrayContaining(["juju_status", "sunbeam_logs"]));
    expect(v.missing).toContain("diag_bundle");
  });
  it("a bundle does not replace os_release and snap_version as text", () => {
    const v = check("", ["sosreport-node1-x.tar.xz"]);
    expect(v.missing).toEqual(expect.arrayContaining(["snap_version", "os_release"]));
  });
});

describe("manifest (conditional) and k8s_inspect (advisory)", () => {
  it("manifest is required only when the text mentions one", () => {
    expect(check("nothing about it").missing).not.toContain("manifest");
    expect(check("sunbeam cluster bootstrap --manifest ~/m.yaml").missing).toContain("manifest");
    expect(check("sunbeam cluster bootstrap -m my.yml").missing).toContain("manifest");
    expect(check("I used a custom Manifest").missing).toContain("manifest");
  });
  it("manifest is satisfied by a YAML attachment or pasted YAML", () => {
    expect(check("--manifest m.yaml", ["manifest-redacted.yaml"]).missing).not.toContain("manifest");
    expect(check("my manifest:\ndeployment:\n  proxy:\n    proxy_required: false").present).toContain(
      "manifest",
    );
    expect(check("my manifest:\nsoftware:\n  charms: {}").present).toContain("manifest");
    expect(check("my manifest: deployment: yes").missing).toContain("manifest");
  });
  it("k8s_inspect: an inspection-report is present; never missing; recommended for control-plane failures", () => {
    const withIt = check("bootstrap failed", ["inspection-report-20240515_101010.tar.gz"]);
    expect(withIt.present).toContain("k8s_inspect");
    expect(withIt.advisory).toEqual([]);
    const without = check("bootstrap failed: pods in CrashLoopBackOff");
    expect(without.missing).not.toContain("k8s_inspect");
    expect(without.advisory).toEqual(["k8s_inspect"]);
    expect(check("instance has no IPv6 address").advisory).toEqual([]);
  });
});

describe("evaluate", () => {
  it("lists missing items in the contract's order", () => {
    const v = evaluate(cl, bug({ title: "it broke", description: "--manifest" }));
    expect(v.missing).toEqual(ORDER);
    expect(v.complete).toBe(false);
    expect(v.present).toEqual([]);
  });

  it("reads the reporter's comments, ignores everyone else's", () => {
    const comments = [
      { author_is_reporter: false, content: `${SNAP_LIST}\n${JUJU_STATUS}` },
      { author_is_reporter: true, content: "Ubuntu 24.04 LTS, single node" },
    ];
    const v = evaluate(cl, bug({ comments }));
    expect(v.present).toEqual(["os_release", "deployment"]);
  });

  it("skip rules: opt-out and docs tags, RFE titles, allow-listed reporters", () => {
    const skipped = (over: Partial<BugForTriage>, opts = {}) => evaluate(cl, bug(over), opts).skipped;
    expect(skipped({ tags: ["triage-bot-skip"] })).toBe("tagged triage-bot-skip");
    expect(skipped({ tags: ["Docs"] })).toBe("tagged docs");
    expect(skipped({ tags: ["documentation"] })).toBe("tagged documentation");
    expect(skipped({ title: "[RFE] Support RGW" })).toBe("title starts with [RFE]");
    expect(skipped({ title: "rfe: add a flag" })).toBe("title starts with RFE:");
    expect(skipped({ title: "  Feature request: IPv6" })).toBe("title starts with Feature request");
    expect(skipped({ reporter: "gboutry" }, { reporterAllowList: ["GBoutry"] })).toMatch(
      /gboutry is on the allow-list/,
    );
    expect(skipped({ reporter: "someone" }, { reporterAllowList: ["gboutry"] })).toBeUndefined();
    expect(skipped({ title: "Regression: RFE flag ignored" })).toBeUndefined();
    const v = evaluate(cl, bug({ tags: ["docs"] }));
    expect(v).toMatchObject({ complete: true, missing: [], partial: [], advisory: [] });
    expect(evaluate(cl, bug({ tags: ["docs"] }), { ignoreSkip: true }).missing).toHaveLength(8);
  });

  it("the checklist's own reporter allow-list applies", () => {
    const doc = parseYamlText(readFileSync(defaultChecklistPath(), "utf8")) as {
      skip: { reporters: string[] };
    };
    doc.skip.reporters = ["hemanth-n"];
    expect(evaluate(parseChecklist(doc, "t"), bug({ reporter: "hemanth-n" })).skipped).toBeDefined();
  });

  it("a realistic full report is complete", () => {
    const description = `Environment: Ubuntu 24.04.1 LTS (noble), 3-node MAAS deployment.
$ snap list openstack
${SNAP_LIST}

Steps to reproduce:
1. sudo snap install openstack --channel 2024.1/stable
2. sunbeam cluster bootstrap --role control,compute,storage

Error: Timed out while waiting for model 'openstack' to be ready

${JUJU_STATUS}`;
    const v = check(description, ["sosreport-node1-2024-10-01-hxtfwmz.tar.xz"]);
    expect(v).toMatchObject({ complete: true, missing: [], partial: [] });
    expect(v.present).toEqual(ORDER.filter((id) => id !== "manifest"));
  });

  it("reads pasted output with many blank lines and wide padding the same way (and in linear time)", () => {
    const padded = `${"\n \t\n".repeat(20_000)}${JUJU_STATUS.replace(/ {2}/g, " \t   ")}\n\n\n${LOG_LINES}`;
    expect(check(padded).present).toEqual(["error_output", "juju_status", "sunbeam_logs"]);
  });

  it("is deterministic and consistent on arbitrary input (no regex state leaks)", () => {
    const line = fc.constantFrom(
      "1. step",
      "$ sunbeam x",
      LOG_LINES,
      "rev 12",
      "2024.1/edge",
      "ERROR",
      "manifest",
      "",
    );
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(line),
        fc.array(fc.string({ maxLength: 40 })),
        (title, lines, files) => {
          const b = bug({ title, description: lines.join("\n"), attachments: files });
          const a = evaluate(cl, b);
          expect(evaluate(cl, b)).toEqual(a);
          expect(a.missing.every((id) => ORDER.includes(id) && !a.present.includes(id))).toBe(true);
          expect(a.partial.every((id) => a.missing.includes(id))).toBe(true);
          expect(a.complete).toBe(a.missing.length === 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("fixtures (the CLI's --file form)", () => {
  const dir = join(import.meta.dirname, "..", "..", "fixtures", "bugs");
  const load = (name: string) => BugInputSchema.parse(JSON.parse(readFileSync(join(dir, name), "utf8")));
  const expected: Record<string, { missing: string[]; partial?: string[]; skipped?: boolean }> = {
    "complete-multinode-sosreport.json": { missing: [] },
    "incomplete-screenshots.json": {
      // steps: the title names the failing command, `sunbeam cluster bootstrap` (was missing; issue 14)
      missing: ["os_release", "deployment", "error_output", "juju_status", "sunbeam_logs", "diag_bundle"],
      partial: ["error_output"],
    },
    "reply-completes.json": { missing: [] },
    "rfe-skipped.json": { missing: [], skipped: true },
    "manifest-legacy-inspect.json": { missing: ["manifest"] },
    // steps: the reporter's `snap refresh openstack --channel …` is the command run (was missing; issue 14)
    "triager-pasted-status.json": { missing: ["juju_status", "sunbeam_logs", "diag_bundle"] },
  };

  it("every fixture has an expectation", () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))("%s", (name, want) => {
    const v = evaluate(cl, load(name));
    expect(v.missing).toEqual(want.missing);
    expect(v.partial).toEqual(want.partial ?? []);
    expect(v.skipped !== undefined).toBe(want.skipped ?? false);
  });

  it("the screenshots-only report has its channel and revision in the title", () => {
    const v = evaluate(cl, load("incomplete-screenshots.json"));
    expect(v.present).toEqual(["snap_version", "steps"]);
    expect(v.advisory).toEqual(["k8s_inspect"]);
  });
});

describe("every checklist id has a positive and a negative example", () => {
  interface Example {
    text?: string;
    files?: string[];
  }
  const EXAMPLES: Record<string, { yes: Example; no: Example }> = {
    snap_version: { yes: { text: SNAP_LIST }, no: { text: "openstack from 2024.1/stable" } },
    os_release: { yes: { text: "Ubuntu 22.04.4 LTS" }, no: { text: "latest Ubuntu" } },
    deployment: { yes: { text: "a 3-node MAAS cloud" }, no: { text: "my lab server" } },
    steps: { yes: { text: "1. install\n2. bootstrap" }, no: { text: "I installed it and it broke" } },
    error_output: { yes: { text: "ERROR hook failed" }, no: { text: "there is an error" } },
    juju_status: {
      yes: { text: JUJU_STATUS },
      no: { text: "juju status shows errors", files: ["status.png"] },
    },
    sunbeam_logs: { yes: { files: ["sunbeam-20250101-101010.123456.log"] }, no: { files: ["syslog"] } },
    diag_bundle: { yes: { files: ["sosreport-n1-abc.tar.xz"] }, no: { files: ["logs.tar.xz"] } },
    manifest: { yes: { text: "--manifest m.yaml", files: ["m.yaml"] }, no: { text: "--manifest m.yaml" } },
    k8s_inspect: {
      yes: { files: ["inspection-report-20250101_101010.tar.gz"] },
      no: { files: ["sunbeam-inspection-report-20250101_101010.tar.gz"] },
    },
  };

  it("covers every id of the bundled checklist", () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(cl.items.map((i) => i.id).sort());
  });

  it.each(Object.entries(EXAMPLES))("%s", (id, { yes, no }) => {
    expect(check(yes.text ?? "", yes.files).present).toContain(id);
    expect(check(no.text ?? "", no.files).present).not.toContain(id);
  });
});

describe("implications and skip rules from config", () => {
  it("a bundle satisfies juju_status and sunbeam_logs only through the implication", () => {
    const v = check("", ["sosreport-n1-abc.tar.xz"]);
    expect(v.present).toEqual(["juju_status", "sunbeam_logs", "diag_bundle"]);
    const doc = parseYamlText(readFileSync(defaultChecklistPath(), "utf8")) as {
      items: Record<string, { implies?: string[] }>;
    };
    doc.items.diag_bundle!.implies = [];
    const noImplies = parseChecklist(doc, "t");
    expect(evaluate(noImplies, bug({ attachments: ["sosreport-n1-abc.tar.xz"] })).present).toEqual([
      "diag_bundle",
    ]);
  });

  it("config's extra skip tag joins the checklist's own", () => {
    expect(evaluate(cl, bug({ tags: ["bot-hands-off"] }), { skipTags: ["bot-hands-off"] }).skipped).toBe(
      "tagged bot-hands-off",
    );
    expect(evaluate(cl, bug({ tags: ["bot-hands-off"] })).skipped).toBeUndefined();
  });
});
