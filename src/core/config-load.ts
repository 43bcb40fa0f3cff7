// Config problems, their one format, and YAML/zod readers shared by every config file (bot config, actions).
import { redactRedisUrl } from "./redis.js";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { secretHintFor } from "./secrets.js";

export interface ConfigProblem {
  path: string;
  message: string;
  value?: unknown;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${formatProblems(problems)}`,
    );
  }
}

export function formatProblems(problems: ConfigProblem[]): string {
  return problems
    .map(
      (p) =>
        `  ${p.path || "(top level)"}: ${p.message}${"value" in p && p.value !== undefined ? ` (got ${show(p.value)})` : ""}`,
    )
    .join("\n");
}

function show(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

export function zodProblems(raw: unknown, issues: z.core.$ZodIssue[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = base ? `${base}.${key}` : key;
        out.push({ path, message: secretHintFor(key) ?? "unknown key", value: undefined });
      }
      continue;
    }
    const value = valueAt(raw, issue.path);
    // A Redis URL may carry a password: a bad one is shown masked.
    out.push({
      path: base,
      message: issue.message,
      // Any URL that failed validation may carry credentials: never echo what stands before an '@'.
      value:
        base === "redis.url" && typeof value === "string"
          ? redactRedisUrl(value)
          : typeof value === "string" && value.includes("://")
            ? value.replace(/\/\/[^/@\s]*@/g, "//***@")
            : value,
    });
  }
  return out;
}

export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: `line ${e.linePos?.[0]?.line ?? "?"}`,
        message: e.message.split("\n")[0] ?? e.message,
      })),
    );
  }
  return doc.toJS();
}
