// !summary: the weekly cycle-action summary, now, in this room (nothing is stored or sent elsewhere).
import { defineCommand, z } from "../../core/commands.js";
import { UserError } from "../../core/errors.js";
import type {} from "./services.js"; // CommandServices.summary

export default defineCommand({
  name: "summary",
  summary: "the weekly cycle-action summary, as it would be sent now",
  help: "Each cycle action with its owner, status and the evidence found in Gerrit and Launchpad since the last weekly summary, the actions with no activity, and the week's numbers.",
  args: z.object({}),
  async run(ctx) {
    // Until CommandServices declares it, the service is read through this widened view.
    const s = ctx.services.summary;
    if (!s) throw new UserError("The cycle-action summary is not enabled on this deployment.");
    return s.render();
  },
});
