// Runs Debian's real docker-registry on 127.0.0.1 (temp config and storage) and pushes tiny images/indexes over
// HTTP: the demo's private registry, and the tests'.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { freePort } from "../../core/redis-server.js";

export const REGISTRY_MISSING =
  "docker-registry was not found. Install it (Debian/Ubuntu: sudo apt-get install -y docker-registry) " +
  "or set DOCKER_REGISTRY_BIN to its path.";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

export interface TestRegistry {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`: the registry part of image references and of the client's allowedHosts. */
  host: string;
  dir: string;
  stop(): Promise<void>;
}

/** A pushed manifest, in the shape an index entry needs. */
export interface Pushed {
  digest: string;
  size: number;
  mediaType: string;
  platform?: { architecture: string; os: string };
}

const sha256 = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/**
 * Starts `docker-registry serve` with its own config in a temp dir (never the packaged one: it listens on
 * all interfaces and turns on htpasswd auth) and waits until `/v2/` answers.
 */
export async function startRegistry(
  bin = process.env.DOCKER_REGISTRY_BIN ?? "docker-registry",
): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "sunbeam-registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: {level: warn, accesslog: {disabled: true}}",
      "storage:",
      `  filesystem: {rootdirectory: ${join(dir, "data")}}`,
      "  delete: {enabled: true}",
      "http:",
      `  addr: ${host}`,
      "",
    ].join("\n"),
  );
  // REGISTRY_* variables override the config file: keep the caller's out of it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("REGISTRY_")));
  const child = spawn(bin, ["serve", join(dir, "config.yml")], { stdio: ["ignore", "pipe", "pipe"], env });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "ENOENT" ? new Error(REGISTRY_MISSING) : err),
    );
    child.once("exit", (code) =>
      reject(new Error(`docker-registry exited (${code}) before it was ready:\n${output}`)),
    );
  });
  failed.catch(() => undefined);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([failed, waitForV2(`http://${host}`)]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://${host}`, host, dir, stop };
}

async function waitForV2(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer ${url}/v2/ within 10 s`);
}

/** POST to open an upload session, then one monolithic PUT with ?digest= (single-POST is incomplete on 2.8). */
export async function pushBlob(url: string, name: string, blob: Buffer): Promise<string> {
  const digest = sha256(blob);
  const post = await fetch(`${url}/v2/${name}/blobs/uploads/`, { method: "POST" });
  const location = post.headers.get("location");
  if (post.status !== 202 || !location)
    throw new Error(`blob upload start: ${post.status} ${await post.text()}`);
  // Location may be relative and already carries ?_state=…
  const put = new URL(location, url);
  put.searchParams.set("digest", digest);
  const res = await fetch(put, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream" },
    body: blob,
  });
  if (res.status !== 201) throw new Error(`blob upload: ${res.status} ${await res.text()}`);
  return digest;
}

/** PUTs a manifest or index as the exact bytes given; returns the registry's digest (checked against ours). */
export async function putManifest(
  url: string,
  name: string,
  tag: string,
  body: Buffer,
  mediaType: string,
): Promise<string> {
  const res = await fetch(`${url}/v2/${name}/manifests/${tag}`, {
    method: "PUT",
    headers: { "Content-Type": mediaType },
    body,
  });
  if (res.status !== 201) throw new Error(`manifest PUT ${name}:${tag}: ${res.status} ${await res.text()}`);
  const digest = res.headers.get("docker-content-digest");
  if (digest !== sha256(body)) throw new Error(`registry digest ${digest} differs from ${sha256(body)}`);
  return digest;
}

/** A one-file ustar archive (header, data, padding, two zero blocks): a genuine layer, built without tar(1). */
function tarOneFile(fileName: string, content: Buffer): Buffer {
  const h = Buffer.alloc(512);
  const field = (s: string, off: number, len: number): void => void h.write(s.slice(0, len), off, "ascii");
  const octal = (n: number, len: number): string => n.toString(8).padStart(len - 1, "0") + "\0";
  field(fileName, 0, 100);
  field(octal(0o644, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(content.length, 12), 124, 12);
  field(octal(0, 12), 136, 12);
  h.fill(" ", 148, 156); // checksum is computed with its own field as spaces
  field("0", 156, 1);
  field("ustar\0" + "00", 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  field(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([h, content, pad, Buffer.alloc(1024)]);
}

/**
 * Pushes a tiny single-layer OCI image (layer with `content`, config, manifest) as `name:tag`.
 * Different content gives a different manifest digest: that is how a test re-points a tag.
 */
export async function pushImage(
  url: string,
  name: string,
  tag: string,
  opts: { content?: string; architecture?: string; os?: string } = {},
): Promise<Pushed> {
  const architecture = opts.architecture ?? "amd64";
  const os = opts.os ?? "linux";
  const tar = tarOneFile("hello.txt", Buffer.from(opts.content ?? `${name}:${tag}\n`));
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({ architecture, os, rootfs: { type: "layers", diff_ids: [sha256(tar)] }, config: {} }),
  );
  const layerDigest = await pushBlob(url, name, layer);
  const configDigest = await pushBlob(url, name, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: configDigest,
        size: config.length,
      },
      layers: [
        { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: layer.length },
      ],
    }),
  );
  const digest = await putManifest(url, name, tag, manifest, OCI_MANIFEST);
  return { digest, size: manifest.length, mediaType: OCI_MANIFEST, platform: { architecture, os } };
}

/** Pushes a multi-arch OCI index listing already-pushed manifests of the same repository as `name:tag`. */
export async function pushIndex(
  url: string,
  name: string,
  tag: string,
  manifests: Pushed[],
): Promise<Pushed> {
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: manifests.map((m) => ({
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.size,
        platform: m.platform,
      })),
    }),
  );
  const digest = await putManifest(url, name, tag, index, OCI_INDEX);
  return { digest, size: index.length, mediaType: OCI_INDEX };
}
