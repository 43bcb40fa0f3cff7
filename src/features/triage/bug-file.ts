// Reads `triage --file`: the simple hand-written form, or a bug exactly as the Launchpad API returns it (entry, messages, attachments).
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { UserError } from "../../core/errors.js";
import {
  AttachmentSchema,
  BugSchema,
  MessageSchema,
  sortMessages,
} from "../../integrations/launchpad/schemas.js";
import { bugForTriage } from "./bug-input.js";
import { BugInputSchema, type BugForTriage } from "./checklist.js";

export interface BugFromFile {
  input: BugForTriage;
  id: number | null;
  title: string;
  url?: string | undefined;
}

const SIMPLE_SHAPE =
  "{title, description, tags, attachments: [names], comments?: [{author_is_reporter, content}]}";

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(
      `${file}: cannot read the bug file (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UserError(`${file}: not JSON: ${(err as Error).message}`);
  }
}

function problems(prefix: string, issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 10)
    .map(
      (i) => `  ${[prefix, ...i.path.map(String)].filter(Boolean).join(".") || "(top level)"}: ${i.message}`,
    )
    .join("\n");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A Launchpad bug entry: what only the API's JSON carries (a `#bug` resource type or the collection links). */
function isBugEntry(v: unknown): v is Record<string, unknown> {
  if (!isRecord(v)) return false;
  const type = v.resource_type_link;
  return (typeof type === "string" && type.endsWith("#bug")) || "messages_collection_link" in v;
}

/** `stem.messages.json` beside `stem.json`. */
function besideFile(file: string, what: "messages" | "attachments"): string {
  return file.replace(/(\.json)?$/i, `.${what}.json`);
}

/**
 * One collection (messages or attachments): in the file, or beside it. Refused when absent or only one page:
 * judging a bug without its comments and attachments would ask reporters for what they already gave.
 */
function collection<T extends z.ZodType>(
  file: string,
  what: "messages" | "attachments",
  inFile: unknown,
  entry: T,
  link: unknown,
): z.infer<T>[] {
  let data = inFile;
  let where = `${file}: ${what}`;
  if (data === undefined) {
    const beside = besideFile(file, what);
    if (!existsSync(beside)) {
      const from = typeof link === "string" ? ` (GET ${link}, every page)` : "";
      throw new UserError(
        `${where}: missing. The bug entry's comments and attachments are needed to judge it: put its ${what} ` +
          `collection${from} under "${what}" in the file, or in ${beside}.`,
      );
    }
    data = readJson(beside);
    where = `${beside}: ${what}`;
  }
  // An array of entries, or a collection page; chosen by shape so that problems name the entry's field.
  const Shape = Array.isArray(data)
    ? z.array(entry)
    : z.looseObject({ entries: z.array(entry), next_collection_link: z.string().optional() });
  const parsed = Shape.safeParse(data);
  if (!parsed.success) {
    throw new UserError(
      `${where}: not a Launchpad ${what} collection:\n${problems(what, parsed.error.issues)}`,
    );
  }
  const value = parsed.data as z.infer<T>[] | { entries: z.infer<T>[]; next_collection_link?: string };
  if (Array.isArray(value)) return value;
  if (value.next_collection_link) {
    throw new UserError(
      `${where}: next_collection_link is ${value.next_collection_link}: only the first page is here; ` +
        `follow next_collection_link and put every entry in one collection.`,
    );
  }
  return value.entries;
}

const FileAttachmentSchema = AttachmentSchema.extend({ filename: z.string().optional() });

function fromLaunchpad(file: string, doc: Record<string, unknown>, entry: unknown): BugFromFile {
  const bug = BugSchema.safeParse(entry);
  if (!bug.success) {
    throw new UserError(`${file}: not a Launchpad bug entry:\n${problems("bug", bug.error.issues)}`);
  }
  const b = bug.data;
  const src = entry as Record<string, unknown>;
  const messages = collection(
    file,
    "messages",
    doc.messages ?? src.messages,
    MessageSchema.extend({ visible: z.boolean().optional() }),
    b.messages_collection_link,
  );
  const attachments = collection(
    file,
    "attachments",
    doc.attachments ?? src.attachments,
    FileAttachmentSchema,
    b.attachments_collection_link,
  );
  const input = bugForTriage({
    bug: b,
    messages: sortMessages(messages),
    attachments: attachments.map((a) => ({
      title: a.title,
      filename: a.filename,
      messageLink: a.message_link,
      type: a.type,
    })),
  });
  return { input, id: b.id, title: b.title, url: b.web_link };
}

/** Reads and validates a `--file`; every problem names its field. */
export function readBugFile(file: string): BugFromFile {
  const doc = readJson(file);
  if (isRecord(doc) && isRecord(doc.bug)) return fromLaunchpad(file, doc, doc.bug);
  if (isBugEntry(doc)) return fromLaunchpad(file, doc, doc);
  const parsed = BugInputSchema.safeParse(doc);
  if (!parsed.success) {
    throw new UserError(
      `${file}: not a bug file (expected a Launchpad bug entry, {bug, messages, attachments}, or ${SIMPLE_SHAPE}):\n` +
        problems("", parsed.error.issues),
    );
  }
  const { id, ...input } = parsed.data;
  return { input, id: id ?? null, title: input.title };
}
