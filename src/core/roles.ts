// The roles one process can play; `run --only` picks some, so replicas can be split by job (ARCHITECTURE §9).
import { UserError } from "./errors.js";

export const ROLES = ["sources", "workers", "chat", "scheduler"] as const;
export type Role = (typeof ROLES)[number];

/** `--only sources,workers` → the roles; an unknown name is a usage error naming it. */
export function parseRoles(text: string): Role[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UserError(`--only needs at least one role (${ROLES.join(", ")})`);
  for (const n of names) {
    if (!(ROLES as readonly string[]).includes(n))
      throw new UserError(`--only: unknown role "${n}" (roles: ${ROLES.join(", ")})`);
  }
  return [...new Set(names)] as Role[];
}
