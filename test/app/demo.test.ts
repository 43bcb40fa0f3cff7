// `sunbeam-bot demo` driven through a pipe: every command of !help gets a real answer from the bundled samples
// (no "not enabled"), in the order typed, and the sample bugs are triaged dry-run with nothing written.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/app/demo.js";
import { createLogger } from "../../src/core/log.js";
import { randomPrefix, redisUrl, dropPrefix } from "../helpers/redis.js";

/** Each command typed, and a piece of text only its own answer contains. */
const SESSION: [string, string][] = [
  ["!help", "Commands (!help <command> for details)"],
  ["!status", "sunbeam-bot up"],
  ["!affected 912400", "Change 912400"],
  ["!recheck-affected 912345 --dry-run", "Dry run: Recheck after 912345"],
  ["!subscribe openstack/snap-openstack", "now gets the default events for openstack/snap-openstack"],
  ["!unsubscribe openstack/snap-openstack", "Removed 1 subscription"],
  ["!images", "images watched"],
  ["!triage 2100002", "Missing 8 of 8 required items"],
  ["!actions", "Cycle actions (9)"],
  ["!summary", "Cycle actions — 2024.1 Caracal"],
];

async function drive(lines: string[]): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = "";
  output.on("data", (d: Buffer) => (text += d.toString()));
  const prefix = randomPrefix();
  input.end(lines.map((l) => `${l}\n`).join(""));
  await runDemo({
    log: createLogger({ level: "silent" }),
    env: { REDIS_URL: redisUrl(), REDIS_PREFIX: prefix },
    input,
    output,
  });
  await dropPrefix(prefix);
  return text;
}

describe("sunbeam-bot demo", () => {
  it("answers every command of !help from the samples, in the order typed", async () => {
    const out = await drive(SESSION.map(([c]) => c));
    expect(out).not.toMatch(/not enabled/i);
    // Every command that !help lists is one the session typed.
    const listed = [...out.matchAll(/^\s+- !([a-z-]+)/gm)].map((m) => m[1]);
    expect(new Set(listed)).toEqual(new Set(SESSION.map(([c]) => c.slice(1).split(" ")[0])));
    let at = out.indexOf("demo: type a command");
    expect(at).toBeGreaterThan(0);
    for (const [command, marker] of SESSION) {
      const next = out.indexOf(marker, at);
      expect(next, `${command} answered after the one before it`).toBeGreaterThan(at);
      at = next;
    }
    // The dry-run recheck lists the open failing sample changes that share a charm with the fix.
    const recheck = out.slice(out.indexOf("Dry run: Recheck after 912345"));
    expect(recheck).toMatch(/Would recheck 2:\n.*912420.*shares nova-k8s\n.*912410.*shares keystone-k8s/);
    expect(recheck).toContain("Nothing was posted (dry run).");
    // !affected reads the sample monorepo: ops-sunbeam is a shared input of every charm.
    expect(out).toMatch(/Affected charms \(6: every charm\)/);
    expect(out).toContain("charm-build-bin-compute");
    // The summary's evidence comes from the sample Gerrit.
    expect(out).toMatch(/The charms monorepo \(Liam\).*ops-sunbeam: bump ops to 2\.17/);
  });

  it("triages the sample bugs dry-run: the thin one would be prompted, the complete one is ready", async () => {
    const out = await drive(["!triage 2100001"]);
    expect(out).toMatch(
      /\[dry-run\] Bug #2100002 "openstack hypervisor not working after refresh": missing snap_version.*would ask the reporter/,
    );
    expect(out).toMatch(/Would write to Launchpad: comment asking for the missing items/);
    expect(out).toMatch(/Bug #2100001 .*debug info complete/);
    expect(out).toMatch(/\[dry-run\] Bug #2100003 .*the reporter supplied the missing debug info/);
  });
});

describe("sunbeam-bot demo without docker-registry", () => {
  it("says in one line how to turn the image watch on, and runs the rest", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let out = "";
    output.on("data", (d: Buffer) => (out += d.toString()));
    const prefix = randomPrefix();
    input.end("!affected 912410\n");
    await runDemo({
      log: createLogger({ level: "silent" }),
      env: { REDIS_URL: redisUrl(), REDIS_PREFIX: prefix },
      input,
      output,
      registryBin: "/nonexistent/docker-registry",
    });
    await dropPrefix(prefix);
    expect(out).toMatch(/^demo: OCI images are off: .*sudo apt-get install -y docker-registry.*$/m);
    expect(out).toMatch(/Change 912410 .*keystone-k8s: add OIDC federation/);
    expect(out).not.toContain("OCI images: ");
  });
});
