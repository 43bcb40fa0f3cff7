// Pure: parses the `<change|url>` argument of !affected / !recheck-affected; links only to the configured Gerrit.
import { UserError } from "../../core/errors.js";

export interface ChangeArg {
  number: number;
  patchSet?: number;
  /** Named by a URL or a `project~number` id; checked against the monorepo project by the caller. */
  project?: string;
}

const MAX_CHANGE = 2 ** 31 - 1;

function toNumber(s: string, what: string): number {
  const n = Number(s);
  if (!/^\d{1,10}$/.test(s) || n < 1 || n > MAX_CHANGE) throw new UserError(`bad ${what}: ${s}`);
  return n;
}

function withPatchSet(number: number, ps: string | undefined, project?: string): ChangeArg {
  const out: ChangeArg = { number };
  if (ps !== undefined && ps !== "") out.patchSet = toNumber(ps, "patch set");
  if (project) out.project = project;
  return out;
}

/** Chat clients wrap links: Slack sends `<https://…>` or `<https://…|label>`, Markdown `[label](url)`. */
function unwrap(raw: string): string {
  const s = raw.trim();
  const slack = /^<([^|>]+)(?:\|[^>]*)?>$/.exec(s);
  if (slack?.[1]) return slack[1];
  const md = /^\[[^\]]*\]\(([^)\s]+)\)$/.exec(s);
  if (md?.[1]) return md[1];
  return s;
}

/** A percent-encoded project name; a malformed escape (`%`, `%E0%A4%A`) is the user's mistake, not a crash. */
function decodeProject(encoded: string, text: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new UserError(`bad project in ${text}`);
  }
}

/** The host (with port) and path prefix that links must use, from the configured Gerrit URL. */
function gerritBase(gerritUrl: string): { host: string; path: string } {
  const u = new URL(gerritUrl);
  return { host: u.host.toLowerCase(), path: u.pathname.replace(/\/+$/, "") };
}

function parseUrl(text: string, gerritUrl: string): ChangeArg {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UserError(`not a change number or Gerrit link: ${text}`);
  }
  const base = gerritBase(gerritUrl);
  // The number alone is looked up on the configured Gerrit: a link to another host would name another
  // change there (and must never make the bot contact that host).
  if ((u.protocol !== "https:" && u.protocol !== "http:") || u.host.toLowerCase() !== base.host) {
    throw new UserError(`only links to ${base.host} are accepted`);
  }
  if (!u.pathname.startsWith(`${base.path}/`) && u.pathname !== base.path) {
    throw new UserError(`only links to ${base.host}${base.path} are accepted`);
  }
  let path = u.pathname.slice(base.path.length);
  // The old UI kept the route in the fragment: /#/c/912345/ or /#/c/912345/3.
  if ((path === "/" || path === "") && u.hash.startsWith("#/")) path = u.hash.slice(1);
  // PolyGerrit: /c/<project>/+/912345[/3][/path/to/file]
  const poly = /^\/c\/(.+?)\/\+\/(\d+)(?:\/(\d+))?(?:\/.*)?$/.exec(path);
  if (poly?.[1] && poly[2]) {
    return withPatchSet(toNumber(poly[2], "change"), poly[3], decodeProject(poly[1], text));
  }
  // Project-less forms: /c/912345[/3] and the short link /912345
  const short = /^\/(?:c\/)?(\d+)(?:\/(\d+))?\/?$/.exec(path);
  if (short?.[1]) return withPatchSet(toNumber(short[1], "change"), short[2]);
  throw new UserError(`no change number in ${text}`);
}

/**
 * `912345`, `912345,3`, `https://<gerrit>/c/<project>/+/912345[/3]`, `https://<gerrit>/#/c/912345/`,
 * `openstack%2Fsunbeam-charms~912345` → the change (and patch set, project when given).
 */
export function parseChangeRef(raw: string, gerritUrl: string): ChangeArg {
  const text = unwrap(raw);
  if (text.length === 0) throw new UserError("missing change number or link");
  if (text.length > 500) throw new UserError("change argument too long");
  const plain = /^(\d+)(?:,(\d+))?$/.exec(text);
  if (plain?.[1]) return withPatchSet(toNumber(plain[1], "change"), plain[2]);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return parseUrl(text, gerritUrl);
  const id = /^([^~\s]+)~(\d+)$/.exec(text);
  if (id?.[1] && id[2]) {
    return withPatchSet(toNumber(id[2], "change"), undefined, decodeProject(id[1], text));
  }
  throw new UserError(`not a change number or Gerrit link: ${text}`);
}

/** The web link of a change on the configured Gerrit. */
export function changeUrl(gerritUrl: string, project: string, number: number, patchSet?: number): string {
  return `${gerritUrl.replace(/\/+$/, "")}/c/${project}/+/${number}${patchSet ? `/${patchSet}` : ""}`;
}
