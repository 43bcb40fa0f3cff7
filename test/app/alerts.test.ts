// The shipped alert rules (deploy/k8s/alerts.yaml) run through `promtool test rules`: a Gerrit dead for
// ten minutes fires, a two-minute blip does not, and every metric a rule reads is one the bot exports.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { Metrics } from "../../src/core/metrics.js";

const ROOT = join(import.meta.dirname, "..", "..");
const rule = parse(readFileSync(join(ROOT, "deploy", "k8s", "alerts.yaml"), "utf8")) as {
  kind: string;
  spec: { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
};
const dir = mkdtempSync(join(tmpdir(), "sunbeam-alerts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "rules.yaml"), stringify(rule.spec));

function promtool(args: string[]): string {
  return execFileSync("promtool", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A counter's samples, one a minute: `errors` per minute while the dependency is dead, then flat. */
function counter(deadMinutes: number, total: number, perMinute = 1): string {
  return deadMinutes === 0
    ? `0x${total}`
    : `0+${perMinute}x${deadMinutes} ${deadMinutes * perMinute}+0x${total - deadMinutes}`;
}

describe("alert rules", () => {
  it("is a PrometheusRule that promtool accepts", () => {
    expect(rule.kind).toBe("PrometheusRule");
    expect(promtool(["check", "rules", "rules.yaml"])).toMatch(/SUCCESS/);
  });

  it("a Gerrit dead for ten minutes fires SunbeamBotDependencyFailing; a two-minute blip does not", () => {
    const tests = {
      rule_files: ["rules.yaml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            // What the bot exports while Gerrit is dead: jobs re-delayed with backoff (≥ 1 a minute).
            { series: 'sunbeam_bot_dependency_errors_total{dependency="gerrit"}', values: counter(30, 40) },
            {
              series: 'sunbeam_bot_dependency_errors_total{dependency="launchpad"}',
              values: counter(2, 40, 3),
            },
            { series: 'sunbeam_bot_job_retries_total{queue="merges"}', values: counter(30, 40) },
            { series: 'sunbeam_bot_job_failures_total{queue="merges"}', values: counter(0, 40) },
            { series: "sunbeam_bot_gerrit_stream_connected", values: "0x40" },
          ],
          alert_rule_test: [
            { eval_time: "8m", alertname: "SunbeamBotDependencyFailing", exp_alerts: [] },
            {
              eval_time: "12m",
              alertname: "SunbeamBotDependencyFailing",
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", dependency: "gerrit" },
                  exp_annotations: {
                    summary: "sunbeam-bot: gerrit has been failing for 10 minutes",
                    description:
                      "Jobs that need gerrit are waiting; the queue dashboard shows each job's 'retrying: <reason>'.",
                  },
                },
              ],
            },
            {
              eval_time: "12m",
              alertname: "SunbeamBotGerritStreamDown",
              exp_alerts: [
                {
                  exp_labels: { severity: "warning" },
                  exp_annotations: { summary: "sunbeam-bot: no replica has the Gerrit event stream" },
                },
              ],
            },
            { eval_time: "12m", alertname: "SunbeamBotJobsFailed", exp_alerts: [] },
          ],
        },
      ],
    };
    writeFileSync(join(dir, "gerrit-dead.test.yaml"), stringify(tests));
    expect(promtool(["test", "rules", "gerrit-dead.test.yaml"])).toMatch(/SUCCESS/);
  });

  it("reads only metrics the bot exports, each with a series before its first increment", async () => {
    const text = await new Metrics({ defaults: false }).render();
    const exported = new Set([...text.matchAll(/^# TYPE (\w+) /gm)].map((m) => m[1]));
    const read = rule.spec.groups
      .flatMap((g) => g.rules)
      .flatMap((r) => [...r.expr.matchAll(/\b(sunbeam_bot_\w+)/g)].map((m) => m[1] as string));
    expect(read.length).toBeGreaterThan(5);
    for (const name of read) expect(exported, name).toContain(name);
    // A counter without a series until its first increment makes increase() miss the first failure.
    expect(text).toMatch(/^sunbeam_bot_dependency_errors_total\{dependency="gerrit"\} 0$/m);
    expect(text).toMatch(/^sunbeam_bot_job_retries_total\{queue="merges"\} 0$/m);
    expect(text).toMatch(/^sunbeam_bot_job_failures_total\{queue="chat-out"\} 0$/m);
  });
});
