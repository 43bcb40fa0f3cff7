// Flush handler: when a room's window closes, the lines that followed its first become one message.
// (FlushJob.bucket is the room's window number.)
import type { Outbox } from "../../chat/outbox.js";
import type { BufferedLine } from "./digest.js";
import { renderDigest } from "./digest.js";
import type { Handler } from "../../core/worker.js";

export interface FlushDeps {
  buffer: {
    claim(room: string, bucket: number): Promise<BufferedLine[]>;
    release(room: string, bucket: number): Promise<void>;
  };
  outbox: Outbox;
  /** A digest shows at most this many lines, the newest (bot.digestMaxLines). */
  maxLines?: number;
}

export function flushRelay(deps: FlushDeps): Handler<"relay-flush"> {
  return async (job, ctx) => {
    const lines = await deps.buffer.claim(job.key, job.bucket);
    const digest = renderDigest(lines, deps.maxLines);
    if (digest) {
      const target = { ...job.target, ...(digest.threadKey ? { threadKey: digest.threadKey } : {}) };
      // The send id names the room and window: a retried flush posts the same message at most once.
      await deps.outbox.post(target, { text: digest.text }, `relay-flush:${job.key}:${job.bucket}`);
    }
    await deps.buffer.release(job.key, job.bucket);
    ctx.log.debug({ room: job.key, lines: lines.length }, "flushed relay window");
  };
}
