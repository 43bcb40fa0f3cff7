// !recheck-affected <change|url> [--dry-run] [--all]: recheck the open changes that share a charm with a change.
import { defineCommand, z } from "../../core/commands.js";
import { affectedService } from "./commands.js";

export default defineCommand({
  name: "recheck-affected",
  summary: "recheck the open changes affected by a change (e.g. a gate fix)",
  usage: "<change|url> [--dry-run] [--all]",
  help: "Finds the open changes on the same project and branch whose affected charms overlap the given change's, and posts `recheck` on those whose current patch set has a failing Verified vote (`--all`: on every one). Never twice per change, patch set and trigger; capped per command and rate-limited per hour. `--dry-run` lists what it would do and posts nothing.",
  args: z.object({
    change: z.string().min(1).max(500),
    dryRun: z.boolean().optional(),
    all: z.boolean().optional(),
  }),
  positional: ["change"],
  permission: "core",
  async run(ctx, args) {
    const r = await affectedService(ctx.services).recheck(args.change, {
      dryRun: args.dryRun ?? false,
      all: args.all ?? false,
      requester: ctx.user,
    });
    return r.reply;
  },
});
