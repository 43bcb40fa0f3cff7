// An in-memory adapter: what tests and the benchmark use as a chat network with no network.
import type { ChatAdapter, ChatMessage, IncomingMessage, SendOptions, SentMessage } from "./adapter.js";

export interface Recorded {
  id: string;
  room: string;
  text: string;
  thread?: string;
  direct?: boolean;
  at: number;
}

export class MemoryAdapter implements ChatAdapter {
  readonly sent: Recorded[] = [];
  private onMessage: ((m: IncomingMessage) => void | Promise<void>) | undefined;
  private readonly sentIds = new Set<string>();
  private waiters: { n: number; resolve: () => void }[] = [];
  /** Set by a test to make the next sends fail (a flaky network). */
  failNext = 0;

  constructor(
    readonly network = "memory",
    readonly threads = false,
  ) {}

  async start(onMessage: (m: IncomingMessage) => void | Promise<void>): Promise<void> {
    this.onMessage = onMessage;
  }

  /** Delivers a message as if a user typed it. */
  async inject(m: Partial<IncomingMessage> & { text: string }): Promise<void> {
    await this.onMessage?.({
      network: this.network,
      room: "room",
      user: "tester",
      id: `m${Math.random()}`,
      ts: Date.now(),
      ...m,
    });
  }

  private record(r: Omit<Recorded, "at" | "id">, opts: SendOptions): SentMessage {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error("memory adapter: simulated send failure");
    }
    if (opts.sendId) {
      if (this.sentIds.has(opts.sendId)) return { id: opts.sendId };
      this.sentIds.add(opts.sendId);
    }
    const id = opts.sendId ?? `mem-${this.sent.length + 1}`;
    this.sent.push({ ...r, id, at: Date.now() });
    this.waiters = this.waiters.filter((w) => (this.sent.length >= w.n ? (w.resolve(), false) : true));
    return { id };
  }

  async send(room: string, message: ChatMessage, opts: SendOptions = {}): Promise<SentMessage> {
    return this.record({ room, text: message.text, ...(opts.thread ? { thread: opts.thread } : {}) }, opts);
  }

  async sendDirect(user: string, message: ChatMessage, opts: SendOptions = {}): Promise<SentMessage> {
    return this.record({ room: user, text: message.text, direct: true }, opts);
  }

  /** Resolves once at least n messages have been sent. */
  waitForSent(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.sent.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${n} messages (have ${this.sent.length})`)),
        timeoutMs,
      );
      this.waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async stop(): Promise<void> {
    this.onMessage = undefined;
  }

  isConnected(): boolean {
    return this.onMessage !== undefined;
  }
}
