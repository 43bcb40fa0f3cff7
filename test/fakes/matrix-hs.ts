// A minimal Matrix homeserver (node:http on 127.0.0.1): login, /sync long-poll, send with txn ids, join, DMs, 429s.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface HsEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
}

export interface SentRecord {
  roomId: string;
  type: string;
  txnId: string;
  eventId: string;
  content: Record<string, unknown>;
}

interface Item {
  pos: number;
  roomId?: string;
  event?: HsEvent;
  invite?: { roomId: string; inviter: string };
  accountType?: string;
}

export interface FakeHomeserverOptions {
  userId?: string;
  accessToken?: string;
  deviceId?: string;
  password?: string;
}

export class FakeHomeserver {
  readonly userId: string;
  readonly accessToken: string;
  readonly sent: SentRecord[] = [];
  readonly createdRooms: { roomId: string; body: Record<string, unknown> }[] = [];
  readonly requests: string[] = [];
  readonly accountData = new Map<string, Record<string, unknown>>();
  private readonly rooms = new Map<string, { joined: boolean; state: HsEvent[]; history: HsEvent[] }>();
  private readonly items: Item[] = [];
  private readonly txns = new Map<string, string>();
  /** When true, sends are stored (and deduplicated) but never answered. */
  stallSends = false;
  private readonly rateLimits: number[] = [];
  private pos = 0;
  private seq = 0;
  private wakers: (() => void)[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private port_ = 0;
  private closed = false;

  private constructor(private readonly opts: FakeHomeserverOptions) {
    this.userId = opts.userId ?? "@sunbeam:fake.local";
    this.accessToken = opts.accessToken ?? "syt_fake_access_token";
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((err: unknown) => {
          if (!res.headersSent) this.json(res, 500, { errcode: "M_UNKNOWN", error: String(err) });
        });
      });
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  static async start(opts: FakeHomeserverOptions = {}): Promise<FakeHomeserver> {
    const hs = new FakeHomeserver(opts);
    await new Promise<void>((resolve) => hs.server.listen(0, "127.0.0.1", () => resolve()));
    const addr = hs.server.address();
    hs.port_ = typeof addr === "object" && addr ? addr.port : 0;
    return hs;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port_}`;
  }

  /** Creates a room (with the bot joined unless told otherwise). */
  addRoom(roomId: string, joined = true): void {
    if (this.rooms.has(roomId)) return;
    const create = this.event("m.room.create", "@admin:fake.local", { creator: "@admin:fake.local" }, "");
    this.rooms.set(roomId, { joined: false, state: [create], history: [] });
    if (joined) this.join(roomId);
  }

  /**
   * A message from someone in a room: appears in the next /sync. Returns its event id. `originServerTs`
   * dates it in the past (history). In a room the bot has not joined yet, it is history the bot gets in
   * the room's timeline on its first sync after joining, as Synapse serves a newly joined room.
   */
  inject(
    roomId: string,
    sender: string,
    content: Record<string, unknown>,
    type = "m.room.message",
    opts: { originServerTs?: number } = {},
  ): string {
    this.addRoom(roomId);
    const ev = this.event(type, sender, content);
    if (opts.originServerTs !== undefined) ev.origin_server_ts = opts.originServerTs;
    const room = this.rooms.get(roomId);
    if (room && !room.joined) room.history.push(ev);
    else this.push({ roomId, event: ev });
    return ev.event_id;
  }

  /** An invite for the bot to a room, from `inviter`. */
  invite(roomId: string, inviter: string): void {
    if (!this.rooms.has(roomId)) this.addRoom(roomId, false);
    this.push({ invite: { roomId, inviter } });
  }

  /** The next `count` sends answer 429 M_LIMIT_EXCEEDED with this retry_after_ms. */
  rateLimitSends(count: number, retryAfterMs: number): void {
    for (let i = 0; i < count; i++) this.rateLimits.push(retryAfterMs);
  }

  isJoined(roomId: string): boolean {
    return this.rooms.get(roomId)?.joined ?? false;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private event(type: string, sender: string, content: Record<string, unknown>, stateKey?: string): HsEvent {
    this.seq += 1;
    const ev: HsEvent = { event_id: `$e${this.seq}`, type, sender, origin_server_ts: Date.now(), content };
    if (stateKey !== undefined) ev.state_key = stateKey;
    return ev;
  }

  private push(item: Omit<Item, "pos">): void {
    this.pos += 1;
    this.items.push({ ...item, pos: this.pos });
    this.wake();
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  private join(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room || room.joined) return;
    room.joined = true;
    // The newly joined room's recent timeline (Synapse's default sync filter: up to 10 events).
    for (const ev of room.history.splice(0).slice(-10)) this.push({ roomId, event: ev });
    const member = this.event("m.room.member", this.userId, { membership: "join" }, this.userId);
    room.state.push(member);
    this.push({ roomId, event: member });
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  /** The /sync response for everything after `since` (all joined rooms' state on an initial sync). */
  private syncBody(since: number | undefined): Record<string, unknown> {
    const join: Record<
      string,
      { timeline: { events: HsEvent[]; limited: boolean }; state: { events: HsEvent[] } }
    > = {};
    const invite: Record<string, unknown> = {};
    const account = new Set<string>();
    const after = this.items.filter((i) => since === undefined || i.pos > since);
    for (const item of after) {
      if (item.accountType) account.add(item.accountType);
      if (item.invite) {
        const { roomId, inviter } = item.invite;
        if (this.rooms.get(roomId)?.joined) continue;
        const state = [
          { type: "m.room.create", sender: "@admin:fake.local", state_key: "", content: {} },
          {
            type: "m.room.member",
            sender: inviter,
            state_key: this.userId,
            content: { membership: "invite" },
          },
        ];
        invite[roomId] = { invite_state: { events: state } };
      }
      if (!item.roomId || !item.event || !this.rooms.get(item.roomId)?.joined) continue;
      const room = (join[item.roomId] ??= {
        timeline: { events: [], limited: false },
        state: { events: [] },
      });
      room.timeline.events.push(item.event);
    }
    if (since === undefined) for (const t of this.accountData.keys()) account.add(t);
    for (const [roomId, room] of Object.entries(join)) {
      // Give the room's earlier state (the create event) to a client that has not seen it yet.
      const inTimeline = new Set(room.timeline.events.map((e) => e.event_id));
      room.state.events = (this.rooms.get(roomId)?.state ?? []).filter((e) => !inTimeline.has(e.event_id));
    }
    return {
      next_batch: `s${this.pos}`,
      rooms: { join, invite, leave: {} },
      account_data: {
        events: [...account].map((type) => ({ type, content: this.accountData.get(type) ?? {} })),
      },
    };
  }

  private async sync(res: ServerResponse, q: URLSearchParams): Promise<void> {
    const sinceRaw = q.get("since");
    const since = sinceRaw ? Number(/^s(\d+)$/.exec(sinceRaw)?.[1] ?? NaN) : undefined;
    if (since !== undefined && Number.isNaN(since))
      return this.json(res, 400, { errcode: "M_INVALID_PARAM", error: "bad since" });
    const timeout = Math.min(Number(q.get("timeout") ?? 0) || 0, 30_000);
    if (since !== undefined && since >= this.pos && timeout > 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeout);
        this.wakers.push(() => (clearTimeout(timer), resolve()));
      });
    }
    this.json(res, 200, this.syncBody(since));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const u = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    const path = u.pathname.replace(/^\/_matrix\/client/, "");
    this.requests.push(`${method} ${path}`);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    if (path === "/versions")
      return this.json(res, 200, { versions: ["v1.1", "v1.5", "v1.11"], unstable_features: {} });
    if (path === "/v3/login" && method === "GET")
      return this.json(res, 200, { flows: [{ type: "m.login.password" }] });
    if (path === "/v3/login") {
      const ident = body.identifier as { user?: string } | undefined;
      const user = ident?.user ?? "";
      const known = user === this.userId || `@${user}:fake.local` === this.userId;
      if (!known || body.password !== (this.opts.password ?? "secret"))
        return this.json(res, 403, { errcode: "M_FORBIDDEN", error: "Invalid username or password" });
      const device = this.opts.deviceId ?? "FAKEDEVICE";
      return this.json(res, 200, { access_token: this.accessToken, user_id: this.userId, device_id: device });
    }
    const token =
      (req.headers.authorization ?? "").replace(/^Bearer /, "") || u.searchParams.get("access_token");
    if (token !== this.accessToken)
      return this.json(res, 401, { errcode: "M_UNKNOWN_TOKEN", error: "bad token" });

    const userPath = `/v3/user/${encodeURIComponent(this.userId)}`;
    let m: RegExpExecArray | null;
    if (path === "/v3/account/whoami")
      return this.json(res, 200, { user_id: this.userId, device_id: this.opts.deviceId ?? "FAKEDEVICE" });
    if (path === "/v3/sync") return this.sync(res, u.searchParams);
    if (path === "/v3/pushrules/") return this.json(res, 200, { global: {} });
    if (path === "/v3/capabilities") return this.json(res, 200, { capabilities: {} });
    if (path === "/v3/joined_rooms")
      return this.json(res, 200, {
        joined_rooms: [...this.rooms].filter(([, r]) => r.joined).map(([id]) => id),
      });
    if (path === `${userPath}/filter` && method === "POST") return this.json(res, 200, { filter_id: "f1" });
    if (path.startsWith(`${userPath}/filter/`)) return this.json(res, 200, {});
    if ((m = /^\/v3\/user\/[^/]+\/account_data\/([^/]+)$/.exec(path))) {
      const type = decodeURIComponent(m[1] ?? "");
      if (method === "PUT") {
        this.accountData.set(type, body);
        this.push({ accountType: type });
        return this.json(res, 200, {});
      }
      const content = this.accountData.get(type);
      return content
        ? this.json(res, 200, content)
        : this.json(res, 404, { errcode: "M_NOT_FOUND", error: "no account data" });
    }
    if ((m = /^\/v3\/rooms\/([^/]+)\/send\/([^/]+)\/([^/]+)$/.exec(path)) && method === "PUT") {
      const [roomId, type, txnId] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s ?? ""));
      const retry = this.rateLimits.shift();
      if (retry !== undefined)
        return this.json(res, 429, {
          errcode: "M_LIMIT_EXCEEDED",
          error: "Too many requests",
          retry_after_ms: retry,
        });
      if (!this.rooms.get(roomId!)?.joined)
        return this.json(res, 403, { errcode: "M_FORBIDDEN", error: "not in room" });
      // Transaction ids are scoped to the access token: a repeat returns the first event id, posts nothing.
      const key = `${token}|${txnId}`;
      const earlier = this.txns.get(key);
      if (earlier) return this.json(res, 200, { event_id: earlier });
      const ev = this.event(type!, this.userId, body);
      this.txns.set(key, ev.event_id);
      this.sent.push({ roomId: roomId!, type: type!, txnId: txnId!, eventId: ev.event_id, content: body });
      this.push({ roomId: roomId!, event: ev });
      // The event is stored, but the answer never leaves: as when the client dies mid-request.
      if (this.stallSends) return;
      return this.json(res, 200, { event_id: ev.event_id });
    }
    if ((m = /^\/v3\/join\/([^/]+)$|^\/v3\/rooms\/([^/]+)\/join$/.exec(path)) && method === "POST") {
      const roomId = decodeURIComponent(m[1] ?? m[2] ?? "");
      if (!this.rooms.has(roomId))
        return this.json(res, 404, { errcode: "M_NOT_FOUND", error: "no such room" });
      this.join(roomId);
      return this.json(res, 200, { room_id: roomId });
    }
    if (path === "/v3/createRoom" && method === "POST") {
      this.seq += 1;
      const roomId = `!dm${this.seq}:fake.local`;
      this.createdRooms.push({ roomId, body });
      this.addRoom(roomId);
      return this.json(res, 200, { room_id: roomId });
    }
    return this.json(res, 404, { errcode: "M_UNRECOGNIZED", error: `fake homeserver: ${method} ${path}` });
  }
}
