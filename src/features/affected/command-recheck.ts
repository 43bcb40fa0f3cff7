// !recheck-affected <change|url> [--dry-run] [--all]: recheck the open changes that share a charm with a change.
import { defineCommand, z } from "../../core/commands.js";
import { affectedService } from "./commands.js";

export default defineCommand({
  name: "recheck-affected",
  summary: "recheck the open changes affected by a change (e.g. a gate fix)",
  usage: "<change|url> [--dry-run] [--all]",
  help: "Finds the open changes on the same project and branch that depend on the given change (Depends-On, parent commit) or share an affected charm with it, and posts `recheck` on those whose last Zuul report is a fresh failure (`--all`: on every one). Skips WIP and private changes, merge conflicts, config errors, failed dependencies, failures older than recheck.maxFailureAgeHours, changes rechecked since, and patch sets already rechecked or suggested; capped per command and rate-limited per hour. `--dry-run` lists what it would do, and why each other change is skipped, and posts nothing.",
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
