// Pure OCI logic: the watch list, diff() of poll states, the announcement renderer, and the bump text edits.
import { describe, expect, it } from "vitest";
import type { Charm } from "../../../src/integrations/monorepo/monorepo.js";
import { parseImageRef } from "../../../src/integrations/monorepo/monorepo.js";
import { announcementSendId, renderOciAnnouncement } from "../../../src/features/oci/announce.js";
import { replaceUpstreamSource, unifiedDiff } from "../../../src/features/oci/bump.js";
import { ociEventId, type OciEvent } from "../../../src/features/oci/events.js";
import { diff } from "../../../src/features/oci/state.js";
import {
  buildWatchList,
  charmsPinning,
  findImages,
  pinStatus,
  shortDigest,
  tagsToWatch,
  type Pin,
} from "../../../src/features/oci/watch-list.js";
import { eventsFor, nextState } from "../../../src/features/oci/poller.js";
import { renderImages } from "../../../src/features/oci/commands.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;

function charm(name: string, resources: Record<string, string>): Charm {
  return {
    name,
    dir: `charms/${name}`,
    buildPath: name,
    inputs: [],
    hasRebuild: false,
    resources: Object.entries(resources).map(([resource, src]) => ({
      resource,
      ...parseImageRef(src),
      upstreamSource: src,
    })),
  };
}

const MODEL = {
  charms: [
    charm("keystone-k8s", { "keystone-image": "ghcr.io/canonical/keystone:2024.1" }),
    charm("nova-k8s", {
      "nova-api-image": "ghcr.io/canonical/nova-consolidated:2024.1-24.04_edge",
      "nova-scheduler-image": "ghcr.io/canonical/nova-consolidated:2024.1-24.04_edge",
    }),
    charm("placement-k8s", { "placement-api-image": `GHCR.io/canonical/keystone:2024.1@${D("a")}` }),
    charm("bind-k8s", { "bind-image": "ubuntu/bind9:9.18-22.04_beta" }),
    charm("odd-k8s", { "odd-image": "ghcr.io/canonical/Bad:tag" }),
    charm("cinder-volume", {}),
  ],
};

const FILES = new Map([["charms/keystone-k8s", "charms/keystone-k8s/charmcraft.yaml"]]);

describe("watch list", () => {
  const wl = buildWatchList(
    MODEL,
    [{ image: "ghcr.io/canonical/tempest:2025.1", charms: ["tempest-k8s"] }],
    FILES,
  );

  it("has one entry per repository with every pin, registry case folded, problems kept", () => {
    expect(wl.images.map((i) => i.image)).toEqual([
      "ghcr.io/canonical/keystone",
      "ghcr.io/canonical/nova-consolidated",
      "ghcr.io/canonical/tempest",
      "ubuntu/bind9",
    ]);
    const keystone = wl.images[0];
    expect(keystone?.pins).toEqual([
      {
        charm: "keystone-k8s",
        resource: "keystone-image",
        tag: "2024.1",
        upstreamSource: "ghcr.io/canonical/keystone:2024.1",
        file: "charms/keystone-k8s/charmcraft.yaml",
      },
      {
        charm: "placement-k8s",
        resource: "placement-api-image",
        tag: "2024.1",
        digest: D("a"),
        upstreamSource: `GHCR.io/canonical/keystone:2024.1@${D("a")}`,
        file: null,
      },
    ]);
    expect(wl.images[1]?.pins.map((p) => p.resource)).toEqual(["nova-api-image", "nova-scheduler-image"]);
    expect(wl.images[2]?.pins).toEqual([
      {
        charm: "tempest-k8s",
        resource: null,
        tag: "2025.1",
        upstreamSource: "ghcr.io/canonical/tempest:2025.1",
        file: null,
      },
    ]);
    expect(wl.problems).toEqual([expect.stringContaining("odd-k8s: resource odd-image")]);
  });

  it("finds images by full name, repository or last component", () => {
    expect(findImages(wl, "keystone").map((i) => i.image)).toEqual(["ghcr.io/canonical/keystone"]);
    expect(findImages(wl, "canonical/nova-consolidated")).toHaveLength(1);
    expect(findImages(wl, "docker.io/ubuntu/bind9")).toHaveLength(1);
    expect(findImages(wl, "nope")).toEqual([]);
    expect(findImages(wl)).toHaveLength(4);
    expect(charmsPinning(wl, "ghcr.io/canonical/keystone", "2024.1")).toEqual([
      "keystone-k8s",
      "placement-k8s",
    ]);
    expect(charmsPinning(wl, "ghcr.io/canonical/tempest", "2025.1")).toEqual([]);
  });

  it("looks up only pinned tags and newer releases of pinned families", () => {
    const all = ["2023.2", "2024.1", "2024.2", "2025.1", "2025.1-24.04_edge", "latest"];
    expect(tagsToWatch(wl.images[0]!, all)).toEqual({
      relevant: ["2024.2", "2025.1"],
      lookup: ["2024.1", "2024.2", "2025.1"],
    });
  });

  it("marks a pin behind for a newer release or a moved pinned digest, current otherwise", () => {
    const [k, p] = wl.images[0]!.pins as [Pin, Pin];
    expect(pinStatus(k, ["2024.1"], { "2024.1": D("b") })).toEqual({ status: "current" });
    expect(pinStatus(k, ["2024.1", "2025.1"], {})).toEqual({ status: "behind", newest: "2025.1" });
    expect(pinStatus(p, ["2024.1"], { "2024.1": D("b") })).toEqual({ status: "behind", digestMoved: true });
    expect(pinStatus(p, ["2024.1"], { "2024.1": D("a") })).toEqual({ status: "current" });
  });
});

