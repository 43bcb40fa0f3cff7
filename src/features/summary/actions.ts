// The cycle-actions file: the PTG's actions with owners, status and the matchers that find their evidence.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, parseYaml, zodProblems } from "../../core/config-load.js";
import { packageFile } from "../../core/paths.js";

export const ACTION_STATUSES = ["open", "in-progress", "done", "dropped"] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

const words = z.array(z.string().min(1)).default([]);

const EvidenceSchema = z.strictObject({
  gerrit: z
    .strictObject({
      /** Restrict change matches to these projects (default: the whole Gerrit the bot watches). */
      projects: words,
      topics: words,
      hashtags: words,
      /** Path prefixes in the change's files, e.g. charms/nova-k8s/ or zuul.d/. */
      paths: words,
      /** Words looked for in the change subject, case-insensitive. */
      keywords: words,
    })
    .prefault({}),
  launchpad: z
    .strictObject({ tags: words, bugs: z.array(z.number().int().positive()).default([]) })
    .prefault({}),
  /** Docs changes: path prefixes (in any project), e.g. doc/source/how-to/troubleshooting/. */
  docs: z.strictObject({ projects: words, paths: words }).prefault({}),
});

const ActionSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and '-'"),
  title: z.string().min(1),
  owner: z.string().min(1).default("unassigned"),
  area: z.string().min(1).default("general"),
  status: z.enum(ACTION_STATUSES).default("open"),
  evidence: EvidenceSchema.prefault({}),
  notes: z.string().default(""),
});

export const ActionsFileSchema = z.strictObject({
  cycle: z.string().min(1),
  /** Weeks without evidence after which an open action is flagged as stale. */
  staleAfterWeeks: z.number().int().min(1).max(26).default(3),
  actions: z.array(ActionSchema).min(1),
});

export type CycleAction = z.infer<typeof ActionSchema>;
export type ActionsFile = z.infer<typeof ActionsFileSchema>;

export const DEFAULT_ACTIONS_FILE = packageFile("deploy", "cycle-actions.yaml");

/** Validates a parsed actions document; every problem is listed at once, like the config. */
export function validateActions(input: unknown, source: string): ActionsFile {
  const parsed = ActionsFileSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(source, zodProblems(input, parsed.error.issues));
  const seen = new Map<string, number>();
  const problems = parsed.data.actions.flatMap((a, i) => {
    const first = seen.get(a.id);
    seen.set(a.id, first ?? i);
    return first === undefined
      ? []
      : [{ path: `actions.${i}.id`, message: `duplicate of actions.${first}.id`, value: a.id }];
  });
  if (problems.length) throw new ConfigError(source, problems);
  return parsed.data;
}

export function loadActions(file: string = DEFAULT_ACTIONS_FILE): ActionsFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [
      {
        path: "",
        message: `cannot read the actions file (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`,
        value: file,
      },
    ]);
  }
  return validateActions(parseYaml(text, file), file);
}
