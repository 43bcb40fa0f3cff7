// What the affected-charm feature offers commands (declared into core's CommandServices).
import type { CharmRechecker } from "../../core/services.js";
import type { ExplainedChange, RecheckRequest, RecheckResult } from "./service.js";

/** The service !affected and !recheck-affected read (AffectedService implements it). */
export interface AffectedServiceLike {
  explain(ref: string): Promise<ExplainedChange>;
  recheck(ref: string, req: RecheckRequest): Promise<RecheckResult>;
}

declare module "../../core/commands.js" {
  interface CommandServices {
    affected?: AffectedServiceLike;
    /** Rechecks for other features' triggers (OCI image moves), through a core type. */
    charmRecheck?: CharmRechecker;
  }
}
