// The demo's config: what `run` would read from a file, pointing every capability at the in-process sample
// servers on 127.0.0.1. Nothing in it reaches another host; Launchpad stays dry-run.

export interface DemoEndpoints {
  gerritUrl: string;
  launchpadApiRoot: string;
  /** The sample monorepo's working tree: the clone's remote and the OCI watch's checkout. */
  monorepoDir: string;
  /** Where the bot keeps its own (bare) clone. */
  clonePath: string;
  /** host:port of the private registry; without it the OCI watch is off. */
  registryHost?: string | undefined;
}

export const DEMO_USER = "local";
export const DEMO_BOT = "sunbeam-bot";

export function demoConfig(e: DemoEndpoints): Record<string, unknown> {
  return {
    // Its own prefix: the demo may run on a shared Redis (REDIS_URL) and must not touch a bot's keys.
    redis: { prefix: "sunbeam-demo" },
    chat: { console: { enabled: true, user: DEMO_USER } },
    rooms: { team: { network: "console", id: "#sunbeam" } },
    roles: { core: { console: [DEMO_USER] }, ptl: { console: [DEMO_USER] } },
    relay: [{ room: "team", projects: ["openstack/*"] }],
    gerrit: {
      url: e.gerritUrl,
      http: { user: DEMO_BOT },
      projects: ["openstack/sunbeam-charms", "openstack/snap-openstack"],
      botUser: DEMO_BOT,
      botAccounts: ["zuul"],
      settleSeconds: 0,
    },
    monorepo: { path: e.clonePath, remote: e.monorepoDir, fetchMinutes: 0 },
    recheck: { ciAccounts: ["zuul"], suggestOnMerge: { enabled: true, room: "team" } },
    launchpad: {
      apiRoot: e.launchpadApiRoot,
      projects: ["snap-openstack"],
      pollMinutes: 1,
      graceMinutes: 0,
      triageRoom: "team",
      writes: false,
      botAccount: DEMO_BOT,
    },
    summary: {
      ptl: { console: DEMO_USER },
      gerritProjects: ["openstack/sunbeam-charms", "openstack/snap-openstack"],
      sourceTimeoutSeconds: 5,
    },
    ...(e.registryHost
      ? {
          oci: {
            registries: [e.registryHost],
            plainHttp: [e.registryHost],
            monorepo: { path: e.monorepoDir, rev: "HEAD" },
            pollMinutes: 1,
            announce: [{ room: "team" }],
            autoRecheck: { enabled: true, dryRun: true },
          },
        }
      : {}),
    // One job at a time per queue: the commands typed are answered in the order typed.
    jobs: { backoffMs: 200, concurrency: 1 },
    bot: { coalesceSeconds: 1, rateLimit: { commands: 1000, perSeconds: 60 } },
    http: { enabled: false },
  };
}
