// The pino root logger: JSON lines, secret values scrubbed from every line before it is written.
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

/** Keys whose values are never logged, wherever they appear in a log object. */
const REDACT_PATHS = [
  "password",
  "token",
  "accessToken",
  "secret",
  "authorization",
  "Authorization",
  "*.password",
  "*.token",
  "*.accessToken",
  "*.appToken",
  "*.botToken",
  "*.secret",
  "*.signingSecret",
  "*.authorization",
  "*.Authorization",
  "*.headers.authorization",
  "*.headers.Authorization",
  "*.*.headers.authorization",
  "*.*.headers.Authorization",
];

/** Secret values registered at start-up (from env / *_FILE); any log line containing one is scrubbed. */
const secretValues = new Set<string>();

export function registerSecret(value: string | undefined): void {
  // Very short values would scrub ordinary words; real tokens are long.
  if (value && value.length >= 6) secretValues.add(value);
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const s of secretValues) {
    if (out.includes(s)) out = out.split(s).join("[REDACTED]");
    // Secrets also travel JSON-escaped or percent-encoded inside a log line.
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s && out.includes(escaped)) out = out.split(escaped).join("[REDACTED]");
    const encoded = encodeURIComponent(s);
    if (encoded !== s && out.includes(encoded)) out = out.split(encoded).join("[REDACTED]");
  }
  return out;
}

export interface LogOptions {
  level?: string;
  destination?: DestinationStream;
}

export function createLogger(opts: LogOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? "info",
      base: { app: "sunbeam-bot" },
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      hooks: { streamWrite: scrubSecrets },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/**
 * A logger for errors that repeat while a dependency is down (Redis reconnects, queue errors): the first of
 * each key per window is logged, later ones are counted and the count goes out with the next line logged.
 * An outage thus writes a few JSON lines a minute, not thousands.
 */
export function rateLimitedLog(
  log: Logger,
  windowMs = 60_000,
  now: () => number = Date.now,
): (level: "warn" | "error", key: string, fields: Record<string, unknown>, msg: string) => void {
  const seen = new Map<string, { at: number; suppressed: number }>();
  return (level, key, fields, msg) => {
    const t = now();
    const s = seen.get(key);
    if (s && t - s.at < windowMs) {
      s.suppressed++;
      return;
    }
    seen.set(key, { at: t, suppressed: 0 });
    log[level]({ ...fields, ...(s?.suppressed ? { suppressed: s.suppressed } : {}) }, msg);
  };
}
