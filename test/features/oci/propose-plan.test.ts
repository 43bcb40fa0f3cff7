// The pure parts of proposals and of the foreign-registry / mirror handling: families, Change-Ids, decisions,
// commit messages, the allow-list split, mirror parsing, push refusals and the config checks.
import { describe, expect, it } from "vitest";
import { OciConfigSchema, ociCrossCheck } from "../../../src/features/oci/config.js";
import {
  commitMessage,
  decide,
  familyKey,
  proposalChangeId,
  splitProposals,
  type Proposal,
} from "../../../src/features/oci/propose.js";
import { buildWatchList, onAllowedRegistries } from "../../../src/features/oci/watch-list.js";
import { changeUrlFromPush, rejection, reviewRef } from "../../../src/integrations/gerrit/push.js";
import { parseMirror } from "../../../src/integrations/registry/client.js";
import type { BumpPlan } from "../../../src/features/oci/bump.js";

const KEYSTONE = [
  "name: keystone-k8s",
  "resources:",
  "  keystone-image:",
  "    type: oci-image",
  "    upstream-source: ghcr.io/canonical/keystone:2024.1",
  "",
].join("\n");
const NOVA = [
  "name: nova-k8s",
  "resources:",
  "  nova-api-image:",
  "    type: oci-image",
  "    upstream-source: ghcr.io/canonical/nova-consolidated:2024.1-24.04_edge",
  "  nova-scheduler-image:",
  "    type: oci-image",
  "    upstream-source: ghcr.io/canonical/nova-consolidated:2024.1-24.04_edge",
  "",
].join("\n");

const plan: BumpPlan = {
  changes: [
    {
      charm: "keystone-k8s",
      resource: "keystone-image",
      file: "charms/keystone-k8s/charmcraft.yaml",
      from: "ghcr.io/canonical/keystone:2024.1",
      to: "ghcr.io/canonical/keystone:2025.1",
    },
    ...["nova-api-image", "nova-scheduler-image"].map((resource) => ({
      charm: "nova-k8s",
      resource,
      file: "charms/nova-k8s/charmcraft.yaml",
      from: "ghcr.io/canonical/nova-consolidated:2024.1-24.04_edge",
      to: "ghcr.io/canonical/nova-consolidated:2025.1-24.04_edge",
    })),
  ],
  skipped: [],
  files: [
    { path: "charms/keystone-k8s/charmcraft.yaml", before: KEYSTONE, after: "" },
    { path: "charms/nova-k8s/charmcraft.yaml", before: NOVA, after: "" },
  ],
};
const zuul = {
  zuul: {
    jobs: {},
    templates: [],
    external: [],
    problems: [],
    pipelineJobs: [
      {
        name: "charm-build-keystone-k8s",
        defined: true,
        abstract: false,
        files: [{ regex: "charms/keystone-k8s/" }],
        irrelevantFiles: null,
      },
      {
        name: "charm-build-nova-k8s",
        defined: true,
        abstract: false,
        files: [{ regex: "charms/nova-k8s/" }],
        irrelevantFiles: null,
      },
      { name: "linters", defined: true, abstract: false, files: null, irrelevantFiles: null },
    ],
  },
};

describe("proposals", () => {
  const [keystone, nova] = splitProposals(plan, zuul) as [Proposal, Proposal];

  it("splits the plan per image family, each moving exactly its own pins, with its jobs", () => {
    expect(keystone).toMatchObject({
      family: "ghcr.io/canonical/keystone#/4",
      target: "2025.1",
      charms: ["keystone-k8s"],
      jobs: ["charm-build-keystone-k8s", "linters"],
      subject: "Bump keystone image to 2025.1",
    });
    expect([...keystone.files.keys()]).toEqual(["charms/keystone-k8s/charmcraft.yaml"]);
    expect(keystone.files.get("charms/keystone-k8s/charmcraft.yaml")).toBe(
      KEYSTONE.replace("keystone:2024.1", "keystone:2025.1"),
    );
    expect(nova.files.get("charms/nova-k8s/charmcraft.yaml")).toBe(
      NOVA.replaceAll("2024.1-24.04_edge", "2025.1-24.04_edge"),
    );
    expect(nova.jobs).toEqual(["charm-build-nova-k8s", "linters"]);
  });

  it("keeps families apart by suffix and numbering scheme", () => {
    const img = "ghcr.io/canonical/x";
    expect(familyKey(img, "2024.1")).not.toBe(familyKey(img, "2024.1_edge"));
    expect(familyKey(img, "24.03")).not.toBe(familyKey(img, "2024.1"));
    expect(familyKey(img, "2024.1")).toBe(familyKey(img, "2025.2"));
  });

  it("gives a stable Change-Id per (family, branch, generation) and ends the message with it", () => {
    const id = proposalChangeId(keystone.family, "main");
    expect(id).toMatch(/^I[0-9a-f]{40}$/);
    expect(proposalChangeId(keystone.family, "main")).toBe(id);
    expect(proposalChangeId(keystone.family, "stable/2024.1")).not.toBe(id);
    expect(proposalChangeId(nova.family, "main")).not.toBe(id);
    expect(proposalChangeId(keystone.family, "main", 1)).not.toBe(id);
    const msg = commitMessage(nova, id);
    expect(msg).toContain("- ghcr.io/canonical/nova-consolidated: 2024.1-24.04_edge → 2025.1-24.04_edge\n");
    expect(msg).toContain("- nova-k8s nova-api-image (charms/nova-k8s/charmcraft.yaml)");
    expect(msg).toContain(
      "Affected charms: nova-k8s\nZuul jobs that will run: charm-build-nova-k8s, linters",
    );
    expect(msg.trimEnd().split("\n").at(-1)).toBe(`Change-Id: ${id}`);
  });

  it("decides: new, amend an older target, skip the same target, respect an abandon, next generation after", () => {
    const id0 = proposalChangeId(keystone.family, "main", 0);
    const id1 = proposalChangeId(keystone.family, "main", 1);
    expect(decide(keystone, "main", [])).toEqual({ action: "new", changeId: id0 });
    const open = { change_id: id0, _number: 7, status: "NEW", subject: "Bump keystone image to 2024.2" };
    expect(decide(keystone, "main", [open])).toMatchObject({ action: "amend", changeId: id0 });
    expect(decide(keystone, "main", [{ ...open, subject: keystone.subject }])).toMatchObject({
      action: "skip",
      reason: "already proposed",
    });
    const abandoned = { ...open, status: "ABANDONED", subject: keystone.subject };
    expect(decide(keystone, "main", [abandoned])).toMatchObject({
      action: "skip",
      reason: "abandoned by a reviewer: not proposed again",
    });
    // Abandoned for an older target: Gerrit takes no patch set on it, so the next generation opens one.
    expect(decide(keystone, "main", [{ ...abandoned, subject: "Bump keystone image to 2024.2" }])).toEqual({
      action: "new",
      changeId: id1,
    });
  });
});

