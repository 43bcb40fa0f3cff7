// The chat commands: the bot's own (help, status) first, then each feature's in src/features.ts order.
import type { AnyCommand } from "../../core/commands.js";
import { FEATURES } from "../../features.js";
import help from "./help.js";
import status from "./status.js";

export const COMMANDS: AnyCommand[] = [help, status, ...FEATURES.flatMap((f) => f.commands)];