describe("diff", () => {
  it("reports nothing on the first run", () => {
    expect(diff(null, { tags: { "2024.1": D("a") } })).toEqual({ newTags: [], movedDigests: [] });
  });

  it("reports new tags and moved digests, not unresolved ones", () => {
    const prev = { tags: { "2024.1": D("a"), "2024.2": null, "2023.1": D("c") } };
    const cur = { tags: { "2024.1": D("b"), "2024.2": D("d"), "2025.1": D("e"), other: null } };
    expect(diff(prev, cur)).toEqual({
      newTags: [
        { tag: "2025.1", digest: D("e") },
        { tag: "other", digest: null },
      ],
      movedDigests: [{ tag: "2024.1", from: D("a"), to: D("b") }],
    });
    expect(diff(cur, cur)).toEqual({ newTags: [], movedDigests: [] });
  });

  it("keeps a digest no longer looked up, and drops tags gone from the registry", () => {
    expect(nextState({ tags: { a: D("a"), gone: D("b") } }, ["a", "b"], { b: D("c") })).toEqual({
      tags: { a: D("a"), b: D("c") },
    });
  });

  it("turns only relevant, resolved changes into events with deterministic ids", () => {
    const wl = buildWatchList(MODEL, [], FILES);
    const img = wl.images[0]!;
    const d = {
      newTags: [
        { tag: "2025.1", digest: D("e") },
        { tag: "2025.1-24.04_edge", digest: null },
      ],
      movedDigests: [{ tag: "2024.1", from: D("a"), to: D("b") }],
    };
    const events = eventsFor(img, d, new Set(["2024.1", "2025.1"]), 5);
    expect(events).toEqual([
      {
        source: "oci",
        kind: "oci.tag-published",
        id: `oci:ghcr.io/canonical/keystone:2025.1@${D("e")}`,
        image: "ghcr.io/canonical/keystone",
        tag: "2025.1",
        digest: D("e"),
        upgrades: ["2024.1"],
        detectedAt: 5,
      },
      {
        source: "oci",
        kind: "oci.digest-changed",
        id: `oci:ghcr.io/canonical/keystone:2024.1@${D("b")}`,
        image: "ghcr.io/canonical/keystone",
        tag: "2024.1",
        digest: D("b"),
        previous: D("a"),
        detectedAt: 5,
      },
    ]);
  });
});

