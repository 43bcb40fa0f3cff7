// The relay rules in force: the config's per-room rules plus the rooms' run-time subscriptions.
import { DEFAULT_RELAY_KINDS } from "./kinds.js";
import type { RelayConfig } from "./config.js";
import type { ResolvedRule } from "./filter.js";
import type { Subscriptions } from "./subscriptions.js";

export function configRules(config: RelayConfig): ResolvedRule[] {
  const out: ResolvedRule[] = [];
  for (const r of config.relay) {
    const room = config.rooms[r.room];
    if (room) out.push({ ...r, key: r.room, target: { network: room.network, room: room.id } });
  }
  return out;
}

/** Subscriptions change rarely and are read on every event: cache them briefly, drop the cache on change. */
export class RelayRules {
  private cached: { at: number; rules: ResolvedRule[] } | undefined;

  constructor(
    private readonly config: RelayConfig,
    private readonly subs: Subscriptions,
    private readonly ttlMs = 2000,
  ) {}

  invalidate(): void {
    this.cached = undefined;
  }

  async rules(): Promise<ResolvedRule[]> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.rules;
    const rules = configRules(this.config);
    for (const { network, room, subs } of await this.subs.all()) {
      for (const s of subs) {
        rules.push({
          key: `${network}|${room}`,
          room: `${network}|${room}`,
          target: { network, room },
          projects: [s.project],
          branches: ["*"],
          events: s.events.length ? s.events : DEFAULT_RELAY_KINDS,
          excludeAuthors: [],
        });
      }
    }
    this.cached = { at: Date.now(), rules };
    return rules;
  }
}
