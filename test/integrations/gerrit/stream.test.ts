// The real ssh2 client in GerritStream against the fake Gerrit SSH server: lines, reconnects, host-key pinning.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  GerritStream,
  HostKeyMismatchError,
  LineSplitter,
  backoffDelay,
  reconnectDelay,
  type GerritStreamOptions,
} from "../../../src/integrations/gerrit/stream.js";
import { createLogger } from "../../../src/core/log.js";
import { FakeGerritSsh, generateKeyPair, fingerprintOf, type KeyPair } from "../../fakes/gerrit-ssh.js";

let clientKey: KeyPair;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  clientKey = generateKeyPair();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Polls a condition; the test's own timeout is the only deadline (no timing asserts). */
async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, 5));
}

type Over = Partial<GerritStreamOptions> | ((server: FakeGerritSsh) => Partial<GerritStreamOptions>);

async function setup(over: Over = {}) {
  const server = await FakeGerritSsh.start({ clientPublicKey: clientKey.public });
  cleanups.push(() => server.close());
  const lines: string[] = [];
  const errors: Error[] = [];
  let connects = 0;
  const stream = new GerritStream({
    host: "127.0.0.1",
    port: server.port,
    user: "sunbeam-bot",
    privateKey: Buffer.from(clientKey.private),
    hostKeyFingerprint: server.hostFingerprint,
    backoffBaseMs: 10,
    backoffMaxMs: 50,
    onLine: (l) => lines.push(l),
    onConnected: () => connects++,
    onDisconnected: (err) => errors.push(err),
    ...(typeof over === "function" ? over(server) : over),
  });
  cleanups.push(() => stream.stop());
  return { server, stream, lines, errors, connects: () => connects };
}

describe("GerritStream against the fake Gerrit SSH server", () => {
  it("delivers each line, including lines split across chunks and several lines in one chunk", async () => {
    const { server, stream, lines } = await setup();
    stream.start();
    await server.waitForStreams(1);
    await until(() => stream.state.connected);
    server.emit('{"type":"patchset-created","eventCreatedOn":1}');
    server.sendRaw('{"type":"comment-added",');
    server.sendRaw('"comment":"héllo ✓"}\n{"type":"a"}\r\n{"type":"b"}\n');
    const bytes = Buffer.from('{"x":"✓"}\n');
    server.sendRaw(bytes.subarray(0, 7)); // cuts the 3-byte character in two
    server.sendRaw(bytes.subarray(7));
    await until(() => lines.length === 5);
    expect(lines).toEqual([
      '{"type":"patchset-created","eventCreatedOn":1}',
      '{"type":"comment-added","comment":"héllo ✓"}',
      '{"type":"a"}',
      '{"type":"b"}',
      '{"x":"✓"}',
    ]);
    expect(stream.state.lastLineAt).not.toBeNull();
    expect(server.commands).toEqual(["gerrit stream-events"]);
  });

  it("delivers garbage and dropped-output as plain lines (typing happens elsewhere)", async () => {
    const { server, stream, lines } = await setup();
    stream.start();
    await server.waitForStreams(1);
    server.sendGarbage("}{ not json");
    server.sendDroppedOutput(1700000000);
    server.emit('{"type":"change-merged"}');
    await until(() => lines.length === 3);
    expect(lines).toEqual([
      "}{ not json",
      '{"type":"dropped-output","eventCreatedOn":1700000000}',
      '{"type":"change-merged"}',
    ]);
  });

  it("reconnects after every drop, closing the old connection, and keeps delivering", async () => {
    const { server, stream, lines, errors, connects } = await setup();
    stream.start();
    for (let i = 1; i <= 5; i++) {
      await server.waitForSessions(i);
      await until(() => stream.state.connected && connects() === i);
      server.emit(`line ${i}`);
      await until(() => lines.length === i);
      server.dropAll();
    }
    await server.waitForSessions(6);
    await until(() => stream.state.connected);
    expect(lines).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5"]);
    expect(errors.length).toBeGreaterThanOrEqual(5);
    expect(stream.state.reconnects).toBeGreaterThanOrEqual(5);
    // Never more than one live connection: the old one is always closed first.
    expect(server.connectionCount).toBe(1);
  });

  it("refuses a server whose host key does not match the pinned fingerprint, with a clear error", async () => {
    const other = fingerprintOf(generateKeyPair().private);
    const { server, stream, errors, connects } = await setup({ hostKeyFingerprint: other });
    stream.start();
    await until(() => errors.length >= 2);
    const err = errors[0];
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect(err?.message).toContain(server.hostFingerprint);
    expect(err?.message).toContain(other);
    expect(err?.message).toMatch(/refusing to connect/);
    expect(stream.state.hostKeyRejections).toBeGreaterThanOrEqual(2);
    expect(connects()).toBe(0);
    expect(server.sessionsOpened).toBe(0);
  });

  it("accepts the fingerprint with base64 padding as some tools print it", async () => {
    const { server, stream } = await setup((srv) => ({ hostKeyFingerprint: `${srv.hostFingerprint}=` }));
    stream.start();
    await server.waitForStreams(1);
    await until(() => stream.state.connected);
  });

  it("reconnects when the watchdog sees no bytes for too long", async () => {
    const { server, stream } = await setup({ watchdogMs: 100 });
    stream.start();
    await server.waitForSessions(2);
    expect(stream.state.lastError).toMatch(/watchdog/);
  });

  it("drops an over-long line and carries on with the next", async () => {
    const { server, stream, lines } = await setup({ maxLineBytes: 64 });
    stream.start();
    await server.waitForStreams(1);
    server.emit("x".repeat(200));
    server.emit("short");
    await until(() => lines.length === 1);
    expect(lines).toEqual(["short"]);
    expect(stream.state.linesTooLong).toBe(1);
  });

  it("retries quickly after each drop of an established connection, backing off only on failures to connect", async () => {
    // The waits come from the bot's own log line (delayMs), with the jitter pinned at its top: deterministic.
    const delays: number[] = [];
    const log = createLogger({
      level: "warn",
      destination: {
        write: (l: string) => {
          const o = JSON.parse(l) as { msg?: string; delayMs?: number };
          if (o.msg === "gerrit stream disconnected; reconnecting" && o.delayMs !== undefined)
            delays.push(o.delayMs);
        },
      },
    });
    const { server, stream, connects } = await setup({ log, random: () => 0.999, backoffMaxMs: 10_000 });
    stream.start();
    for (let i = 1; i <= 5; i++) {
      await until(() => stream.state.connected && connects() === i);
      server.dropAll();
      await until(() => delays.length === i);
    }
    // Five drops in a row, each of a connection that had been up: each retried after base + jitter (10 + 9).
    expect(delays).toEqual([19, 19, 19, 19, 19]);
    expect(stream.state.connectFailures).toBe(0);
    await until(() => stream.state.connected && connects() === 6);
    stream.stop();

    // Nothing listening: failures to connect in a row back off exponentially from the base, capped.
    const gone = await FakeGerritSsh.start({ clientPublicKey: clientKey.public });
    const port = gone.port;
    await gone.close();
    delays.length = 0;
    const down = new GerritStream({
      host: "127.0.0.1",
      port,
      user: "sunbeam-bot",
      privateKey: Buffer.from(clientKey.private),
      hostKeyFingerprint: server.hostFingerprint,
      backoffBaseMs: 10,
      backoffMaxMs: 100,
      random: () => 0.999,
      log,
      onLine: () => undefined,
    });
    cleanups.push(() => down.stop());
    down.start();
    await until(() => delays.length >= 5);
    down.stop();
    expect(delays.slice(0, 5)).toEqual([9, 19, 39, 79, 99]);
    expect(down.state.connectFailures).toBeGreaterThanOrEqual(5);
  });

  it("reports a rejected command (wrong account rights) as a disconnect and retries", async () => {
    const { server, stream, errors } = await setup({ command: "gerrit ls-projects" });
    stream.start();
    await until(() => errors.length >= 2);
    expect(errors[0]?.message).toMatch(/not a supported command/);
    expect(server.sessionsOpened).toBe(0);
  });
});

