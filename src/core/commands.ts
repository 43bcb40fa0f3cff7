// Chat commands: defineCommand(), the `!name args` parser, permissions by role, per-user rate limit, help.
import { z } from "zod";
import { UserError, errorMessage } from "./errors.js";
import type { Logger } from "./log.js";

/**
 * What commands may use of the running bot; each entry is absent where its feature is not configured.
 * Core declares only `status`; every feature adds its own entries by module augmentation in its
 * `services.ts` (`declare module "../../core/commands.js" { interface CommandServices { … } }`), so a
 * command reads `ctx.services.<name>` typed, and core imports no feature.
 */
export interface CommandServices {
  status?(): Promise<StatusReport>;
}

export interface StatusReport {
  uptimeSeconds: number;
  queues: Record<string, Record<string, number>>;
  /** The last event seen per source (gerrit, chat, launchpad, …). */
  lastEvents: Record<string, { id: string; kind: string; at: string }>;
  networks: Record<string, boolean>;
  /** Extra "name: value" lines from sources (the Gerrit stream, pollers). */
  sections: { title: string; lines: string[] }[];
}

export interface CommandContext {
  user: string;
  network: string;
  room: string;
  roles: readonly string[];
  prefix: string;
  services: CommandServices;
  /** The commands this user can see, for !help. */
  commands: readonly AnyCommand[];
  log: Logger;
}

export interface CommandDef<S extends z.ZodObject> {
  name: string;
  aliases?: string[];
  /** One line for the !help list. */
  summary: string;
  /** Argument synopsis, e.g. "<change|url> [--dry-run]". */
  usage?: string;
  /** Longer help for `!help <name>`. */
  help?: string;
  args: S;
  /** Names of the args filled from positional words, in order; the last one takes the rest if `rest`. */
  positional?: (keyof z.infer<S> & string)[];
  rest?: boolean;
  /** Role needed by default ("anyone" if unset); config `commands.<name>.role` overrides it. */
  permission?: string;
  run(ctx: CommandContext, args: z.infer<S>): Promise<string>;
}

// The args type is erased in the registry: each command checks its own args with zod before run().
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandDef<any>;

export function defineCommand<S extends z.ZodObject>(def: CommandDef<S>): CommandDef<S> {
  return def;
}

/** Splits words, keeping "quoted strings" together. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? m[3] ?? ""));
  return out;
}

export interface Invocation {
  name: string;
  words: string[];
}

/** `!name args` → {name, words}; null when the text is not a command. */
export function parseInvocation(text: string, prefix: string): Invocation | null {
  const t = text.trim();
  if (!t.startsWith(prefix)) return null;
  const words = tokenize(t.slice(prefix.length));
  const name = words.shift();
  if (!name || !/^[a-z][a-z0-9-]*$/i.test(name)) return null;
  return { name: name.toLowerCase(), words };
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Binds words to a command's declared args and validates them; errors name the argument and value. */
export function bindArgs(cmd: AnyCommand, words: string[]): z.infer<AnyCommand["args"]> {
  const raw: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const w of words) {
    const flag = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/i.exec(w);
    if (flag?.[1]) raw[camel(flag[1])] = flag[2] ?? true;
    else positionals.push(w);
  }
  const names = cmd.positional ?? [];
  names.forEach((n, i) => {
    const isLast = i === names.length - 1;
    const v = isLast && cmd.rest ? positionals.slice(i).join(" ") : positionals[i];
    if (v !== undefined && v !== "") raw[n] = v;
  });
  if (positionals.length > names.length && !cmd.rest) {
    throw new UserError(
      `too many arguments: ${positionals.slice(names.length).join(" ")}\nusage: ${usageOf(cmd, "!")}`,
    );
  }
  const parsed = cmd.args.strict().safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === "unrecognized_keys") {
    throw new UserError(
      `unknown option ${issue.keys.map((k: string) => `--${k}`).join(", ")}\nusage: ${usageOf(cmd, "!")}`,
    );
  }
  const field = String(issue?.path[0] ?? "");
  const got = raw[field];
  const what = got === undefined ? "missing" : `${issue?.message ?? "invalid"} (got ${JSON.stringify(got)})`;
  throw new UserError(`bad argument <${field}>: ${what}\nusage: ${usageOf(cmd, "!")}`);
}

