// The demo's OCI registry: Debian's docker-registry on 127.0.0.1 with tiny images under the names the sample
// charms pin; after the bot's first poll (which only records), a newer tag and a moved digest to announce.
import { existsSync } from "node:fs";
import { pushImage, startRegistry, type TestRegistry } from "./registry.js";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

export const NO_REGISTRY_NOTE =
  "demo: OCI images are off: Debian's docker-registry is not installed " +
  "(sudo apt-get install -y docker-registry, then run the demo again for !images and image announcements).";

/** The images the sample charms pin (samples/monorepo/charms/x/charmcraft.yaml, without `ghcr.io/`). */
const PINNED: [string, string][] = [
  ["canonical/keystone", "2024.1"],
  ["canonical/glance-api", "2024.1"],
  ["canonical/nova-consolidated", "2024.1"],
  ["canonical/placement-api", "2024.1"],
];

export interface SampleRegistry {
  registry: TestRegistry;
  /** A newer keystone tag, and nova's pinned tag re-pushed with other content (a moved digest). */
  publishUpdates(): Promise<void>;
  stop(): Promise<void>;
}

/** Undefined when docker-registry is not installed (the caller prints NO_REGISTRY_NOTE). */
export async function startSampleRegistry(
  bin = process.env.DOCKER_REGISTRY_BIN ?? REGISTRY_BIN,
): Promise<SampleRegistry | undefined> {
  if (!existsSync(bin)) return undefined;
  const registry = await startRegistry(bin);
  try {
    await Promise.all(PINNED.map(([name, tag]) => pushImage(registry.url, name, tag)));
  } catch (err) {
    await registry.stop();
    throw err;
  }
  return {
    registry,
    publishUpdates: async () => {
      await pushImage(registry.url, "canonical/keystone", "2025.1");
      await pushImage(registry.url, "canonical/nova-consolidated", "2024.1", {
        content: "rebuilt with CVE fixes\n",
      });
    },
    stop: () => registry.stop(),
  };
}
