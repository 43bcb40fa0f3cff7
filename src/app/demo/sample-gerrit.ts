// The demo's Gerrit: the bundled sample changes (samples/gerrit-changes.json, ChangeInfo as the REST API
// returns it with every option) served on 127.0.0.1 by the in-process Gerrit REST server.
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { ChangeInfo } from "../../integrations/gerrit/client.js";
import { packageFile } from "../../core/paths.js";
import { UserError } from "../../core/errors.js";
import { FakeGerritRest } from "./gerrit-rest.js";
import { gerritTimeMs, offsetToNow, shiftGerritTimes } from "./sample-time.js";

/** Only what the demo relies on is checked; the rest passes through as Gerrit wrote it. */
const SampleChange = z.looseObject({
  _number: z.number().int().positive(),
  project: z.string().min(1),
  branch: z.string().min(1),
  change_id: z.string().min(1),
  subject: z.string(),
  status: z.enum(["NEW", "MERGED", "ABANDONED"]),
  updated: z.string().refine((s) => !Number.isNaN(gerritTimeMs(s)), "must be a Gerrit timestamp"),
});

export const SAMPLE_CHANGES_FILE = packageFile("samples", "gerrit-changes.json");

export function loadSampleChanges(file = SAMPLE_CHANGES_FILE, now = Date.now()): ChangeInfo[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserError(`cannot read the sample changes ${file}: ${(err as Error).message}`);
  }
  const parsed = z.array(SampleChange).safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UserError(`${file}: ${i?.path.join(".") ?? ""}: ${i?.message ?? "invalid"}`);
  }
  // The newest sample change was updated an hour ago: inside every look-back of the summary.
  const offset = offsetToNow(
    parsed.data.map((c) => gerritTimeMs(c.updated)),
    now,
    3_600_000,
  );
  return shiftGerritTimes(raw as ChangeInfo[], offset);
}

/** Starts the sample Gerrit; `password` is the bot's HTTP password there (its rechecks land here). */
export function startSampleGerrit(opts: {
  user: string;
  password: string;
  file?: string;
}): Promise<FakeGerritRest> {
  return FakeGerritRest.start({
    user: opts.user,
    password: opts.password,
    changes: loadSampleChanges(opts.file),
  });
}
