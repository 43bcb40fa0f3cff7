// `config check` against this machine: an impossible cron, a missing key file, a busy port each fail with
// the key named; `run` names the setting when it cannot start for the same reasons.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/core/redis-server.js";
import { runCli } from "../helpers/cli.js";
import { redisUrl } from "../helpers/redis.js";

const dir = mkdtempSync(join(tmpdir(), "cfg-check-"));
const servers: Server[] = [];
afterAll(() => {
  servers.forEach((s) => s.close());
  rmSync(dir, { recursive: true, force: true });
});

function configFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join("\n"));
  return file;
}

/** A port someone else holds, as a running bot or another service would. */
async function busyPort(): Promise<number> {
  const port = await freePort();
  const srv = createServer();
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(port, "127.0.0.1", () => r()));
  return port;
}

const base = (port: number) => [
  `redis: { url: "${redisUrl()}", prefix: cfgcheck }`,
  `http: { enabled: true, host: 127.0.0.1, port: ${port} }`,
  "chat: { console: { enabled: false } }",
];
const json = (stdout: string) =>
  JSON.parse(stdout) as { ok: boolean; problems: { path: string; message: string; value?: unknown }[] };

describe("config check against the machine", () => {
  it("rejects an impossible cron with cron-parser's reason, and run names summary.cron", async () => {
    const file = configFile("cron.yaml", [...base(await freePort()), 'summary: { cron: "61 25 * * 9" }']);
    const r = await runCli(["config", "check", "--json", "--config", file]);
    expect(r.code).toBe(2);
    const out = json(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.problems).toContainEqual({
      path: "summary.cron",
      message: expect.stringMatching(/not a valid cron pattern: .*61.*0-59/) as string,
      value: "61 25 * * 9",
    });
    const run = await runCli(["run", "--config", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("summary.cron");
  });

  it("rejects a missing SSH key file, naming gerrit.ssh.privateKeyFile; run does too", async () => {
    const missing = join(dir, "no-such-key");
    const file = configFile("key.yaml", [
      ...base(await freePort()),
      "gerrit:",
      "  url: https://review.opendev.org",
      "  ssh:",
      "    host: review.opendev.org",
      "    user: sunbeam-bot",
      `    privateKeyFile: ${missing}`,
      `    hostKeyFingerprint: "SHA256:${"A".repeat(43)}"`,
    ]);
    const r = await runCli(["config", "check", "--json", "--config", file]);
    expect(r.code).toBe(2);
    expect(json(r.stdout).problems).toEqual([
      { path: "gerrit.ssh.privateKeyFile", message: "file does not exist", value: missing },
    ]);
    const run = await runCli(["run", "--config", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("gerrit.ssh.privateKeyFile: file does not exist");
  });

  it("rejects a busy http.port (unless --no-port-check), and run names http.port on EADDRINUSE", async () => {
    const port = await busyPort();
    const file = configFile("port.yaml", base(port));
    const r = await runCli(["config", "check", "--config", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`http.port: 127.0.0.1:${port} is already in use (EADDRINUSE)`);
    expect((await runCli(["config", "check", "--no-port-check", "--config", file])).code).toBe(0);
    const run = await runCli(["run", "--config", file], { timeoutMs: 30_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`http.port: 127.0.0.1:${port} is already in use (EADDRINUSE)`);
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