describe("foreign registries and mirrors", () => {
  it("moves images on other registries to problems naming their charms", () => {
    const list = buildWatchList(null, [
      { image: "ghcr.io/canonical/keystone:2024.1", charms: ["keystone-k8s"] },
      { image: "ubuntu/bind9:9.18-22.04_beta", charms: ["bind9-k8s"] },
      { image: "busybox", charms: ["cinder-k8s"] },
    ]);
    const kept = onAllowedRegistries(list, ["ghcr.io"]);
    expect(kept.images.map((i) => i.image)).toEqual(["ghcr.io/canonical/keystone"]);
    expect(kept.problems).toEqual([
      "busybox: registry registry-1.docker.io is not in oci.registries (ghcr.io): not watched; pinned by cinder-k8s",
      "ubuntu/bind9: registry registry-1.docker.io is not in oci.registries (ghcr.io): not watched; pinned by bind9-k8s",
    ]);
    expect(onAllowedRegistries(list, ["ghcr.io", "docker.io"]).images).toHaveLength(3);
  });

  it("parses mirrors: host[:port], http:// for plain http, a clear error otherwise", () => {
    expect(parseMirror("127.0.0.1:5000")).toEqual({ host: "127.0.0.1:5000", plain: false });
    expect(parseMirror("http://127.0.0.1:5000/")).toEqual({ host: "127.0.0.1:5000", plain: true });
    expect(parseMirror("https://Mirror.example")).toEqual({ host: "mirror.example", plain: false });
    expect(() => parseMirror("http://a/b")).toThrow(/bad mirror "http:\/\/a\/b"/);
    const bad = OciConfigSchema.safeParse({ mirrors: { "ghcr.io": "ftp://x" } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues[0]?.path)).toBe('["mirrors","ghcr.io"]');
  });
});

describe("push helpers and config", () => {
  it("reads Gerrit's answers: the change URL and why a push was refused", () => {
    expect(
      changeUrlFromPush(
        "remote: \nremote: SUCCESS\nremote: \nremote:   https://review.opendev.org/c/openstack/sunbeam-charms/+/951234 Bump keystone image to 2025.1 [NEW]\n",
      ),
    ).toBe("https://review.opendev.org/c/openstack/sunbeam-charms/+/951234");
    expect(rejection(" ! [remote rejected] HEAD -> refs/for/main (no new changes)\n")).toBe("no new changes");
    expect(
      rejection("remote: change https://x/c/p/+/3 closed\n! [remote rejected] (pre-receive hook declined)"),
    ).toBe("change https://x/c/p/+/3 closed");
    expect(reviewRef("main", "oci-bump")).toBe("refs/for/main%topic=oci-bump");
    expect(() => reviewRef("main", "a b")).toThrow(/bad topic/);
    expect(() => reviewRef("-x")).toThrow(/bad branch/);
  });

  it("is off by default, and when on names what it is missing", () => {
    expect(OciConfigSchema.parse({}).propose).toMatchObject({
      enabled: false,
      topic: "oci-bump",
      branch: "main",
      maxOpen: 5,
      pushesPerPoll: 1,
    });
    const oci = OciConfigSchema.parse({ propose: { enabled: true, room: "nowhere" } });
    const problems = ociCrossCheck({ oci, rooms: {} } as unknown as Parameters<typeof ociCrossCheck>[0]);
    expect(problems.map((p) => p.path)).toEqual([
      "oci.propose.remote",
      "oci.propose",
      "oci.propose",
      "oci.propose.room",
    ]);
  });
});
