// Checks of a valid config against this machine: key and data files readable, the clone's place writable,
// the HTTP port free. `config check` runs them; a failure names the key, as every start-up failure must.
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { CronExpressionParser } from "cron-parser";
import type { ConfigProblem } from "../core/config-load.js";
import type { Config } from "./config.js";

/**
 * The cron pattern as BullMQ's own parser (cron-parser) reads it: `61 25 * * 9` has five fields and
 * passes the schema, but would only fail when the scheduler is upserted at `run`.
 */
export function cronProblems(cfg: Config): ConfigProblem[] {
  const s = cfg.summary;
  if (!s?.enabled) return [];
  try {
    CronExpressionParser.parse(s.cron, { tz: s.timezone });
    return [];
  } catch (err) {
    return [
      {
        path: "summary.cron",
        message: `is not a valid cron pattern: ${(err as Error).message}`,
        value: s.cron,
      },
    ];
  }
}

function readable(path: string, key: string): ConfigProblem[] {
  try {
    if (!statSync(path).isFile()) return [{ path: key, message: "is not a regular file", value: path }];
    accessSync(path, constants.R_OK);
    return [];
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    const why = code === "ENOENT" ? "does not exist" : `cannot be read (${code})`;
    return [{ path: key, message: `file ${why}`, value: path }];
  }
}

/** The clone's path exists (and is writable) or its nearest existing parent is writable. */
function writableDir(path: string, key: string): ConfigProblem[] {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return [];
  } catch {
    return [
      {
        path: key,
        message: `${dir} is not writable by this user: give the bot a state directory (docs/operations.md)`,
        value: path,
      },
    ];
  }
}

/** Files the config names, read at run time: missing ones fail `config check`, not the first job. */
export function fileProblems(cfg: Config): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (cfg.gerrit?.ssh) out.push(...readable(cfg.gerrit.ssh.privateKeyFile, "gerrit.ssh.privateKeyFile"));
  if (cfg.summary?.enabled) out.push(...readable(cfg.summary.actionsFile, "summary.actionsFile"));
  const checklist = cfg.launchpad?.checklistFile;
  if (checklist) out.push(...readable(checklist, "launchpad.checklistFile"));
  if (cfg.monorepo) out.push(...writableDir(cfg.monorepo.path, "monorepo.path"));
  return out;
}

/** Whether host:port can be bound now; the problem names http.port. */
export function portProblems(cfg: Config): Promise<ConfigProblem[]> {
  const { enabled, host, port } = cfg.http;
  if (!enabled || port === 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", (err: NodeJS.ErrnoException) =>
      resolve([{ path: "http.port", message: httpListenMessage(host, port, err), value: port }]),
    );
    srv.listen(port, host, () => srv.close(() => resolve([])));
  });
}

/** The message for a failed listen on http.host:http.port, naming the setting. */
export function httpListenMessage(host: string, port: number, err: NodeJS.ErrnoException): string {
  if (err.code === "EADDRINUSE")
    return `${host}:${port} is already in use (EADDRINUSE): another process listens there; change http.port`;
  if (err.code === "EACCES") return `${host}:${port} needs privileges (EACCES): use a port above 1023`;
  if (err.code === "EADDRNOTAVAIL")
    return `${host} is not an address of this machine (EADDRNOTAVAIL): check http.host`;
  return `cannot listen on ${host}:${port} (${err.code ?? err.message})`;
}
