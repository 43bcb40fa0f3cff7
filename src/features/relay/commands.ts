// !subscribe / !unsubscribe: change this room's Gerrit relay filter at run time (kept in Redis).
import { defineCommand, z } from "../../core/commands.js";
import type {} from "./services.js"; // CommandServices.subscriptions
import { UserError } from "../../core/errors.js";
import { DEFAULT_RELAY_KINDS, RELAY_KINDS } from "./kinds.js";
import { isChatPattern } from "./patterns.js";

const project = z
  .string()
  .max(200)
  .refine(isChatPattern, "must be a project name or a glob like openstack/* (no regex)");

export const subscribe = defineCommand({
  name: "subscribe",
  summary: "relay a Gerrit project's events to this room",
  usage: "<project|glob> [kind ...]",
  help: `Kinds: ${RELAY_KINDS.join(", ")}.\nWithout kinds: ${DEFAULT_RELAY_KINDS.join(", ")}. The subscription replaces this room's earlier one for the same project.`,
  args: z.object({ project, events: z.string().optional() }),
  positional: ["project", "events"],
  rest: true,
  permission: "core",
  async run(ctx, a) {
    const subs = ctx.services.subscriptions;
    if (!subs) throw new UserError("Subscriptions are not available on this deployment.");
    const events = (a.events ?? "").split(/[\s,]+/).filter(Boolean);
    const unknown = events.filter((e) => !(RELAY_KINDS as readonly string[]).includes(e));
    if (unknown.length)
      throw new UserError(
        `unknown event kind ${unknown.map((u) => `"${u}"`).join(", ")}; kinds: ${RELAY_KINDS.join(", ")}`,
      );
    await subs.add(ctx.network, ctx.room, {
      project: a.project,
      events,
      by: ctx.user,
      at: new Date().toISOString(),
    });
    return `This room now gets ${events.length ? events.join(", ") : "the default events"} for ${a.project}.`;
  },
});

export const unsubscribe = defineCommand({
  name: "unsubscribe",
  summary: "stop relaying a project (or every run-time subscription) to this room",
  usage: "[project]",
  args: z.object({ project: project.optional() }),
  positional: ["project"],
  permission: "core",
  async run(ctx, a) {
    const subs = ctx.services.subscriptions;
    if (!subs) throw new UserError("Subscriptions are not available on this deployment.");
    const n = await subs.remove(ctx.network, ctx.room, a.project);
    const { fromConfig } = await subs.list(ctx.network, ctx.room);
    const note = fromConfig.length ? ` The config still relays here: ${fromConfig.join("; ")}.` : "";
    if (n === 0)
      return `No run-time subscription${a.project ? ` for ${a.project}` : ""} in this room.${note}`;
    return `Removed ${n} subscription${n === 1 ? "" : "s"}.${note}`;
  },
});
