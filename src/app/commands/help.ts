// !help [command]: the command list, or one command's usage, generated from the declarations.
import { defineCommand, usageOf, z } from "../../core/commands.js";
import { UserError } from "../../core/errors.js";

export default defineCommand({
  name: "help",
  aliases: ["commands"],
  summary: "list the commands, or show how to use one",
  usage: "[command]",
  args: z.object({
    command: z
      .string()
      .regex(/^[!/]?[a-z][a-z0-9-]*$/i, "not a command name")
      .optional(),
  }),
  positional: ["command"],
  async run(ctx, { command }) {
    if (command) {
      const name = command.replace(/^[!/]/, "").toLowerCase();
      const cmd = ctx.commands.find((c) => c.name === name || c.aliases?.includes(name));
      if (!cmd)
        throw new UserError(`No command ${ctx.prefix}${name} that you can use. Try ${ctx.prefix}help.`);
      const aliases = cmd.aliases?.length
        ? `\naliases: ${cmd.aliases.map((a) => ctx.prefix + a).join(", ")}`
        : "";
      return `\`${usageOf(cmd, ctx.prefix)}\` — ${cmd.summary}${cmd.help ? `\n${cmd.help}` : ""}${aliases}`;
    }
    const lines = ctx.commands.map((c) => `- \`${usageOf(c, ctx.prefix)}\` — ${c.summary}`);
    return `**Commands** (${ctx.prefix}help <command> for details):\n${lines.join("\n")}`;
  },
});
