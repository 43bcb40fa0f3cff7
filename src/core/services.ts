// Services one feature offers another, as core types: features never import each other's files.

/** What caused a recheck that is not a chat command (an OCI image move, …). */
export interface EventTrigger {
  /** Stable per event (`oci:<image>@<digest>`): the same id never rechecks a patch set twice. */
  id: string;
  /** `ghcr.io/canonical/keystone:2024.1 moved to sha256:abcd1234…` */
  label: string;
  url?: string;
}

export interface CharmRecheckOptions {
  /** Report what would be rechecked, post nothing. */
  dryRun?: boolean;
  /** Named in the Gerrit comment and rate-limited per hour. */
  requester?: string;
  /** Changes already rechecked by an earlier trigger of the same batch: skipped, not rechecked again. */
  batch?: ReadonlySet<number>;
}

export interface CharmRecheckOutcome {
  /** Changes rechecked now or already rechecked for this trigger (a batch skips them next). */
  touched: number[];
  /** False when the plan holds nothing a room needs to read (nothing shared, nothing failing). */
  worthReporting: boolean;
  /** The chat reply, as !recheck-affected would give it. */
  reply: string;
}

/** Rechecks the open failing changes that affect some charms (the affected feature implements it). */
export interface CharmRechecker {
  recheckCharms(
    charms: string[],
    trigger: EventTrigger,
    opts?: CharmRecheckOptions,
  ): Promise<CharmRecheckOutcome>;
}
