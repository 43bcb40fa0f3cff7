// What the relay offers commands: a room's run-time subscriptions (declared into core's CommandServices).

export interface SubscriptionInfo {
  project: string;
  events: string[];
  by: string;
  at: string;
}

/** A room's run-time relay filters (kept in Redis; the config's rules are listed read-only). */
export interface SubscriptionService {
  list(network: string, room: string): Promise<{ runtime: SubscriptionInfo[]; fromConfig: string[] }>;
  add(network: string, room: string, sub: SubscriptionInfo): Promise<void>;
  remove(network: string, room: string, project?: string): Promise<number>;
}

declare module "../../core/commands.js" {
  interface CommandServices {
    subscriptions?: SubscriptionService;
  }
}
