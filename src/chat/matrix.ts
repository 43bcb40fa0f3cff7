// The Matrix adapter (matrix-js-sdk): resumable sync, m.text in / m.notice out, threads, DMs, rate limits.
import {
  ClientEvent,
  createClient,
  EventType,
  MatrixError,
  Method,
  Preset,
  RoomEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from "matrix-js-sdk";
import { z } from "zod";
import type { ChatAdapter, ChatMessage, IncomingMessage, SendOptions, SentMessage } from "./adapter.js";
import {
  classifyMatrixError,
  incomingFromEvent,
  noticeContent,
  ResumingStore,
  routeSdkRootLogger,
  sdkLogger,
  txnIdFor,
} from "./matrix-sdk.js";
import type { Logger } from "../core/log.js";
import { errorMessage } from "../core/errors.js";

export {
  classifyMatrixError,
  noticeContent,
  passwordLogin,
  stripReplyFallback,
  txnIdFor,
} from "./matrix-sdk.js";

/** Where the sync position lives between runs (the lead backs it with Redis). */
export interface SyncStore {
  get(): Promise<string | undefined>;
  set(token: string): Promise<void>;
}

export interface MatrixOptions {
  homeserver: string;
  userId: string;
  accessToken: string;
  deviceId?: string;
  /** Room ids or aliases to join at start. */
  rooms?: string[];
  /** Users whose invites are accepted; other invites are ignored. */
  inviteAllowList?: string[];
  /** Other bots: their messages are delivered with fromBot set. */
  ignoreUsers?: string[];
  syncStore: SyncStore;
  log: Logger;
  /** Long-poll timeout of /sync (SDK default 30 s). */
  pollTimeoutMs?: number;
  /** start() fails when the first sync has not completed by then (default 60 s): the SDK would retry forever. */
  startTimeoutMs?: number;
}

export class MatrixAdapter implements ChatAdapter {
  readonly network = "matrix";
  readonly threads = true;
  private client: MatrixClient | undefined;
  /** False until the first sync is done on a first start: the initial sync is history, never answered. */
  private live = false;
  private syncState: SyncState | null = null;
  private readonly encryptedRooms = new Set<string>();
  /**
   * When the bot joined a room it was not in (ms): the room's timeline served on joining is history from
   * before that, never answered, though it arrives in a live sync.
   */
  private readonly joinedAt = new Map<string, number>();
  private readonly aliases = new Map<string, string>();
  private readonly dmRooms = new Map<string, Promise<string>>();
  private readonly inFlight = new Set<Promise<void>>();
  private persisted: Promise<void> = Promise.resolve();
  /** Set when a message was handed over from a sync whose completion (and token) has not been seen yet. */
  private unsynced = false;
  private syncWaiters: (() => void)[] = [];

  constructor(private readonly opts: MatrixOptions) {}

  async start(onMessage: (msg: IncomingMessage) => void | Promise<void>): Promise<void> {
    const o = this.opts;
    routeSdkRootLogger(o.log.child({ sdk: "matrix" }));
    const since = await o.syncStore.get();
    const client = createClient({
      baseUrl: o.homeserver,
      accessToken: o.accessToken,
      userId: o.userId,
      ...(o.deviceId ? { deviceId: o.deviceId } : {}),
      store: new ResumingStore(since),
      logger: sdkLogger(o.log.child({ sdk: "matrix" })),
      disableVoip: true,
    });
    this.client = client;
    // With a stored token every synced event is new; without one the first sync is history.
    this.live = since !== undefined;
    client.on(RoomEvent.Timeline, (event, room, toStart) => {
      if (!toStart && room) this.onTimeline(event, room, onMessage);
    });
    client.on(RoomEvent.MyMembership, (room, membership) => this.onMembership(room, membership));
    let ready = false;
    const prepared = new Promise<void>((resolve, reject) => {
      client.on(ClientEvent.Sync, (state, _prev, data) => {
        this.syncState = state;
        if (state === SyncState.Prepared) {
          ready = true;
          resolve();
        }
        // Before the first sync, a failing homeserver or a bad token fails start() instead of hanging.
        if (state === SyncState.Error && !ready) reject(data?.error ?? new Error("matrix: sync failed"));
        if (state !== SyncState.Prepared && state !== SyncState.Syncing) return;
        this.live = true;
        if (data?.nextSyncToken && !data.fromCache) this.persist(data.nextSyncToken);
        this.unsynced = false;
        for (const w of this.syncWaiters.splice(0)) w();
      });
    });
    // Handled below through the race; this only stops an early rejection counting as unhandled.
    prepared.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const ms = o.startTimeoutMs ?? 60_000;
      timer = setTimeout(() => reject(new Error(`matrix: no sync with ${o.homeserver} within ${ms} ms`)), ms);
    });
    // startClient() itself waits for /versions without a timeout, so it is part of the race.
    const started = client.startClient({
      initialSyncLimit: 1,
      disablePresence: true,
      pollTimeout: o.pollTimeoutMs ?? 30_000,
    });
    try {
      await Promise.race([started.then(() => prepared), timeout]);
    } catch (err) {
      client.stopClient();
      client.removeAllListeners();
      this.client = undefined;
      // A startClient() still waiting would start a sync loop once it returns: stop that one too.
      void started.then(
        () => client.stopClient(),
        () => undefined,
      );
      throw err;
    } finally {
      clearTimeout(timer);
    }
    for (const room of o.rooms ?? []) {
      try {
        // On a first start a configured room may be new to the bot; on a resumed one it was joined before
        // (and the store holds no room list to tell), so only a first start marks the join.
        const at = Date.now();
        if (since === undefined) this.joinedAt.set(room, at);
        const joined = await client.joinRoom(room);
        if (since === undefined) this.joinedAt.set(joined.roomId, at);
        if (joined.roomId !== room) this.aliases.set(room, joined.roomId);
      } catch (err) {
        o.log.error({ room, err: errorMessage(err) }, "matrix: could not join room");
      }
    }
    o.log.info({ userId: o.userId, resumed: since !== undefined }, "matrix connected");
  }

  /** Stores the sync position once the messages it covers have been handed over. */
  private persist(token: string): void {
    const waitFor = [...this.inFlight];
    this.persisted = this.persisted
      .then(() => Promise.allSettled(waitFor))
      .then(() => this.opts.syncStore.set(token))
      .catch((err: unknown) =>
        this.opts.log.warn({ err: errorMessage(err) }, "matrix: could not store sync token"),
      );
  }

  private onTimeline(
    event: MatrixEvent,
    room: Room,
    onMessage: (m: IncomingMessage) => void | Promise<void>,
  ) {
    const type = event.getType();
    if (type === EventType.RoomMessageEncrypted) {
      if (!this.encryptedRooms.has(room.roomId)) {
        this.encryptedRooms.add(room.roomId);
        this.opts.log.warn({ room: room.roomId }, "matrix: cannot read encrypted room (no E2EE in v1)");
      }
      return;
    }
    if (type !== EventType.RoomMessage || !this.live) return;
    const sender = event.getSender();
    const id = event.getId();
    if (!sender || !id || sender === this.opts.userId) return;
    if (event.getTs() < (this.joinedAt.get(room.roomId) ?? 0)) return;
    const ev = { sender, id, ts: event.getTs(), content: event.getContent() };
    const msg = incomingFromEvent(ev, room.roomId, this.opts.ignoreUsers ?? []);
    if (!msg) return;
    const p = (async () => {
      try {
        await onMessage(msg);
      } catch (err) {
        this.opts.log.error({ err: errorMessage(err), room: msg.room }, "matrix message handler failed");
      }
    })();
    this.unsynced = true;
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private onMembership(room: Room, membership: string): void {
    if (membership !== "invite") return;
    const inviter = room.getMember(this.opts.userId)?.events.member?.getSender() ?? room.getDMInviter();
    if (!inviter || !(this.opts.inviteAllowList ?? []).includes(inviter)) {
      this.opts.log.info(
        { room: room.roomId, inviter },
        "matrix: ignoring invite from a user not on the allow-list",
      );
      return;
    }
    this.joinedAt.set(room.roomId, Date.now());
    this.client?.joinRoom(room.roomId).then(
      () => this.opts.log.info({ room: room.roomId, inviter }, "matrix: accepted invite"),
      (err: unknown) =>
        this.opts.log.warn({ room: room.roomId, err: errorMessage(err) }, "matrix: join failed"),
    );
  }

  private requireClient(): MatrixClient {
    if (!this.client) throw new Error("matrix adapter not started");
    return this.client;
  }

  async send(room: string, message: ChatMessage, opts: SendOptions = {}): Promise<SentMessage> {
    const client = this.requireClient();
    const roomId = this.aliases.get(room) ?? room;
    const txnId = opts.sendId ? txnIdFor(opts.sendId) : client.makeTxnId();
    const path = `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`;
    try {
      // Straight PUT, not sendEvent(): no local echo or scheduler that could resend under another txn id.
      const res = await client.http.authedRequest<{ event_id: string }>(
        Method.Put,
        path,
        undefined,
        noticeContent(message.text, opts.thread),
        // A send that never gets an answer would hold the room's sender forever: give up, let the queue
        // retry under the same txn id (the homeserver deduplicates it).
        { localTimeoutMs: 30_000, priority: "auto" },
      );
      return { id: res.event_id };
    } catch (err) {
      throw classifyMatrixError(err);
    }
  }

  async sendDirect(user: string, message: ChatMessage, opts: SendOptions = {}): Promise<SentMessage> {
    let room = this.dmRooms.get(user);
    if (!room) {
      // One lookup per user at a time: two DMs at once must not create two rooms.
      room = this.findOrCreateDm(user);
      this.dmRooms.set(user, room);
      room.catch(() => this.dmRooms.delete(user));
    }
    return this.send(await room, message, opts);
  }

  /** The DM room from m.direct that the bot is still in, or a new one recorded in m.direct. */
  private async findOrCreateDm(user: string): Promise<string> {
    const client = this.requireClient();
    try {
      // Straight from the server: after a resumed sync the SDK's cache has no account data.
      const path = `/user/${encodeURIComponent(this.opts.userId)}/account_data/${EventType.Direct}`;
      const raw = await client.http.authedRequest<unknown>(Method.Get, path).catch((err: unknown) => {
        if (err instanceof MatrixError && err.errcode === "M_NOT_FOUND") return {};
        throw err;
      });
      const direct = z.record(z.string(), z.array(z.string())).catch({}).parse(raw);
      const { joined_rooms: joined } = await client.getJoinedRooms();
      const existing = (direct[user] ?? []).find((r) => joined.includes(r));
      if (existing) return existing;
      const { room_id: roomId } = await client.createRoom({
        is_direct: true,
        invite: [user],
        preset: Preset.TrustedPrivateChat,
      });
      await client.setAccountData(EventType.Direct, { ...direct, [user]: [...(direct[user] ?? []), roomId] });
      this.opts.log.info({ user, room: roomId }, "matrix: created DM room");
      return roomId;
    } catch (err) {
      throw classifyMatrixError(err);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    // Let the sync that delivered the last messages finish, so its token is stored and a restart skips them.
    if (client && this.unsynced)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        this.syncWaiters.push(() => (clearTimeout(timer), resolve()));
      });
    this.client = undefined;
    client?.stopClient();
    client?.removeAllListeners();
    await Promise.allSettled([...this.inFlight]);
    await this.persisted;
    this.syncState = null;
  }

  isConnected(): boolean {
    const s = this.syncState;
    return (
      this.client !== undefined &&
      (s === SyncState.Prepared || s === SyncState.Syncing || s === SyncState.Catchup)
    );
  }
}
