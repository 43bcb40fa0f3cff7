// Relay handler: renders a Gerrit event and buffers it for every room whose filter accepts it.
import type { GerritEvent } from "../../core/events.js";
import type { ChatTarget, Outbox } from "../../chat/outbox.js";
import { renderGerritEvent, type RenderOptions } from "./render-gerrit.js";
import { ruleMatches, type ResolvedRule } from "./filter.js";
import type { BufferedLine } from "./digest.js";
import { renderDigest } from "./digest.js";
import type { Handler } from "../../core/worker.js";

export interface RelayWindow {
  /** Window length; 0 posts every event at once. */
  ms: number;
  buffer: { add(room: string, line: BufferedLine): Promise<void> };
  /** Schedules the flush of a room's buffer for the window that is open now (deduplicated by job id). */
  scheduleFlush(key: string, target: ChatTarget, now: number): Promise<void>;
}

export interface AnnounceDeps {
  rules(): Promise<ResolvedRule[]>;
  render: RenderOptions;
  outbox: Outbox;
  window: RelayWindow;
}

export function changeKey(e: GerritEvent): string | undefined {
  return e.change?.number !== undefined ? `${e.project ?? "?"}~${e.change.number}` : undefined;
}

export function announceGerrit(deps: AnnounceDeps): Handler<"relay"> {
  return async (event, ctx) => {
    if (event.source !== "gerrit") return;
    const e: GerritEvent = event;
    const rendered = renderGerritEvent(e, deps.render);
    if (!rendered) {
      ctx.log.debug({ kind: e.kind }, "not relay-worthy");
      return;
    }
    const seen = new Set<string>();
    const change = changeKey(e);
    const line: BufferedLine = {
      createdOn: e.createdOn ?? 0,
      eventId: e.id,
      text: rendered.text,
      ...(change ? { change } : {}),
    };
    for (const rule of await deps.rules()) {
      if (seen.has(rule.key) || !ruleMatches(rule, e, rendered.kind)) continue;
      seen.add(rule.key);
      if (deps.window.ms > 0) {
        await deps.window.buffer.add(rule.key, line);
        // Computed after the write: the flush scheduled now runs after the write, so the line is never stranded.
        await deps.window.scheduleFlush(rule.key, rule.target, Date.now());
      } else {
        const d = renderDigest([line]);
        if (d)
          await deps.outbox.post(
            { ...rule.target, ...(d.threadKey ? { threadKey: d.threadKey } : {}) },
            { text: d.text },
            `relay:${e.id}:${rule.key}`,
          );
      }
    }
    ctx.log.debug({ rooms: [...seen] }, "relayed");
  };
}
