// !affected <change|url>: the charms a monorepo change affects, the Zuul jobs that run, and what no job tests.
import { defineCommand, z, type CommandServices } from "../src/commands.js";
import { UserError } from "../src/errors.js";
import type { ExplainedChange, RecheckRequest, RecheckResult } from "../src/charms/affected-service.js";
import { modelLine, renderAffected } from "../src/charms/affected-render.js";

/** The service both commands read from `CommandServices` (src/charms/affected-service.ts implements it). */
export interface AffectedServiceLike {
  explain(ref: string): Promise<ExplainedChange>;
  recheck(ref: string, req: RecheckRequest): Promise<RecheckResult>;
}

/** The service through a widened view, until CommandServices declares it. */
export function affectedService(services: CommandServices): AffectedServiceLike {
  const s = (services as CommandServices & { affected?: AffectedServiceLike }).affected;
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