describe("announcement", () => {
  const wl = buildWatchList(MODEL, [], FILES);
  const published = (image: string, tag: string, digest: string): OciEvent => ({
    source: "oci",
    kind: "oci.tag-published",
    id: ociEventId(image, tag, digest),
    image,
    tag,
    digest,
    upgrades: [],
    detectedAt: 0,
  });
  const moved: OciEvent = {
    source: "oci",
    kind: "oci.digest-changed",
    id: ociEventId("ghcr.io/canonical/nova-consolidated", "2024.1-24.04_edge", D("2")),
    image: "ghcr.io/canonical/nova-consolidated",
    tag: "2024.1-24.04_edge",
    digest: D("2"),
    previous: D("1"),
    detectedAt: 0,
  };

  it("groups one poll into one message: image, tag, short digest, charms with behind/current", () => {
    const text = renderOciAnnouncement(
      [moved, published("ghcr.io/canonical/keystone", "2025.1", D("e"))],
      wl,
      { repoDir: "/srv/sunbeam-charms" },
    );
    expect(text).toBe(
      [
        "**OCI images**: 1 new tag, 1 moved digest",
        "**ghcr.io/canonical/keystone**: new tag `2025.1` (`sha256:eeeeeeeeeeee`)",
        "- keystone-k8s `keystone-image` pins `2024.1`: **behind** (newest `2025.1`)",
        "- placement-k8s `placement-api-image` pins `2024.1@sha256:aaaaaaaaaaaa`: **behind** (newest `2025.1`)",
        "**ghcr.io/canonical/nova-consolidated**: `2024.1-24.04_edge` moved `sha256:111111111111` → `sha256:222222222222`",
        "- nova-k8s `nova-api-image`, `nova-scheduler-image` pin `2024.1-24.04_edge`: current",
        "Bump: `sunbeam-bot oci bump --repo /srv/sunbeam-charms --image ghcr.io/canonical/keystone`",
      ].join("\n"),
    );
  });

  it("marks a digest pin behind when its tag moved, and offers --digest when everything is current", () => {
    const keyMoved: OciEvent = {
      ...moved,
      image: "ghcr.io/canonical/keystone",
      tag: "2024.1",
      previous: D("a"),
    };
    expect(renderOciAnnouncement([keyMoved], wl)).toContain(
      "- placement-k8s `placement-api-image` pins `2024.1@sha256:aaaaaaaaaaaa`: **behind** (pinned digest moved)",
    );
    expect(renderOciAnnouncement([moved], wl)).toContain(
      "All pins are current. To pin the new digests: `sunbeam-bot oci bump --repo DIR --image ghcr.io/canonical/nova-consolidated --digest`",
    );
  });

  it("uses what the poll knew: a newer release seen earlier still makes a pin behind", () => {
    const text = renderOciAnnouncement([moved], wl, {
      known: [{ image: moved.image, tags: {}, relevant: ["2025.1-24.04_edge"] }],
    });
    expect(text).toContain("**behind** (newest `2025.1-24.04_edge`)");
    expect(renderOciAnnouncement([], wl)).toBe("");
  });

  it("gives the same send id for the same events in any order", () => {
    const t = { network: "matrix", room: "!r" };
    const a = published("ghcr.io/canonical/keystone", "2025.1", D("e"));
    expect(announcementSendId(t, [a, moved])).toBe(announcementSendId(t, [moved, a]));
    expect(announcementSendId(t, [a])).not.toBe(announcementSendId(t, [moved]));
    expect(shortDigest(D("f"))).toBe("sha256:ffffffffffff");
  });

  it("renders !images: lagging images in full, the rest counted", () => {
    const report = {
      image: "ghcr.io/canonical/keystone",
      lastPolled: "2025-01-01T00:00:00.000Z",
      tagCount: 3,
      newer: ["2025.1"],
      pins: [
        {
          charm: "keystone-k8s",
          resources: ["keystone-image"],
          pin: "ghcr.io/canonical/keystone:2024.1",
          status: "behind" as const,
          newest: "2025.1",
        },
      ],
    };
    const current = { ...report, image: "x", pins: [{ ...report.pins[0]!, status: "current" as const }] };
    expect(renderImages([report, current])).toBe(
      [
        "**2 images watched**, 1 with charms behind",
        "**ghcr.io/canonical/keystone** (last polled 2025-01-01T00:00:00.000Z, 3 tags)",
        "- keystone-k8s `keystone-image` `ghcr.io/canonical/keystone:2024.1`: **behind** (newest `2025.1`)",
      ].join("\n"),
    );
    expect(renderImages([], "zz")).toBe("No watched image matches `zz`.");
  });
});

describe("bump text edits", () => {
  const yaml = [
    "name: keystone-k8s",
    "containers:",
    "  keystone:",
    "    resource: keystone-image",
    "resources:",
    "  keystone-image:",
    "    type: oci-image",
    '    upstream-source: "ghcr.io/canonical/keystone:2024.1" # pinned by hand',
    "  other-image: {type: oci-image, upstream-source: ghcr.io/canonical/keystone:2024.1}",
    "config:",
    "  options:",
    "    upstream-source: ghcr.io/canonical/keystone:2024.1",
    "",
  ].join("\n");

  it("changes only the named resource's upstream-source value, keeping quotes and comments", () => {
    const out = replaceUpstreamSource(
      yaml,
      "keystone-image",
      "ghcr.io/canonical/keystone:2024.1",
      "ghcr.io/canonical/keystone:2025.1",
    );
    expect(out?.split("\n")[7]).toBe(
      '    upstream-source: "ghcr.io/canonical/keystone:2025.1" # pinned by hand',
    );
    expect(out?.split("\n").filter((l, i) => l !== yaml.split("\n")[i])).toHaveLength(1);
    const flow = replaceUpstreamSource(yaml, "other-image", "ghcr.io/canonical/keystone:2024.1", "x:2");
    expect(flow?.split("\n")[8]).toBe("  other-image: {type: oci-image, upstream-source: x:2}");
    expect(replaceUpstreamSource(yaml, "missing-image", "a", "b")).toBeNull();
    expect(replaceUpstreamSource(yaml, "keystone-image", "ghcr.io/canonical/keystone:2024", "b")).toBeNull();
  });

  it("writes git-style hunks with correct headers, merging nearby changes", () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i + 1}`).join("\n") + "\n";
    const after = before.replace("l2\n", "L2\n").replace("l5\n", "L5\n").replace("l18\n", "L18\n");
    expect(unifiedDiff("f.yaml", before, after)).toBe(
      [
        "diff --git a/f.yaml b/f.yaml",
        "--- a/f.yaml",
        "+++ b/f.yaml",
        "@@ -1,8 +1,8 @@",
        " l1",
        "-l2",
        "+L2",
        " l3",
        " l4",
        "-l5",
        "+L5",
        " l6",
        " l7",
        " l8",
        "@@ -15,6 +15,6 @@",
        " l15",
        " l16",
        " l17",
        "-l18",
        "+L18",
        " l19",
        " l20",
        "",
      ].join("\n"),
    );
    expect(unifiedDiff("f", "a\nb", "a\nc")).toBe(
      "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n",
    );
    expect(unifiedDiff("f", "a\n", "a\n")).toBe("");
  });
});
