// Image reference parsing and formatting: GHCR, Docker Hub short names, host:port, digests, and refusals.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/core/errors.js";
import {
  formatImageRef,
  imageName,
  parseImageRef,
  tryParseImageRef,
} from "../../../src/integrations/registry/image-ref.js";

const D = `sha256:${"ab".repeat(32)}`;

describe("parseImageRef", () => {
  it.each([
    [
      "ghcr.io/canonical/keystone:2024.1-24.04_edge",
      { registry: "ghcr.io", repository: "canonical/keystone", tag: "2024.1-24.04_edge" },
    ],
    [
      "ubuntu/bind9:9.18-22.04_beta",
      { registry: "registry-1.docker.io", repository: "ubuntu/bind9", tag: "9.18-22.04_beta" },
    ],
    ["ubuntu", { registry: "registry-1.docker.io", repository: "library/ubuntu" }],
    [
      "docker.io/ubuntu:24.04",
      { registry: "registry-1.docker.io", repository: "library/ubuntu", tag: "24.04" },
    ],
    ["index.docker.io/library/redis", { registry: "registry-1.docker.io", repository: "library/redis" }],
    [
      "127.0.0.1:5000/canonical/keystone:2025.1",
      { registry: "127.0.0.1:5000", repository: "canonical/keystone", tag: "2025.1" },
    ],
    ["localhost/a/b", { registry: "localhost", repository: "a/b" }],
    ["Registry.Example.COM:443/x", { registry: "registry.example.com:443", repository: "x" }],
    [`ghcr.io/canonical/keystone@${D}`, { registry: "ghcr.io", repository: "canonical/keystone", digest: D }],
    [
      `ghcr.io/canonical/keystone:2024.1@${D}`,
      { registry: "ghcr.io", repository: "canonical/keystone", tag: "2024.1", digest: D },
    ],
    [`redis@${D}`, { registry: "registry-1.docker.io", repository: "library/redis", digest: D }],
    ["  ghcr.io/a/b:c  ", { registry: "ghcr.io", repository: "a/b", tag: "c" }],
  ])("%s", (input, expected) => {
    expect(parseImageRef(input)).toEqual(expected);
  });

  it.each([
    "",
    "ghcr.io/",
    "ghcr.io/Canonical/keystone",
    "ghcr.io/canonical/keystone:",
    "ghcr.io/canonical/keystone:-bad",
    "ghcr.io/canonical/keystone@sha256:abc",
    `ghcr.io/canonical/keystone@sha256:${"AB".repeat(32)}`,
    "ghcr.io/canonical//keystone",
    "ghcr.io/../etc:x",
    "a b",
    `ghcr.io/x:${"t".repeat(129)}`,
  ])("refuses %j with a UserError", (input) => {
    expect(() => parseImageRef(input)).toThrow(UserError);
    expect(tryParseImageRef(input)).toBeNull();
  });
});

describe("formatImageRef", () => {
  it("writes Docker Hub references the short way and keeps other hosts", () => {
    expect(formatImageRef(parseImageRef("docker.io/library/ubuntu:24.04"))).toBe("ubuntu:24.04");
    expect(formatImageRef(parseImageRef("ubuntu/bind9:9.18-22.04_beta"))).toBe(
      "ubuntu/bind9:9.18-22.04_beta",
    );
    expect(formatImageRef(parseImageRef(`ghcr.io/canonical/keystone:2024.1@${D}`))).toBe(
      `ghcr.io/canonical/keystone:2024.1@${D}`,
    );
    expect(imageName(parseImageRef("ghcr.io/canonical/keystone:2024.1"))).toBe("ghcr.io/canonical/keystone");
  });

  it("keeps docker.io when a Hub namespace would read as a host", () => {
    const ref = { registry: "registry-1.docker.io", repository: "my.org/app", tag: "1" };
    expect(formatImageRef(ref)).toBe("docker.io/my.org/app:1");
    expect(parseImageRef(formatImageRef(ref))).toEqual(ref);
  });

  it("round-trips every valid reference (property)", () => {
    const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4})?$/);
    const ref = fc.record(
      {
        registry: fc.constantFrom("ghcr.io", "registry-1.docker.io", "127.0.0.1:5000", "localhost"),
        repository: fc.array(component, { minLength: 1, maxLength: 3 }).map((p) => p.join("/")),
        tag: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/),
        digest: fc.constant(D),
      },
      { requiredKeys: ["registry", "repository"] },
    );
    fc.assert(
      fc.property(ref, (r) => {
        const parsed = parseImageRef(formatImageRef(r));
        const expected = { ...r };
        if (r.registry === "registry-1.docker.io" && !r.repository.includes("/")) {
          expected.repository = `library/${r.repository}`;
        }
        expect(parsed).toEqual(expected);
      }),
    );
  });
});