describe("pure helpers", () => {
  it("refuses an unusable private key at construction, without echoing it", () => {
    const make = () =>
      new GerritStream({
        host: "127.0.0.1",
        user: "u",
        privateKey: Buffer.from("not-a-key-SECRETISH"),
        hostKeyFingerprint: "SHA256:x",
        onLine: () => undefined,
      });
    expect(make).toThrow(/private key is unusable/);
    expect(make).not.toThrow(/SECRETISH/);
  });

  it("backoff grows exponentially, is capped, and uses full jitter", () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 1000, 60_000, () => 0.5)).toBe(4000);
    expect(backoffDelay(50, 1000, 60_000, () => 0.999)).toBe(59_940);
    expect(backoffDelay(5, 1000, 60_000, () => 0)).toBe(0);
  });

  it("reconnectDelay: quick after an established connection drops, exponential over failures to connect", () => {
    const top = () => 0.999;
    expect(reconnectDelay(true, 7, 1000, 60_000, top)).toEqual({ delayMs: 1999, failures: 0 });
    expect(reconnectDelay(true, 0, 1000, 60_000, () => 0)).toEqual({ delayMs: 1000, failures: 0 });
    let failures = 0;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const n = reconnectDelay(false, failures, 1000, 60_000, top);
      waits.push(n.delayMs);
      failures = n.failures;
    }
    expect(waits).toEqual([999, 1998, 3996, 7992, 15984, 31968, 59940, 59940]);
    expect(failures).toBe(8);
  });

  it("LineSplitter recovers after an over-long line that spans chunks", () => {
    const out: string[] = [];
    let tooLong = 0;
    const s = new LineSplitter(
      8,
      (l) => out.push(l),
      () => tooLong++,
    );
    s.push(Buffer.from("abcdef"));
    s.push(Buffer.from("ghijkl"));
    s.push(Buffer.from("mn\nok\n\n"));
    expect(out).toEqual(["ok"]);
    expect(tooLong).toBe(1);
  });
});
