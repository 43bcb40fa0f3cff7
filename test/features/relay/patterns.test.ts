// User patterns match in linear time: globs without backtracking, no regex from chat (a ReDoS check by count).
import { describe, expect, it } from "vitest";
import {
  compilePattern,
  globMatcher,
  isChatPattern,
  matchesAny,
} from "../../../src/features/relay/patterns.js";
import { bindArgs } from "../../../src/core/commands.js";
import { subscribe } from "../../../src/features/relay/commands.js";

describe("globMatcher", () => {
  it("matches as the globs did: * and ? within a segment, ** across", () => {
    const cases: [string, string, boolean][] = [
      ["openstack/*", "openstack/nova", true],
      ["openstack/*", "openstack/a/b", false],
      ["stable/**", "stable/2024.1/x", true],
      ["stable/**", "stable/", true],
      ["o?enstack/n*a", "openstack/nova", true],
      ["*-k8s", "keystone-k8s", true],
      ["*-k8s", "charms/keystone-k8s", false],
      ["**-k8s", "charms/keystone-k8s", true],
      ["a.b", "axb", false],
      ["a*b*c", "abc", true],
      ["a*b*c", "acb", false],
    ];
    for (const [g, s, want] of cases) expect(compilePattern(g)(s), `${g} ~ ${s}`).toBe(want);
  });

  it("does work bounded by text × pattern on hostile globs (a backtracking engine takes exponential time)", () => {
    const hostile = [`${"*a".repeat(20)}b`, `${"**a".repeat(15)}X`, "*".repeat(500), `${"?*".repeat(40)}!`];
    const text = "a".repeat(5000);
    for (const g of hostile) {
      const work = { steps: 0 };
      expect(globMatcher(g, work)(text)).toBe(g === "*".repeat(500));
      expect(work.steps, g).toBeLessThanOrEqual((text.length + 1) * (g.length + 1));
    }
  });
});

describe("patterns from chat", () => {
  it("!subscribe takes names and globs, never a regex", () => {
    expect(isChatPattern("openstack/sunbeam-charms")).toBe(true);
    expect(isChatPattern("openstack/*")).toBe(true);
    for (const p of ["^(.+)+X$", "^openstack/.*", "(a|a)*"]) {
      expect(isChatPattern(p), p).toBe(false);
      expect(() => bindArgs(subscribe, [p]), p).toThrow(/no regex/);
    }
  });

  it("the config's ^regex form still works for the operator, on bounded names", () => {
    expect(matchesAny(["^openstack/(nova|glance)$"], "openstack/nova")).toBe(true);
    expect(matchesAny(["^openstack/.*"], `openstack/${"x".repeat(5000)}`)).toBe(false);
  });
});
