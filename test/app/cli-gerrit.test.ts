// `sunbeam-bot run` as deployed: a config file pointing at a Gerrit (fake SSH stream + fake REST), the key on
// disk, the console adapter for chat. Proves the relay filters and !subscribe work end to end in the process.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeGerritRest } from "../fakes/gerrit-rest.js";
import { FakeGerritSsh, generateKeyPair } from "../fakes/gerrit-ssh.js";
import { startCli, until } from "../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const now = () => Math.floor(Date.now() / 1000);
function patchset(project: string, branch: string, number: number, owner = "alice") {
  return {
    type: "patchset-created",
    change: { project, branch, number, subject: `change ${number}`, owner: { username: owner } },
    patchSet: { number: 1, kind: "REWORK" },
    uploader: { username: owner },
    eventCreatedOn: now(),
  };
}

describe("sunbeam-bot run against a Gerrit", () => {
  it("relays the stream to the console with the room's filters, and !subscribe widens them", async () => {
    const key = generateKeyPair();
    const ssh = await FakeGerritSsh.start({ clientPublicKey: key.public });
    const rest = await FakeGerritRest.start({ user: "sunbeam-bot", password: "rest-pw-123456" });
    const prefix = randomPrefix();
    cleanup.push(
      async () => ssh.close(),
      async () => rest.close(),
      async () => dropPrefix(prefix),
    );
    const dir = mkdtempSync(join(tmpdir(), "run-gerrit-"));
    const keyFile = join(dir, "gerrit_ed25519");
    writeFileSync(keyFile, key.private);
    chmodSync(keyFile, 0o600);
    const cfg = join(dir, "config.yaml");
    writeFileSync(
      cfg,
      [
        `redis: { url: "${redisUrl()}", prefix: ${prefix} }`,
        "chat: { console: { enabled: true, user: pat } }",
        "rooms: { team: { network: console, id: '#team' } }",
        "roles: { core: { console: [pat] } }",
        "relay: [{ room: team, projects: [openstack/sunbeam-charms], branches: [main], excludeAuthors: [spammer] }]",
        "http: { enabled: false }",
        "bot: { coalesceSeconds: 0 }",
        "gerrit:",
        `  url: ${rest.url}`,
        "  settleSeconds: 0",
        "  http: { user: sunbeam-bot }",
        "  ssh:",
        "    host: 127.0.0.1",
        `    port: ${ssh.port}`,
        "    user: sunbeam-bot",
        `    privateKeyFile: ${keyFile}`,
        `    hostKeyFingerprint: "${ssh.hostFingerprint}"`,
      ].join("\n"),
    );
    const bot = startCli(["run", "--config", cfg], { GERRIT_HTTP_PASSWORD: "rest-pw-123456" });
    cleanup.push(async () => {
      if (bot.child.exitCode === null) {
        bot.child.kill("SIGTERM");
        await new Promise((r) => bot.child.on("close", r));
      }
    });
    await ssh.waitForStreams(1);

    ssh.emitEvent(patchset("openstack/other", "main", 901));
    ssh.emitEvent(patchset("openstack/sunbeam-charms", "stable/2024.1", 902));
    ssh.emitEvent(patchset("openstack/sunbeam-charms", "main", 903, "spammer"));
    ssh.emitEvent(patchset("openstack/sunbeam-charms", "main", 904));
    await until(() => bot.out().includes("904,1"), 20_000, "the matching event");
    const team = () =>
      bot
        .out()
        .split("\n")
        .filter((l) => l.startsWith("[#team]"));
    expect(team().join("\n")).not.toMatch(/90[123],1/);

    bot.child.stdin.write("!subscribe openstack/other\n");
    await until(() => /subscribed|openstack\/other/i.test(team().join("\n")), 20_000, "the !subscribe reply");
    ssh.emitEvent(patchset("openstack/other", "main", 905));
    await until(() => bot.out().includes("905,1"), 20_000, "the newly subscribed project's event");
    expect(team().join("\n")).not.toMatch(/90[123],1/);
    expect(bot.err()).not.toContain("rest-pw-123456");

    bot.child.kill("SIGTERM");
    expect(await new Promise((r) => bot.child.on("close", r))).toBe(0);
  });
});
