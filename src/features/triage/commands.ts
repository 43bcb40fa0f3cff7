// !triage <bug>: the debug-info checklist verdict of one Launchpad bug (read-only; never writes to Launchpad).
import { defineCommand, z } from "../../core/commands.js";
import { UserError } from "../../core/errors.js";
import { renderReportChat, type TriageReport } from "./report.js";

/** The service this command needs in `CommandServices` (src/triage/cli.ts `triageService` implements it). */
export type TriageService = (bug: string) => Promise<TriageReport>;

declare module "../../core/commands.js" {
  interface CommandServices {
    triage?: TriageService;
  }
}

export default defineCommand({
  name: "triage",
  summary: "debug-info checklist verdict of a Launchpad bug",
  usage: "<bug>",
  help: "Checks a Launchpad bug (number, #number or link) against the debug-info checklist: which items are present, which are missing, and whether the bot leaves it alone. Nothing is written to Launchpad.",
  args: z.object({
    bug: z
      .string()
      .min(1)
      .max(300)
      .regex(/^(#?\d+|https?:\/\/\S+)$/, "a bug number, #number or a Launchpad bug link"),
  }),
  positional: ["bug"],
  async run(ctx, args) {
    // Until CommandServices declares it, the service is read through this widened view.
    const triage = ctx.services.triage;
    if (!triage) throw new UserError("Launchpad triage is not enabled on this deployment.");
    return renderReportChat(await triage(args.bug));
  },
});
