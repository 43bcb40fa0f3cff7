// !affected <change|url>: the charms a monorepo change affects, the Zuul jobs that run, and what no job tests.
import { defineCommand, z, type CommandServices } from "../../core/commands.js";
import { UserError } from "../../core/errors.js";
import type { ExplainedChange } from "./service.js";
import type { AffectedServiceLike } from "./services.js";
import { modelLine, renderAffected } from "./render.js";

/** The affected-charm service, or the reason it is missing. */
export function affectedService(services: CommandServices): AffectedServiceLike {
  const s = services.affected;
  if (!s)
    throw new UserError(
      "Affected-charm analysis is not enabled on this deployment (no monorepo configured).",
    );
  return s;
}

/** Charm and job names listed per line in chat before "… and N more". */
const MAX_NAMES = 15;

/** The reply: which change and which model, then the grouped charms, jobs and untested warning. */
export function renderExplained(r: ExplainedChange): string {
  const c = r.change;
  const name = c.url ? `[${c.number}](${c.url})` : String(c.number);
  const head = `**Change ${name}** (patch set ${c.patchSet}, ${c.project} ${c.branch})${c.subject ? `: ${c.subject}` : ""}`;
  return [
    head,
    modelLine(r, true),
    ...renderAffected(r, { markdown: true, maxNames: MAX_NAMES, totalCharms: r.totalCharms }),
  ].join("\n");
}

export default defineCommand({
  name: "affected",
  summary: "charms a monorepo change affects and the Zuul jobs that will run",
  usage: "<change|url>",
  help: "Give a change number or a link to it on the configured Gerrit. Lists the affected charms grouped by cause, the Zuul check jobs its files trigger, and warns about affected charms no job builds.",
  args: z.object({ change: z.string().min(1).max(500) }),
  positional: ["change"],
  async run(ctx, args) {
    return renderExplained(await affectedService(ctx.services).explain(args.change));
  },
});
