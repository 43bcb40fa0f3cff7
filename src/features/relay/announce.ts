// Relay handler: renders a Gerrit event; for every room whose filter accepts it, the window's first event
// is posted at once and the ones that follow inside the window are buffered for one digest.
import type { GerritEvent } from "../../core/events.js";
import type { ChatTarget, Outbox } from "../../chat/outbox.js";
import { renderGerritEvent, type RenderOptions } from "./render-gerrit.js";
import { ruleMatches, type ResolvedRule } from "./filter.js";
import type { BufferedLine } from "./digest.js";
import { renderDigest } from "./digest.js";
import type { Entered } from "./buffer.js";
import type { Handler } from "../../core/worker.js";

export interface RelayWindow {
  /** Window length; 0 posts every event at once. */
  ms: number;
  buffer: { enter(room: string, line: BufferedLine, windowMs: number): Promise<Entered> };
  /** Schedules the flush of a room's window once it closes, msLeft from now (deduplicated by job id). */
  scheduleFlush(key: string, target: ChatTarget, window: number, msLeft: number): Promise<void>;
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

/** Whether any rule in force would announce the event: what the relay asks of intake (Feature.wants). */
export async function relayWants(
  rules: () => Promise<ResolvedRule[]>,
  e: GerritEvent,
  render: RenderOptions,
): Promise<boolean> {
  const rs = await rules();
  if (rs.length === 0) return false;
  const rendered = renderGerritEvent(e, render);
  return rendered !== null && rs.some((r) => ruleMatches(r, e, rendered.kind));
}

export function announceGerrit(deps: AnnounceDeps): Handler<"relay"> {
  const postNow = async (line: BufferedLine, target: ChatTarget, sendId: string) => {
    const d = renderDigest([line]);
    if (d)
      await deps.outbox.post(
        { ...target, ...(d.threadKey ? { threadKey: d.threadKey } : {}) },
        { text: d.text },
        sendId,
      );
  };
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
      // Within one second, the order the bot took events in (a gate report stays before its merge).
      arrivedAt: Date.now(),
      ...(change ? { change } : {}),
    };
    for (const rule of await deps.rules()) {
      if (seen.has(rule.key) || !ruleMatches(rule, e, rendered.kind)) continue;
      seen.add(rule.key);
      // The send id names the event and room: a re-run job posts the same message at most once.
      const sendId = `relay:${e.id}:${rule.key}`;
      if (deps.window.ms <= 0) {
        await postNow(line, rule.target, sendId);
        continue;
      }
      const entered = await deps.window.buffer.enter(rule.key, line, deps.window.ms);
      if (entered.lead) await postNow(line, rule.target, sendId);
      // Scheduled after the write: the flush runs after the line is in the buffer, so it is never stranded.
      else await deps.window.scheduleFlush(rule.key, rule.target, entered.window, entered.msLeft);
    }
    ctx.log.debug({ rooms: [...seen] }, "relayed");
  };
}
