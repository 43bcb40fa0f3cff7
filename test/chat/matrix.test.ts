// The Matrix adapter driven through the real matrix-js-sdk against the fake homeserver over HTTP.
import { createServer } from "node:http";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import type { IncomingMessage } from "../../src/chat/adapter.js";
import { MatrixAdapter, passwordLogin, txnIdFor, type SyncStore } from "../../src/chat/matrix.js";
import { PermanentError, RetryLaterError } from "../../src/core/errors.js";
import { validateConfig } from "../../src/app/config-load.js";
import { Bot } from "../../src/app/bot.js";
import { FakeHomeserver } from "../fakes/matrix-hs.js";
import { quietLogger, testConfig } from "../helpers/bot.js";
import { dropPrefix, randomPrefix } from "../helpers/redis.js";

const ROOM = "!ops:fake.local";
const ALICE = "@alice:fake.local";

function inbox() {
  const got: IncomingMessage[] = [];
  let waiters: { pred: (m: IncomingMessage) => boolean; resolve: (m: IncomingMessage) => void }[] = [];
  return {
    got,
    onMessage: (m: IncomingMessage) => {
      got.push(m);
      waiters = waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    },
    waitFor(pred: (m: IncomingMessage) => boolean): Promise<IncomingMessage> {
      const found = got.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    texts: () => got.map((m) => m.text),
  };
}

function memoryStore(): SyncStore & { token: string | undefined } {
  const s = {
    token: undefined as string | undefined,
    get: async () => s.token,
    set: async (t: string) => void (s.token = t),
  };
  return s;
}

/** A pino logger whose lines the test can read. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: "info" }, dest), lines };
}

const text = (body: string) => ({ msgtype: "m.text", body });

describe("matrix adapter", () => {
  let hs: FakeHomeserver;
  let adapters: MatrixAdapter[];
  let store: ReturnType<typeof memoryStore>;
  let logs: ReturnType<typeof capturedLog>;

  const startAdapter = async (extra: { inviteAllowList?: string[] } = {}) => {
    const box = inbox();
    const adapter = new MatrixAdapter({
      homeserver: hs.url,
      userId: hs.userId,
      accessToken: hs.accessToken,
      rooms: [ROOM],
      ignoreUsers: ["@zuul:fake.local"],
      syncStore: store,
      log: logs.log,
      ...extra,
    });
    adapters.push(adapter);
    await adapter.start(box.onMessage);
    return { adapter, box };
  };

  beforeEach(async () => {
    hs = await FakeHomeserver.start();
    hs.addRoom(ROOM, false);
    adapters = [];
    store = memoryStore();
    logs = capturedLog();
  });

  afterEach(async () => {
    for (const a of adapters) await a.stop();
    await hs.close();
  });

  it("answers only new messages, and replies as an m.notice in the command's thread", async () => {
    hs.addRoom(ROOM);
    hs.inject(ROOM, ALICE, text("!old-history"));
    const { adapter, box } = await startAdapter();
    expect(adapter.isConnected()).toBe(true);
    const root = hs.inject(ROOM, ALICE, text("let's talk about change 123"));
    const cmd = hs.inject(ROOM, ALICE, {
      ...text("!affected 123"),
      "m.relates_to": {
        rel_type: "m.thread",
        event_id: root,
        is_falling_back: true,
        "m.in_reply_to": { event_id: root },
      },
    });
    const m = await box.waitFor((x) => x.id === cmd);
    expect(m).toMatchObject({
      network: "matrix",
      room: ROOM,
      user: ALICE,
      text: "!affected 123",
      thread: root,
    });
    expect(box.texts()).not.toContain("!old-history");

    const sent = await adapter.send(
      ROOM,
      { text: "**keystone-k8s** affected: [change](https://review.opendev.org/c/123)\n- `a<b`" },
      { thread: m.thread, sendId: "reply:1" },
    );
    expect(hs.sent).toHaveLength(1);
    const rec = hs.sent[0]!;
    expect(sent.id).toBe(rec.eventId);
    expect(rec.txnId).toBe(txnIdFor("reply:1"));
    expect(rec.content).toEqual({
      msgtype: "m.notice",
      body: "keystone-k8s affected: change <https://review.opendev.org/c/123>\n- a<b",
      format: "org.matrix.custom.html",
      formatted_body:
        '<strong>keystone-k8s</strong> affected: <a href="https://review.opendev.org/c/123">change</a>' +
        "<ul><li><code>a&lt;b</code></li></ul>",
      "m.relates_to": {
        rel_type: "m.thread",
        event_id: root,
        is_falling_back: true,
        "m.in_reply_to": { event_id: root },
      },
    });
    // The bot's own notice comes back through /sync: it is never delivered.
    const marker = hs.inject(ROOM, ALICE, text("!marker"));
    await box.waitFor((x) => x.id === marker);
    expect(box.got.some((x) => x.user === hs.userId)).toBe(false);
  });

  it("marks m.notice and ignored bots fromBot, drops its own messages and edits, logs encrypted rooms once", async () => {
    const { box } = await startAdapter();
    const notice = hs.inject(ROOM, "@otherbot:fake.local", { msgtype: "m.notice", body: "!help" });
    const zuul = hs.inject(ROOM, "@zuul:fake.local", text("!help"));
    hs.inject(ROOM, hs.userId, text("!help"));
    hs.inject(ROOM, ALICE, {
      ...text("* !help"),
      "m.relates_to": { rel_type: "m.replace", event_id: notice },
    });
    hs.inject(ROOM, ALICE, { algorithm: "m.megolm.v1.aes-sha2", ciphertext: "x" }, "m.room.encrypted");
    hs.inject(ROOM, ALICE, { algorithm: "m.megolm.v1.aes-sha2", ciphertext: "y" }, "m.room.encrypted");
    const marker = hs.inject(ROOM, ALICE, text("!marker"));
    await box.waitFor((x) => x.id === marker);
    expect(box.got.map((x) => [x.id, x.fromBot ?? false])).toEqual([
      [notice, true],
      [zuul, true],
      [marker, false],
    ]);
    const warnings = logs.lines.filter((l) => String(l.msg).startsWith("matrix: cannot read encrypted room"));
    expect(warnings).toHaveLength(1);
  });

  it("resumes from the stored sync token: a restart neither re-answers nor misses messages", async () => {
    const first = await startAdapter();
    const one = hs.inject(ROOM, ALICE, text("!one"));
    await first.box.waitFor((x) => x.id === one);
    await first.adapter.stop();
    expect(store.token).toBeDefined();

    const missed = hs.inject(ROOM, ALICE, text("!while-down"));
    const second = await startAdapter();
    await second.box.waitFor((x) => x.id === missed);
    const marker = hs.inject(ROOM, ALICE, text("!marker"));
    await second.box.waitFor((x) => x.id === marker);
    expect(second.box.texts()).toEqual(["!while-down", "!marker"]);
  });

  it("turns M_LIMIT_EXCEEDED into RetryLaterError(retry_after_ms); the retried send id posts once", async () => {
    const { adapter } = await startAdapter();
    hs.rateLimitSends(1, 1234);
    const err = await adapter.send(ROOM, { text: "hello" }, { sendId: "job-7" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryLaterError);
    expect((err as RetryLaterError).retryAfterMs).toBe(1234);
    const a = await adapter.send(ROOM, { text: "hello" }, { sendId: "job-7" });
    const b = await adapter.send(ROOM, { text: "hello" }, { sendId: "job-7" });
    expect(b.id).toBe(a.id);
    expect(hs.sent).toHaveLength(1);
    await expect(adapter.send("!nowhere:fake.local", { text: "x" })).rejects.toBeInstanceOf(PermanentError);
  });

  it("finds or creates the DM room through m.direct", async () => {
    const { adapter } = await startAdapter();
    const carol = "@carol:fake.local";
    await adapter.sendDirect(carol, { text: "weekly summary" });
    await adapter.sendDirect(carol, { text: "again" });
    expect(hs.createdRooms).toHaveLength(1);
    const dm = hs.createdRooms[0]!;
    expect(dm.body).toMatchObject({ is_direct: true, invite: [carol] });
    expect(hs.accountData.get("m.direct")).toEqual({ [carol]: [dm.roomId] });
    expect(hs.sent.map((s) => s.roomId)).toEqual([dm.roomId, dm.roomId]);

    // A restarted bot finds the same room instead of opening another.
    await adapter.stop();
    const { adapter: again } = await startAdapter();
    await again.sendDirect(carol, { text: "third" });
    expect(hs.createdRooms).toHaveLength(1);
    expect(hs.sent.at(-1)?.roomId).toBe(dm.roomId);
  });

  it("accepts invites only from the allow-list", async () => {
    await startAdapter({ inviteAllowList: ["@ptl:fake.local"] });
    hs.invite("!spam:fake.local", "@stranger:fake.local");
    hs.invite("!team:fake.local", "@ptl:fake.local");
    const deadline = Date.now() + 10_000;
    while (!hs.isJoined("!team:fake.local") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(hs.isJoined("!team:fake.local")).toBe(true);
    expect(hs.isJoined("!spam:fake.local")).toBe(false);
  });

  it("fails start() on a bad access token instead of hanging", async () => {
    const adapter = new MatrixAdapter({
      homeserver: hs.url,
      userId: hs.userId,
      accessToken: "wrong",
      syncStore: store,
      log: logs.log,
    });
    adapters.push(adapter);
    await expect(adapter.start(() => undefined)).rejects.toThrow(/token/i);
    expect(adapter.isConnected()).toBe(false);
  });

  it("fails start() when the homeserver does not answer in time", async () => {
    // Accepts connections and never answers: the SDK alone would wait forever.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const addr = silent.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    const adapter = new MatrixAdapter({
      homeserver: `http://127.0.0.1:${port}`,
      userId: hs.userId,
      accessToken: hs.accessToken,
      syncStore: store,
      log: logs.log,
      startTimeoutMs: 300,
    });
    try {
      await expect(adapter.start(() => undefined)).rejects.toThrow(/no sync/);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("joins the configured rooms at start", async () => {
    expect(hs.isJoined(ROOM)).toBe(false);
    await startAdapter();
    expect(hs.isJoined(ROOM)).toBe(true);
  });
});

describe("matrix password login", () => {
  it("returns a token for the right password and a PermanentError for a wrong one", async () => {
    const hs = await FakeHomeserver.start({ password: "pw" });
    try {
      const res = await passwordLogin(hs.url, "sunbeam", "pw", pino({ level: "silent" }));
      expect(res).toEqual({ accessToken: hs.accessToken, deviceId: "FAKEDEVICE", userId: hs.userId });
      await expect(
        passwordLogin(hs.url, "sunbeam", "nope", pino({ level: "silent" })),
      ).rejects.toBeInstanceOf(PermanentError);
    } finally {
      await hs.close();
    }
  });
});

describe("matrix through the bot (real Redis and queues)", () => {
  it("answers a command in its thread; a 429 delays the reply, which still arrives exactly once", async () => {
    const prefix = randomPrefix();
    const hs = await FakeHomeserver.start();
    hs.addRoom(ROOM);
    const adapter = new MatrixAdapter({
      homeserver: hs.url,
      userId: hs.userId,
      accessToken: hs.accessToken,
      rooms: [ROOM],
      syncStore: memoryStore(),
      log: pino({ level: "silent" }),
    });
    const extra = {
      chat: { matrix: { homeserver: hs.url, userId: hs.userId, minIntervalMs: 0 } },
      rooms: { ops: { network: "matrix", id: ROOM } },
      roles: {},
      relay: [],
    };
    const bot = new Bot({
      loaded: validateConfig(testConfig(prefix, extra), { MATRIX_ACCESS_TOKEN: hs.accessToken }, "test"),
      log: quietLogger(),
      adapters: [adapter],
    });
    try {
      await bot.start();
      hs.rateLimitSends(1, 100);
      const root = hs.inject(ROOM, ALICE, text("about change 123"));
      hs.inject(ROOM, ALICE, { ...text("!help"), "m.relates_to": { rel_type: "m.thread", event_id: root } });
      const deadline = Date.now() + 10_000;
      while (hs.sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await bot.idle()).toBe(true);
      expect(hs.sent).toHaveLength(1);
      expect(hs.requests.filter((r) => r.startsWith("PUT /v3/rooms/"))).toHaveLength(2);
      const reply = hs.sent[0]!;
      expect(reply.roomId).toBe(ROOM);
      expect(reply.content).toMatchObject({ msgtype: "m.notice", "m.relates_to": { event_id: root } });
      expect(String(reply.content.body)).toContain("Commands");
    } finally {
      await bot.stop();
      await hs.close();
      await dropPrefix(prefix);
    }
  });
});
