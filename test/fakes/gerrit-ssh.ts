// A fake Gerrit SSH server (real ssh2 protocol on 127.0.0.1) that serves `gerrit stream-events` lines a test feeds it.
import { timingSafeEqual } from "node:crypto";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import ssh2 from "ssh2";
import type { ServerChannel } from "ssh2";
import { sshFingerprint } from "../../src/integrations/gerrit/stream.js";

const { Server, utils } = ssh2;

export interface KeyPair {
  private: string;
  public: string;
}

export function generateKeyPair(): KeyPair {
  // ssh2's keygen writes a malformed key now and then (a key starting with a zero byte loses it,
  // about 1 in 250 here): regenerate until ssh2 itself can read both halves back.
  for (;;) {
    const pair = utils.generateKeyPairSync("ed25519");
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) {
      return pair;
    }
  }
}

/** The `SHA256:…` fingerprint of a private or public key, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(key: string): string {
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error) throw parsed;
  return sshFingerprint(parsed.getPublicSSH());
}

export interface FakeGerritSshOptions {
  /** OpenSSH public key line of the one key allowed to log in. */
  clientPublicKey: string;
  user?: string;
  /** Host private key; a fresh ed25519 key when omitted. */
  hostKey?: string;
}

export class FakeGerritSsh {
  readonly hostKey: string;
  readonly hostFingerprint: string;
  /** Every exec command received, accepted or not. */
  readonly commands: string[] = [];
  authFailures = 0;
  /** Total stream-events sessions ever opened. */
  sessionsOpened = 0;
  private readonly streams = new Set<ServerChannel>();
  private readonly sockets = new Set<Socket>();
  private readonly waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];
  private readonly net: NetServer;
  private port_ = 0;

  private constructor(opts: FakeGerritSshOptions) {
    this.hostKey = opts.hostKey ?? generateKeyPair().private;
    this.hostFingerprint = fingerprintOf(this.hostKey);
    const allowed = utils.parseKey(opts.clientPublicKey);
    if (allowed instanceof Error) throw allowed;
    const allowedBlob = allowed.getPublicSSH();
    const user = opts.user ?? "sunbeam-bot";
    const ssh = new Server({ hostKeys: [this.hostKey] }, (conn) => {
      conn.on("error", () => undefined);
      conn.on("authentication", (ctx) => {
        const ok =
          ctx.method === "publickey" &&
          ctx.username === user &&
          ctx.key.algo === allowed.type &&
          ctx.key.data.length === allowedBlob.length &&
          timingSafeEqual(ctx.key.data, allowedBlob) &&
          (!ctx.signature || !ctx.blob || allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true);
        if (ok) return ctx.accept();
        if (ctx.method === "publickey") this.authFailures++;
        return ctx.reject(["publickey"]);
      });
      conn.on("ready", () => {
        conn.on("session", (acceptSession) => {
          const session = acceptSession();
          session.on("exec", (accept, _reject, info) => {
            this.commands.push(info.command);
            if (info.command.trim() !== "gerrit stream-events") {
              // Real Gerrit answers unknown commands on stderr with exit status 1.
              const ch = accept();
              ch.stderr.write(`fatal: "${info.command}" is not a supported command here\n`);
              ch.exit(1);
              ch.end();
              return;
            }
            const ch = accept();
            this.streams.add(ch);
            this.sessionsOpened++;
            ch.on("close", () => this.streams.delete(ch));
            ch.on("error", () => this.streams.delete(ch));
            // A client that dies (SIGKILL) closes the TCP connection without closing its channel.
            conn.once("close", () => this.streams.delete(ch));
            this.notify();
          });
        });
      });
    });
    // Own the TCP sockets so dropAll() can kill connections abruptly, like a network failure.
    this.net = createServer((sock) => {
      this.sockets.add(sock);
      sock.on("close", () => this.sockets.delete(sock));
      sock.on("error", () => undefined);
      // Without this, Nagle + delayed ACKs add ~40 ms to each handshake round trip on loopback.
      sock.setNoDelay(true);
      ssh.injectSocket(sock);
    });
  }

  static async start(opts: FakeGerritSshOptions): Promise<FakeGerritSsh> {
    const f = new FakeGerritSsh(opts);
    await new Promise<void>((resolve, reject) => {
      f.net.once("error", reject);
      f.net.listen(0, "127.0.0.1", () => resolve());
    });
    const addr = f.net.address();
    f.port_ = typeof addr === "object" && addr ? addr.port : 0;
    return f;
  }

  get port(): number {
    return this.port_;
  }

  /** Open stream-events sessions right now. */
  get streamCount(): number {
    return this.streams.size;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Writes one line (a newline is added) to every open stream. */
  emit(line: string): void {
    this.sendRaw(`${line}\n`);
  }

  emitEvent(event: Record<string, unknown>): void {
    this.emit(JSON.stringify(event));
  }

  /** Writes bytes as they are (partial lines, several lines in one chunk). */
  sendRaw(data: string | Buffer): void {
    for (const s of this.streams) s.write(data);
  }

  sendDroppedOutput(eventCreatedOn = Math.floor(Date.now() / 1000)): void {
    this.emitEvent({ type: "dropped-output", eventCreatedOn });
  }

  sendGarbage(text = "}{ this is not json"): void {
    this.emit(text);
  }

  /** Kills every TCP connection at once, without an SSH goodbye. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
    this.streams.clear();
  }

  /** Resolves once at least `n` stream-events sessions are open. */
  waitForStreams(n: number): Promise<void> {
    return this.waitUntil(() => this.streams.size >= n);
  }

  /** Resolves once `n` stream-events sessions have been opened in total. */
  waitForSessions(n: number): Promise<void> {
    return this.waitUntil(() => this.sessionsOpened >= n);
  }

  private waitUntil(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ ready, resolve }));
  }

  private notify(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w?.ready()) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.net.close(() => resolve()));
  }
}
