// The console adapter (embedded default): stdin lines are messages from one local user; output is printed.
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import {
  toPlainText,
  type ChatAdapter,
  type ChatMessage,
  type IncomingMessage,
  type SendOptions,
  type SentMessage,
} from "./adapter.js";

export interface ConsoleOptions {
  user: string;
  /** The room id typed lines belong to. */
  room: string;
  input?: Readable;
  output?: Writable;
  /** Called when the input closes (Ctrl-D, end of a pipe): the demo shuts down then. */
  onClose?: () => void;
}

export class ConsoleAdapter implements ChatAdapter {
  readonly network = "console";
  private rl: Interface | undefined;
  private seq = 0;
  private readonly sentIds = new Set<string>();
  private readonly startedAt = Date.now();

  constructor(private readonly opts: ConsoleOptions) {}

  async start(onMessage: (msg: IncomingMessage) => void | Promise<void>): Promise<void> {
    const input = this.opts.input ?? process.stdin;
    this.rl = createInterface({ input, terminal: false });
    this.rl.on("line", (line) => {
      const text = line.trim();
      if (!text) return;
      this.seq += 1;
      void onMessage({
        network: this.network,
        room: this.opts.room,
        user: this.opts.user,
        text,
        id: `${this.startedAt}-${this.seq}`,
        ts: Date.now(),
      });
    });
    this.rl.on("close", () => this.opts.onClose?.());
  }

  private write(prefix: string, message: ChatMessage, opts: SendOptions): SentMessage {
    if (opts.sendId) {
      if (this.sentIds.has(opts.sendId)) return { id: opts.sendId };
      this.sentIds.add(opts.sendId);
    }
    const out = this.opts.output ?? process.stdout;
    const thread = opts.thread ? ` (thread ${opts.thread})` : "";
    const lines = toPlainText(message.text).split("\n");
    out.write(`${prefix}${thread} ${lines.join(`\n${" ".repeat(prefix.length + 1)}`)}\n`);
    return { id: opts.sendId ?? `console-${Date.now()}` };
  }

  async send(room: string, message: ChatMessage, opts: SendOptions = {}): Promise<SentMessage> {
    return this.write(`[${room}]`, message, opts);
  }

  async sendDirect(user: string, message: ChatMessage, opts: SendOptions = {}): Promise<SentMessage> {
    return this.write(`[dm ${user}]`, message, opts);
  }

  async stop(): Promise<void> {
    this.rl?.close();
    this.rl = undefined;
  }

  isConnected(): boolean {
    return this.rl !== undefined;
  }
}
