// The events the OCI image poller emits (members of the BotEvent union) and their deterministic ids.

/** A tag relevant to some pin (a newer release of a pinned family, or a pinned tag) appeared. */
export interface OciTagPublishedEvent {
  source: "oci";
  kind: "oci.tag-published";
  /** `oci:<image>:<tag>@<digest>`: the same tag at the same digest is never announced twice. */
  id: string;
  /** Registry and repository, e.g. `ghcr.io/canonical/keystone`. */
  image: string;
  tag: string;
  /** The index / manifest-list digest the tag resolves to. */
  digest: string;
  /** The pinned tags this tag is a newer release for (empty when the new tag is itself a pinned tag). */
  upgrades: string[];
  /** When the poller saw it (ms since the epoch); not part of the id. */
  detectedAt: number;
}

/** A tag that some pin references, or a newer release of one, now resolves to a different digest. */
export interface OciDigestChangedEvent {
  source: "oci";
  kind: "oci.digest-changed";
  /** `oci:<image>:<tag>@<digest>` with the new digest. */
  id: string;
  image: string;
  tag: string;
  digest: string;
  /** The digest recorded for the tag before this poll. */
  previous: string;
  detectedAt: number;
}

export type OciEvent = OciTagPublishedEvent | OciDigestChangedEvent;

export function ociEventId(image: string, tag: string, digest: string): string {
  return `oci:${image}:${tag}@${digest}`;
}
