// Pure parsing and formatting of OCI image references (registry/repository:tag@digest), Docker Hub rules included.
import { UserError } from "../../core/errors.js";

export interface ImageRef {
  /** Registry host[:port] as contacted, lower-case; Docker Hub is `registry-1.docker.io`. */
  registry: string;
  /** Repository path, e.g. `canonical/keystone` or `library/ubuntu`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = "registry-1.docker.io";

// The names people write for Docker Hub; the API itself only answers on registry-1.docker.io.
const DOCKER_HUB_ALIASES = new Set([
  "docker.io",
  "index.docker.io",
  "registry-1.docker.io",
  "registry.hub.docker.com",
]);

// Grammar from distribution/reference (the one Docker and registries enforce).
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** Maps Docker Hub aliases to the API host and lower-cases the rest (hostnames are case-insensitive). */
export function normalizeRegistryHost(host: string): string {
  const h = host.trim().toLowerCase();
  return DOCKER_HUB_ALIASES.has(h) ? DOCKER_HUB : h;
}

function bad(input: string, why: string): UserError {
  return new UserError(`invalid image reference ${JSON.stringify(input)}: ${why}`);
}

// Docker's rule: the first path component is a registry only if it looks like a host (has a dot or a
// port, or is "localhost"); otherwise the whole thing is a Docker Hub repository.
function looksLikeHost(component: string): boolean {
  return (
    component.includes(".") ||
    component.includes(":") ||
    component === "localhost" ||
    component.startsWith("[")
  );
}

/** Parses `[host[:port]/]path[:tag][@digest]`; throws UserError on anything a registry would refuse. */
export function parseImageRef(input: string): ImageRef {
  const s = input.trim();
  if (!s) throw bad(input, "empty");
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(input, `bad digest ${JSON.stringify(digest)}`);
    if (digest.startsWith("sha256:") && !SHA256_DIGEST.test(digest)) {
      throw bad(input, "sha256 digest must be 64 lower-case hex characters");
    }
  }
  let registry = DOCKER_HUB;
  const slash = rest.indexOf("/");
  if (slash > 0 && looksLikeHost(rest.slice(0, slash))) {
    const host = rest.slice(0, slash);
    if (!HOST.test(host)) throw bad(input, `bad registry host ${JSON.stringify(host)}`);
    registry = normalizeRegistryHost(host);
    rest = rest.slice(slash + 1);
  }
  let tag: string | undefined;
  // The tag separator is the last ':' after the last '/', so a host port is never mistaken for it.
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(input, `bad tag ${JSON.stringify(tag)}`);
  }
  if (!rest) throw bad(input, "no repository name");
  const parts = rest.split("/");
  for (const p of parts) {
    if (!COMPONENT.test(p)) {
      throw bad(
        input,
        `bad repository component ${JSON.stringify(p)} (lower-case letters, digits, . _ - only)`,
      );
    }
  }
  if (rest.length > 255) throw bad(input, "repository name longer than 255 characters");
  // Official images live under library/ on Docker Hub ("ubuntu" is really "library/ubuntu").
  const repository = registry === DOCKER_HUB && parts.length === 1 ? `library/${rest}` : rest;
  const ref: ImageRef = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Like parseImageRef but returns null instead of throwing (for scanning files full of odd strings). */
export function tryParseImageRef(input: string): ImageRef | null {
  try {
    return parseImageRef(input);
  } catch {
    return null;
  }
}

/**
 * Formats a reference the way people write it: Docker Hub references drop the host (and `library/`),
 * everything else keeps it. The result parses back to the same ImageRef.
 */
export function formatImageRef(ref: ImageRef): string {
  let name: string;
  if (ref.registry === DOCKER_HUB) {
    name =
      ref.repository.startsWith("library/") && ref.repository.split("/").length === 2
        ? ref.repository.slice("library/".length)
        : ref.repository;
    // A Docker Hub name whose first component looks like a host would be misread: keep the host then.
    if (name.includes("/") && looksLikeHost(name.slice(0, name.indexOf("/")))) name = `docker.io/${name}`;
  } else {
    name = `${ref.registry}/${ref.repository}`;
  }
  if (ref.tag !== undefined) name += `:${ref.tag}`;
  if (ref.digest !== undefined) name += `@${ref.digest}`;
  return name;
}

/** `registry/repository` without tag or digest: the identity of a watched image. */
export function imageName(ref: ImageRef): string {
  return formatImageRef({ registry: ref.registry, repository: ref.repository });
}
