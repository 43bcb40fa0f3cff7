// !status: queue counts, the last event seen, uptime, chat networks and sources.
import { defineCommand, z } from "../../core/commands.js";
import { UserError } from "../../core/errors.js";

export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s % 60}s`;
}

export default defineCommand({
  name: "status",
  summary: "queues, last event seen, uptime",
  args: z.object({}),
  async run(ctx) {
    if (!ctx.services.status) throw new UserError("Status is not available on this deployment.");
    const st = await ctx.services.status();
    const lines = [`**sunbeam-bot** up ${formatDuration(st.uptimeSeconds)}`];
    const gerrit = st.lastEvents.gerrit;
    lines.push(
      gerrit
        ? `Last Gerrit event: ${gerrit.kind} at ${gerrit.at} (${gerrit.id})`
        : "Last Gerrit event: none yet",
    );
    for (const [source, e] of Object.entries(st.lastEvents)) {
      if (source !== "gerrit") lines.push(`Last ${source} event: ${e.kind} at ${e.at}`);
    }
    // Only the queues with something in them are spelled out: nine idle queues are one word's news.
    const all = Object.entries(st.queues);
    const busy = all.filter(
      ([, c]) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.failed ?? 0) > 0,
    );
    const q = busy.map(
      ([name, c]) =>
        `${name} ${c.waiting ?? 0} waiting, ${c.active ?? 0} active, ${c.delayed ?? 0} delayed, ${c.failed ?? 0} failed`,
    );
    const idle = all.length - busy.length;
    if (busy.length === 0) lines.push(`Queues: all ${all.length} idle`);
    else lines.push(`Queues: ${q.join("; ")}${idle > 0 ? `; ${idle} more idle` : ""}`);
    const nets = Object.entries(st.networks).map(([n, up]) => `${n} ${up ? "connected" : "DISCONNECTED"}`);
    if (nets.length) lines.push(`Chat: ${nets.join(", ")}`);
    for (const s of st.sections) lines.push(`${s.title}: ${s.lines.join("; ")}`);
    if (ctx.services.subscriptions) {
      const { runtime, fromConfig } = await ctx.services.subscriptions.list(ctx.network, ctx.room);
      const here = [
        ...fromConfig.map((c) => `${c} [config]`),
        ...runtime.map((r) => `${r.project} (${r.events.join(", ") || "default events"}) [by ${r.by}]`),
      ];
      lines.push(`Relay here: ${here.length ? here.join("; ") : "nothing (try !subscribe <project>)"}`);
    }
    return lines.join("\n");
  },
});
