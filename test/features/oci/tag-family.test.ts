// Tag families: which new tags upgrade a pin (same suffix, same base, newer release) and which never do.
import { describe, expect, it } from "vitest";
import {
  compareReleases,
  newestInFamily,
  relevantNewTags,
  tagFamily,
} from "../../../src/features/oci/tag-family.js";

describe("tagFamily", () => {
  it.each([
    ["2025.1", [2025, 1], "", 4],
    ["2024.1-24.04_edge", [2024, 1], "-24.04_edge", 4],
    ["23.09", [23, 9], "", 2],
    ["9.18-22.04_beta", [9, 18], "-22.04_beta", 1],
    ["2024.2_edge", [2024, 2], "_edge", 4],
  ] as const)("%s", (tag, release, suffix, yearDigits) => {
    expect(tagFamily(tag)).toEqual({ release, suffix, yearDigits });
  });

  it.each(["latest", "edge", "sha-0123abc", "v2024.1", "2024.1.3", "2024", "2024.1~rc1", ""])(
    "%j is an odd tag: no release, the tag is its own family",
    (tag) => {
      expect(tagFamily(tag)).toEqual({ release: null, suffix: tag, yearDigits: 0 });
    },
  );
});

describe("compareReleases", () => {
  it("orders by year, then minor, numerically", () => {
    expect(compareReleases([2024, 2], [2024, 10])).toBe(-1);
    expect(compareReleases([2025, 1], [2024, 2])).toBe(1);
    expect(compareReleases([2024, 1], [2024, 1])).toBe(0);
  });
});

describe("relevantNewTags", () => {
  const all = [
    "2024.1",
    "2024.2",
    "2025.1",
    "2023.2",
    "2024.1-24.04_edge",
    "2024.2-24.04_edge",
    "2025.1-24.04_edge",
    "2025.1-26.04_edge",
    "2025.2-24.04",
    "2025.2_edge",
    "latest",
    "23.09",
    "24.03",
  ];

  it("moves a plain release pin only to newer plain releases, oldest first", () => {
    expect(relevantNewTags("2024.1", all)).toEqual(["2024.2", "2025.1"]);
  });

  it("moves an _edge pin only to _edge tags on the same base", () => {
    expect(relevantNewTags("2024.1-24.04_edge", all)).toEqual(["2024.2-24.04_edge", "2025.1-24.04_edge"]);
    expect(relevantNewTags("2025.1-26.04_edge", all)).toEqual([]);
  });

  it("never compares two-digit and four-digit year schemes", () => {
    expect(relevantNewTags("23.09", all)).toEqual(["24.03"]);
  });

  it("finds nothing for the newest pin, an odd pin, or an empty list", () => {
    expect(relevantNewTags("2025.1", all)).toEqual([]);
    expect(relevantNewTags("latest", all)).toEqual([]);
    expect(relevantNewTags("2024.1", [])).toEqual([]);
  });

  it("sorts numerically and drops duplicates", () => {
    expect(relevantNewTags("2024.1", ["2024.10", "2024.2", "2024.2", "2024.9"])).toEqual([
      "2024.2",
      "2024.9",
      "2024.10",
    ]);
    expect(newestInFamily("2024.1", ["2024.10", "2024.2"])).toBe("2024.10");
    expect(newestInFamily("2024.10", ["2024.10", "2024.2"])).toBeNull();
  });
});
