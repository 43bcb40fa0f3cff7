// The demo's Launchpad: the bundled sample bugs (samples/launchpad-bugs.yaml: a complete report, a thin one,
// a reporter's reply to an earlier prompt) served on 127.0.0.1 by the in-process Launchpad web service.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseYaml } from "../../core/config-load.js";
import { packageFile } from "../../core/paths.js";
import { UserError } from "../../core/errors.js";
import { FakeLaunchpad } from "./launchpad.js";

/** "-40m", "-3d", "-2h": that long before the demo started. */
const ago = z
  .string()
  .regex(/^-\d+[mhd]$/, 'must be a time before the start like "-40m", "-2h" or "-3d"')
  .transform((s) => Number(s.slice(1, -1)) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[s.slice(-1) as "m"]);

const SampleBugs = z.strictObject({
  bugs: z.array(
    z.strictObject({
      title: z.string().min(1),
      owner: z.string().min(1),
      created: ago,
      description: z.string().min(1),
      status: z.enum(["New", "Incomplete"]).default("New"),
      tags: z.array(z.string()).default([]),
      messages: z
        .array(z.strictObject({ owner: z.string().min(1), created: ago, content: z.string() }))
        .default([]),
      attachments: z.array(z.strictObject({ title: z.string(), filename: z.string() })).default([]),
    }),
  ),
});

export type SampleBug = z.infer<typeof SampleBugs>["bugs"][number];

export const SAMPLE_BUGS_FILE = packageFile("samples", "launchpad-bugs.yaml");

export function loadSampleBugs(file = SAMPLE_BUGS_FILE): SampleBug[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(
      `cannot read the sample bugs ${file} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`,
    );
  }
  const parsed = SampleBugs.safeParse(parseYaml(text, file));
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UserError(`${file}: ${i?.path.join(".") ?? ""}: ${i?.message ?? "invalid"}`);
  }
  return parsed.data.bugs;
}

export interface SampleLaunchpad {
  server: FakeLaunchpad;
  /** The bug ids, in the file's order. */
  ids: number[];
}

/**
 * Files the bugs as Launchpad would have them: a prompted bug was New, got the bot's comment, was set
 * Incomplete, and the reporter's later message made it "Incomplete (with response)".
 */
export async function startSampleLaunchpad(opts: {
  botName: string;
  file?: string;
  now?: number;
}): Promise<SampleLaunchpad> {
  const now = opts.now ?? Date.now();
  const server = await FakeLaunchpad.start({ projects: ["snap-openstack"], botName: opts.botName });
  const ids: number[] = [];
  for (const b of loadSampleBugs(opts.file)) {
    const bug = server.addBug({
      title: b.title,
      description: b.description,
      owner: b.owner,
      tags: b.tags,
      created: new Date(now - b.created),
    });
    ids.push(bug.id);
    for (const m of b.messages) {
      server.addMessage(bug.id, { owner: m.owner, content: m.content, created: new Date(now - m.created) });
      if (m.owner === opts.botName && b.status !== "New") server.store.setStatus(bug, b.status);
    }
    for (const a of b.attachments) server.addAttachment(bug.id, { title: a.title, filename: a.filename });
  }
  return { server, ids };
}
