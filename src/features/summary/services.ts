// What the !actions and !summary commands need of the running bot; SummaryService provides both.
import type { ActionStatus } from "./actions.js";
import type { ActionNote } from "./render.js";

export interface ActionListEntry {
  id: string;
  title: string;
  owner: string;
  area: string;
  /** The status in force (the latest chat update, else the file's). */
  status: ActionStatus;
  statusSetBy?: { by: string; at: string };
  /** Oldest first. */
  notes: ActionNote[];
}

export interface ActionsService {
  list(): Promise<ActionListEntry[]>;
  /** Throws UserError for an id the actions file does not have. */
  setStatus(id: string, status: ActionStatus, by: string): Promise<{ by: string; at: string }>;
  addNote(id: string, text: string, by: string): Promise<ActionNote>;
}

export interface SummaryCommandService {
  /** The summary as the weekly job would send it now (nothing is stored or sent). */
  render(): Promise<string>;
}

/** The entries the summary feature adds to CommandServices. */
export interface SummaryServices {
  actions: ActionsService;
  summary: SummaryCommandService;
}

declare module "../../core/commands.js" {
  interface CommandServices {
    actions?: ActionsService;
    summary?: SummaryCommandService;
  }
}
