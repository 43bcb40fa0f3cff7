// !actions: list the cycle actions; done / status / note update one (kept in Redis with who and when).
import { defineCommand, z, type CommandContext } from "../../core/commands.js";
import { UserError } from "../../core/errors.js";
import { ACTION_STATUSES, type ActionStatus } from "./actions.js";
import type { ActionListEntry, ActionsService } from "./services.js";

/** Reading is for anyone; changing an action is for these roles (admin passes every check, as in the router). */
export const WRITE_ROLES = ["core", "ptl", "admin"];

const SUBCOMMANDS = ["list", "done", "status", "note"] as const;

function line(a: ActionListEntry): string {
  const who = a.statusSetBy ? ` (set by ${a.statusSetBy.by} ${a.statusSetBy.at.slice(0, 10)})` : "";
  const note = a.notes.at(-1);
  const noteText = note ? ` — note (${note.by}): ${note.text.slice(0, 120)}` : "";
  return `- \`${a.id}\` **${a.title}** (${a.owner}) — ${a.status}${who}${noteText}`;
}

export function renderActionList(list: readonly ActionListEntry[]): string {
  if (list.length === 0) return "No cycle actions in the actions file.";
  return [`**Cycle actions** (${list.length})`, ...list.map(line)].join("\n");
}

function service(ctx: CommandContext): ActionsService {
  // Until CommandServices declares it, the service is read through this widened view.
  const s = ctx.services.actions;
  if (!s) throw new UserError("Cycle actions are not enabled on this deployment.");
  return s;
}

function requireWriter(ctx: CommandContext): void {
  if (!ctx.roles.some((r) => WRITE_ROLES.includes(r)))
    throw new UserError(`Sorry, changing an action needs the core or ptl role.`);
}

const needId = (id: string | undefined, usage: string): string => {
  if (!id) throw new UserError(`usage: ${usage}`);
  return id;
};

export default defineCommand({
  name: "actions",
  summary: "the cycle actions; mark one done, set its status or add a note",
  usage: "[list | done <id> | status <id> <status> | note <id> <text>]",
  help: `Statuses: ${ACTION_STATUSES.join(", ")}. Changes need the core or ptl role and show in the next summary, with who made them and when.`,
  args: z.object({
    sub: z.enum(SUBCOMMANDS).optional(),
    id: z.string().max(100).optional(),
    value: z.string().max(1000).optional(),
  }),
  positional: ["sub", "id", "value"],
  rest: true,
  async run(ctx, a) {
    const actions = service(ctx);
    const p = ctx.prefix;
    switch (a.sub ?? "list") {
      case "list":
        if (a.id || a.value) throw new UserError(`usage: ${p}actions list`);
        return renderActionList(await actions.list());
      case "done": {
        requireWriter(ctx);
        const id = needId(a.id, `${p}actions done <id>`);
        if (a.value) throw new UserError(`usage: ${p}actions done <id>`);
        await actions.setStatus(id, "done", ctx.user);
        return `Marked \`${id}\` done.`;
      }
      case "status": {
        requireWriter(ctx);
        const id = needId(a.id, `${p}actions status <id> <status>`);
        const status = (a.value ?? "").trim();
        if (!(ACTION_STATUSES as readonly string[]).includes(status))
          throw new UserError(`Status must be one of ${ACTION_STATUSES.join(", ")} (got "${status}").`);
        await actions.setStatus(id, status as ActionStatus, ctx.user);
        return `\`${id}\` is now ${status}.`;
      }
      case "note": {
        requireWriter(ctx);
        const id = needId(a.id, `${p}actions note <id> <text>`);
        if (!a.value?.trim()) throw new UserError(`usage: ${p}actions note <id> <text>`);
        await actions.addNote(id, a.value, ctx.user);
        return `Noted on \`${id}\`.`;
      }
      default:
        throw new UserError(
          `usage: ${p}actions [list | done <id> | status <id> <status> | note <id> <text>]`,
        );
    }
  },
});
