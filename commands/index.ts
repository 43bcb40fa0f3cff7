// The chat commands, listed by hand (no auto-discovery): the order here is the order in !help.
import type { AnyCommand } from "../src/commands.js";
import help from "./help.js";
import status from "./status.js";
import { subscribe, unsubscribe } from "./subscribe.js";
import images from "./images.js";
import triage from "./triage.js";
import actions from "./actions.js";
import summary from "./summary.js";
import affected from "./affected.js";
import recheckAffected from "./recheck-affected.js";

export const COMMANDS: AnyCommand[] = [
  help,
  status,
  affected,
  recheckAffected,
  subscribe,
  unsubscribe,
  images,
  triage,
  actions,
  summary,
];
