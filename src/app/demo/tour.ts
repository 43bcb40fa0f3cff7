// The guided tour the demo prints before its prompt: what to type to see each of the bot's jobs.

export interface TourFacts {
  /** The Launchpad ids of the complete, the thin and the replied sample bugs. */
  bugs: { complete: number; thin: number; replied: number };
  oci: boolean;
}

export function tourText(f: TourFacts): string {
  return [
    "demo: the bot's jobs on bundled sample data (Gerrit, Launchpad, a charms monorepo; nothing leaves 127.0.0.1):",
    "  relay     the sample Gerrit events above are relayed to #sunbeam;  !subscribe openstack/snap-openstack",
    "  affected  !affected 912400                  which charms and Zuul jobs a change touches",
    "            !recheck-affected 912345 --dry-run   the open failing changes a fix would recheck",
    `  triage    !triage ${f.bugs.thin}                  the checklist verdict and prompt for a thin bug report`,
    `            (bugs ${f.bugs.complete}, ${f.bugs.thin} and the reply on ${f.bugs.replied} are triaged on their own: see the notes in #sunbeam)`,
    f.oci
      ? "  images    !images                           watched images; a new tag is announced in a few seconds"
      : "  images    (off: docker-registry is not installed)",
    "  summary   !summary   !actions              the weekly cycle-action summary and the actions list",
    "  also      !help   !status",
  ].join("\n");
}
