// The Redis side of observed Zuul jobs: per project and branch, the jobs Zuul ran in `check` recently and the
// files they ran for (observed-jobs.ts), updated from every check report the bot sees on the stream.
import { keyFor, type Redis } from "../../core/redis.js";
import { recordReport, type BranchObservations } from "./observed-jobs.js";
import { z } from "zod";

/** "Recently": observations older than this are forgotten (the key expires, stale jobs are dropped). */
export const OBSERVATION_DAYS = 14;

const ObservationsSchema = z.object({
  reports: z.number().int().min(0),
  jobs: z.record(
    z.string(),
    z.object({ runs: z.number().int().min(0), lastSeen: z.number(), prefixes: z.array(z.string()) }),
  ),
});

/** Reads and records the observations of one project and branch. */
export class ZuulObservations {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(project: string, branch: string): string {
    return keyFor(this.prefix, "zuul-observed", project, branch);
  }

  async get(
    project: string,
    branch: string,
    now = Date.now() / 1000,
  ): Promise<BranchObservations | undefined> {
    const raw = await this.redis.get(this.key(project, branch));
    return raw ? fresh(parse(raw), now) : undefined;
  }

  async record(
    project: string,
    branch: string,
    jobs: readonly string[],
    files: readonly string[],
    at: number,
  ): Promise<void> {
    const key = this.key(project, branch);
    // Read-modify-write without a lock: two replicas recording at the same moment can lose one report,
    // which only makes the share of reports a job appears in a little less exact.
    const raw = await this.redis.get(key);
    const was = (raw ? fresh(parse(raw), at) : undefined) ?? { reports: 0, jobs: {} };
    const next = recordReport(was, jobs, files, at);
    await this.redis.set(key, JSON.stringify(next), "EX", OBSERVATION_DAYS * 86400);
  }
}

/** A stored value that does not parse is dropped (it is only a cache of what Zuul reports again). */
function parse(raw: string): BranchObservations | undefined {
  try {
    const r = ObservationsSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function fresh(o: BranchObservations | undefined, now: number): BranchObservations | undefined {
  if (!o) return undefined;
  const cutoff = now - OBSERVATION_DAYS * 86400;
  const jobs = Object.fromEntries(Object.entries(o.jobs).filter(([, j]) => j.lastSeen >= cutoff));
  return { reports: o.reports, jobs };
}
