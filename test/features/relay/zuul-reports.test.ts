// Every Zuul report of the fixture history is announced with its result, failed voting jobs and reason.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseGerritLine } from "../../../src/integrations/gerrit/parse.js";
import { renderGerritEvent } from "../../../src/features/relay/render-gerrit.js";
import { parseZuulComment } from "../../../src/features/relay/zuul-result.js";

interface Case {
  key: string;
  tag: string;
  comment: string;
}
const cases = (
  JSON.parse(readFileSync("test/fixtures/zuul/zuul-report-texts.json", "utf8")) as { cases: Case[] }
).cases;
const events = readFileSync("test/fixtures/zuul/zuul-comment-added.jsonl", "utf8").trim().split("\n");
const opts = { botUser: "sunbeam-bot", botAccounts: ["zuul"] };
const byKey = (k: string) => cases.find((c) => c.key === k) as Case;

describe("Zuul reports", () => {
  it("reads the outcome, pipeline and exact failed voting jobs of each report", () => {
    const got = Object.fromEntries(
      cases.map((c) => {
        const z = parseZuulComment(c.comment, c.tag);
        return [c.key, [z?.outcome, z?.pipeline, z?.failedJobs.join(",")]];
      }),
    );
    expect(got).toEqual({
      "check-success": ["succeeded", "check", ""],
      "check-failure-with-nonvoting": ["failed", "check", "openstack-tox-pep8"],
      "check-success-nonvoting-failed": ["succeeded", "check", ""],
      "gate-failure": ["failed", "gate", "openstack-tox-py310"],
      "gate-start": ["started", "gate", ""],
      "gate-success": ["succeeded", "gate", ""],
      "merge-failed": ["merge-conflict", "check", ""],
      "config-error": ["config-error", "check", ""],
      "dependency-failure": ["dependency", "gate", ""],
      "post-failure": ["failed", "check", "openstack-tox-py310"],
      "retry-limit": ["failed", "check", "charm-build-ovn-central-k8s"],
      "node-failure": ["failed", "check", "func-test-all-k8s"],
      "timed-out": ["failed", "check", "func-test-all-k8s"],
      "recheck-triggered-success": ["succeeded", "check", ""],
      "recheck-triggered-same-failure": ["failed", "check", "openstack-tox-py312"],
      "dequeued-new-patchset": ["canceled", "check", ""],
    });
  });

  it("gives the first line of the reason for reports without job lines", () => {
    expect(parseZuulComment(byKey("merge-failed").comment)?.reason).toMatch(
      /^This change or one of its cross-repo dependencies was unable to be automatically merged/,
    );
    expect(parseZuulComment(byKey("config-error").comment)?.reason).toBe(
      "extra keys not allowed @ data['nodeset ']",
    );
    expect(parseZuulComment(byKey("dependency-failure").comment)?.reason).toMatch(
      /^This change depends on a change that failed to merge\. Change https:\/\/review\.opendev\.org\/c\/openstack\/sunbeam-charms\/\+\/931004 is needed/,
    );
  });

  it("announces every result report on the stream, merge failures, config errors and dependencies included", () => {
    const lines = events.map((l) => {
      const r = parseGerritLine(l);
      if (!r.ok) throw new Error(r.error);
      return renderGerritEvent(r.event, opts);
    });
    // Only the gate start message is no result.
    expect(lines.filter((l) => l === null)).toHaveLength(1);
    expect(lines.every((l) => l === null || l.kind === "zuul-result")).toBe(true);
    const texts = lines.map((l) => l?.text ?? "");
    expect(texts.find((t) => t.includes("merge failed"))).toMatch(
      // The stream carries no message tag: the pipeline of a text without one is unknown there.
      /Zuul: Verified -1 on \d+,\d+ — merge failed: This change or one of its cross-repo/,
    );
    expect(texts.find((t) => t.includes("config error"))).toMatch(
      /Verified -1 on \d+,\d+ — config error: extra keys not allowed/,
    );
    expect(texts.find((t) => t.includes("dependency failed"))).toMatch(
      /Verified -2 on \d+,\d+ — dependency failed: This change depends on a change that failed/,
    );
  });
});
