// Gerrit changes of the monorepo project for the fake Gerrit REST: files of the current patch set, and
// optionally Zuul's Verified vote on it.
import type { ChangeInfo } from "../../src/integrations/gerrit/client.js";
import { makeChange, verifiedLabels } from "../fakes/gerrit-rest.js";

export const MONOREPO_PROJECT = "openstack/sunbeam-charms";

export function monorepoChange(
  n: number,
  files: string[],
  o: { status?: string; branch?: string; project?: string; zuul?: number; ps?: number; minute?: number } = {},
): ChangeInfo {
  const c = makeChange(n, {
    status: o.status ?? "NEW",
    branch: o.branch ?? "main",
    project: o.project ?? MONOREPO_PROJECT,
    updated: `2025-01-01 10:${String(o.minute ?? 0).padStart(2, "0")}:00.000000000`,
  });
  const rev = c.revisions?.[c.current_revision ?? ""];
  if (rev) {
    if (o.ps !== undefined) rev._number = o.ps;
    rev.files = Object.fromEntries(files.map((f) => [f, { lines_inserted: 1, lines_deleted: 0 }]));
  }
  return o.zuul === undefined ? c : { ...c, ...verifiedLabels([{ username: "zuul", value: o.zuul }]) };
}