export function usageOf(cmd: AnyCommand, prefix: string): string {
  return `${prefix}${cmd.name}${cmd.usage ? ` ${cmd.usage}` : ""}`;
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min(
        (prev[j] as number) + 1,
        (prev[j - 1] as number) + 1,
        diag + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}

export function suggest(name: string, commands: readonly AnyCommand[]): string | undefined {
  let best: { n: string; d: number } | undefined;
  for (const c of commands) {
    for (const n of [c.name, ...(c.aliases ?? [])]) {
      const d = n.startsWith(name) || name.startsWith(n) ? 1 : editDistance(name, n);
      if (d <= 2 && (!best || d < best.d)) best = { n: c.name, d };
    }
  }
  return best?.n;
}

export interface RouterConfig {
  prefix: string;
  unauthorized: "refuse" | "silent";
  /** Role → network → user ids. */
  roles: Record<string, Partial<Record<string, string[]>>>;
  /** Per-command role overrides from config. */
  overrides: Record<string, { role?: string | undefined }>;
}

export interface RateLimiter {
  /** Counts one command by this user; false when over the limit. */
  hit(network: string, user: string): Promise<boolean>;
  describe(): string;
}

export interface CommandRequest {
  network: string;
  room: string;
  user: string;
  text: string;
}

/** Longest command text the router reads; longer is refused (and only this much is ever stored). */
export const MAX_COMMAND_CHARS = 2000;
/** What the audit log keeps of the arguments: a few words, each cut short. */
const AUDIT_WORDS = 20;
const AUDIT_WORD_CHARS = 200;

/** The arguments as the audit log records them: bounded whatever the user sent. */
export function auditArgs(words: readonly string[]): string[] {
  const out = words
    .slice(0, AUDIT_WORDS)
    .map((w) => (w.length > AUDIT_WORD_CHARS ? `${w.slice(0, AUDIT_WORD_CHARS)}…(${w.length} chars)` : w));
  if (words.length > AUDIT_WORDS) out.push(`…(${words.length - AUDIT_WORDS} more words)`);
  return out;
}

export type Outcome = "ok" | "error" | "unknown" | "denied" | "rate-limited" | "bad-args";

export class CommandRouter {
  private readonly byName = new Map<string, AnyCommand>();

  constructor(
    readonly commands: readonly AnyCommand[],
    private readonly cfg: RouterConfig,
    private readonly limiter: RateLimiter,
  ) {
    for (const c of commands) for (const n of [c.name, ...(c.aliases ?? [])]) this.byName.set(n, c);
  }

  rolesOf(network: string, user: string): string[] {
    return Object.entries(this.cfg.roles)
      .filter(([, nets]) => nets[network]?.includes(user))
      .map(([role]) => role);
  }

  requiredRole(cmd: AnyCommand): string {
    return this.cfg.overrides[cmd.name]?.role ?? cmd.permission ?? "anyone";
  }

  allowed(cmd: AnyCommand, roles: readonly string[]): boolean {
    const need = this.requiredRole(cmd);
    return need === "anyone" || roles.includes(need) || roles.includes("admin");
  }

  /** Handles one message. Returns the reply (null = say nothing) and the outcome for the audit log. */
  async handle(
    req: CommandRequest,
    services: CommandServices,
    log: Logger,
  ): Promise<{ reply: string | null; outcome: Outcome; command?: string }> {
    const tooLong = req.text.length > MAX_COMMAND_CHARS;
    const inv = parseInvocation(tooLong ? req.text.slice(0, 200) : req.text, this.cfg.prefix);
    if (!inv) return { reply: null, outcome: "unknown" };
    const cmd = this.byName.get(inv.name);
    const roles = this.rolesOf(req.network, req.user);
    const audit = (outcome: Outcome, extra: Record<string, unknown> = {}) =>
      log.info(
        {
          audit: true,
          command: inv.name.slice(0, 64),
          args: auditArgs(inv.words),
          user: req.user,
          network: req.network,
          room: req.room,
          outcome,
          ...extra,
        },
        "command",
      );
    // Every reply counts, unknown and refused commands too: none of them is a way to make the bot talk.
    if (!(await this.limiter.hit(req.network, req.user))) {
      audit("rate-limited");
      return {
        reply: `Slow down, please: ${this.limiter.describe()}.`,
        outcome: "rate-limited",
        ...(cmd ? { command: cmd.name } : {}),
      };
    }
    if (tooLong) {
      audit("bad-args", { error: `text of ${req.text.length} characters` });
      return {
        reply: `That command is too long: at most ${MAX_COMMAND_CHARS} characters.`,
        outcome: "bad-args",
        ...(cmd ? { command: cmd.name } : {}),
      };
    }
    if (!cmd) {
      const visible = this.commands.filter((c) => this.allowed(c, roles));
      const s = suggest(inv.name, visible);
      audit("unknown");
      return {
        reply: `Unknown command ${this.cfg.prefix}${inv.name.slice(0, 64)}.${s ? ` Did you mean ${this.cfg.prefix}${s}?` : ""} Try ${this.cfg.prefix}help.`,
        outcome: "unknown",
      };
    }
    if (!this.allowed(cmd, roles)) {
      audit("denied", { need: this.requiredRole(cmd) });
      const reply =
        this.cfg.unauthorized === "silent"
          ? null
          : `Sorry, ${this.cfg.prefix}${cmd.name} needs the ${this.requiredRole(cmd)} role.`;
      return { reply, outcome: "denied", command: cmd.name };
    }
    const ctx: CommandContext = {
      user: req.user,
      network: req.network,
      room: req.room,
      roles,
      prefix: this.cfg.prefix,
      services,
      commands: this.commands.filter((c) => this.allowed(c, roles)),
      log: log.child({ command: cmd.name, user: req.user, room: req.room }),
    };
    let args: unknown;
    try {
      args = bindArgs(cmd, inv.words);
    } catch (err) {
      audit("bad-args", { error: errorMessage(err) });
      return { reply: errorMessage(err), outcome: "bad-args", command: cmd.name };
    }
    try {
      const reply = await cmd.run(ctx, args);
      audit("ok");
      return { reply, outcome: "ok", command: cmd.name };
    } catch (err) {
      audit("error", { error: errorMessage(err) });
      if (err instanceof UserError) return { reply: err.message, outcome: "error", command: cmd.name };
      return {
        reply: `Sorry, ${this.cfg.prefix}${cmd.name} failed: ${errorMessage(err)}`,
        outcome: "error",
        command: cmd.name,
      };
    }
  }
}

export { z };
