// RegistryClient against Debian's real docker-registry, with a node:http front for tokens, Link paging, 429s and digest stripping.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  MANIFEST_ACCEPT,
  RegistryClient,
  TransientRegistryError,
} from "../../../src/integrations/registry/client.js";
import { PermanentError, RetryLaterError, UserError } from "../../../src/core/errors.js";
import { startRegistryFront, type RegistryFront } from "../../fakes/registry-front.js";
import {
  pushImage,
  pushIndex,
  startRegistry,
  type Pushed,
  type TestRegistry,
} from "../../helpers/registry.js";

let reg: TestRegistry;
let front: RegistryFront;
let plain: Pushed;
let index: Pushed;
let amd64: Pushed;
let arm64: Pushed;

const KEYSTONE = "canonical/keystone";
const PAGED = "canonical/glance-api";
const PAGED_TAGS = [
  "2024.1-24.04_edge",
  "2024.2-24.04_edge",
  "2025.1-24.04_edge",
  "2025.2-24.04_edge",
  "latest",
];

function client(extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  return new RegistryClient({
    allowedHosts: [reg.host, front.host],
    plainHttpHosts: [reg.host, front.host],
    random: () => 0,
    ...extra,
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  reg = await startRegistry();
  front = await startRegistryFront(reg.url);
  plain = await pushImage(reg.url, KEYSTONE, "2024.1", { content: "plain\n" });
  amd64 = await pushImage(reg.url, KEYSTONE, "amd64-build", { content: "amd64\n" });
  arm64 = await pushImage(reg.url, KEYSTONE, "arm64-build", { content: "arm64\n", architecture: "arm64" });
  index = await pushIndex(reg.url, KEYSTONE, "2024.1-24.04_edge", [amd64, arm64]);
  for (const tag of PAGED_TAGS) await pushImage(reg.url, PAGED, tag);
});

afterAll(async () => {
  await front?.close();
  await reg?.stop();
});

beforeEach(() => {
  front.requireToken = false;
  front.tokenField = "token";
  front.pageSize = null;
  front.stripDigest = false;
  front.tokenRequests = 0;
  front.requests = [];
  front.failNext(0, 0);
});

describe("tags", () => {
  it("lists every tag; registry 2.8 ignores n and sends no Link, which yields one complete page", async () => {
    const raw = await fetch(`${reg.url}/v2/${PAGED}/tags/list?n=2`);
    expect(raw.headers.get("link")).toBeNull();
    const tags = await client({ pageSize: 2 }).listTags(`${reg.host}/${PAGED}`);
    expect(tags?.sort()).toEqual([...PAGED_TAGS].sort());
  });

  it("follows relative Link rel=next pages to the end, asking with last=", async () => {
    front.pageSize = 2;
    const tags = await client().listTags(`${front.host}/${PAGED}`);
    expect(tags).toEqual([...PAGED_TAGS].sort());
    const pages = front.requests.filter((r) => r.includes("/tags/list"));
    expect(pages).toHaveLength(3);
    expect(pages[1]).toContain("last=2024.2-24.04_edge");
  });

  it("stops at the page cap with what it has", async () => {
    front.pageSize = 2;
    const tags = await client({ maxPages: 2 }).listTags(`${front.host}/${PAGED}`);
    expect(tags).toHaveLength(4);
  });

  it("returns null for an unknown repository", async () => {
    expect(await client().listTags(`${reg.host}/canonical/no-such-rock`)).toBeNull();
  });
});

describe("digest", () => {
  it("is the Docker-Content-Digest of a plain manifest", async () => {
    expect(await client().digest(`${reg.host}/${KEYSTONE}:2024.1`)).toBe(plain.digest);
  });

  it("is the index digest for a multi-arch tag (a manifest-only Accept would get 404)", async () => {
    const d = await client().digest(`${reg.host}/${KEYSTONE}`, "2024.1-24.04_edge");
    expect(d).toBe(index.digest);
    expect(d).not.toBe(amd64.digest);
    const url = `${reg.url}/v2/${KEYSTONE}/manifests/2024.1-24.04_edge`;
    const manifestOnly = await fetch(url, {
      method: "HEAD",
      headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    expect(manifestOnly.status).toBe(404);
    const all = await fetch(url, { method: "HEAD", headers: { Accept: MANIFEST_ACCEPT } });
    expect(all.headers.get("docker-content-digest")).toBe(index.digest);
  });

  it("changes when the tag is re-pointed", async () => {
    const c = client();
    const first = await pushImage(reg.url, "canonical/nova-api", "2025.1", { content: "one\n" });
    expect(await c.digest(`${reg.host}/canonical/nova-api:2025.1`)).toBe(first.digest);
    const second = await pushImage(reg.url, "canonical/nova-api", "2025.1", { content: "two\n" });
    expect(second.digest).not.toBe(first.digest);
    expect(await c.digest(`${reg.host}/canonical/nova-api:2025.1`)).toBe(second.digest);
  });

  it("falls back to GET + sha256 of the body when Docker-Content-Digest is missing", async () => {
    front.stripDigest = true;
    const c = client();
    expect(await c.digest(`${front.host}/${KEYSTONE}:2024.1`)).toBe(plain.digest);
    expect(await c.digest(`${front.host}/${KEYSTONE}:2024.1-24.04_edge`)).toBe(index.digest);
    expect(front.requests.filter((r) => r.startsWith("GET /v2/"))).toHaveLength(2);
  });

  it("returns null for an unknown tag or repository", async () => {
    expect(await client().digest(`${reg.host}/${KEYSTONE}:2099.1`)).toBeNull();
    expect(await client().digest(`${reg.host}/canonical/nope:2024.1`)).toBeNull();
  });

  it("resolves a digest reference too", async () => {
    expect(await client().digest(`${reg.host}/${KEYSTONE}@${index.digest}`)).toBe(index.digest);
  });
});

describe("anonymous bearer tokens", () => {
  it("fetches a token on 401, caches it per repository, and re-authenticates once on a later 401", async () => {
    front.requireToken = true;
    const c = client();
    expect(await c.listTags(`${front.host}/${KEYSTONE}`)).toContain("2024.1");
    expect(front.tokenRequests).toBe(1);
    expect(await c.digest(`${front.host}/${KEYSTONE}:2024.1`)).toBe(plain.digest);
    expect(front.tokenRequests).toBe(1); // cached
    expect(await c.listTags(`${front.host}/${PAGED}`)).toHaveLength(PAGED_TAGS.length);
    expect(front.tokenRequests).toBe(2); // another repository, another scope
    front.revokeTokens();
    expect(await c.digest(`${front.host}/${KEYSTONE}:2024.1`)).toBe(plain.digest);
    expect(front.tokenRequests).toBe(3);
    expect(front.requests.filter((r) => r.startsWith("GET /token"))[0]).toContain(
      `scope=${encodeURIComponent(`repository:${KEYSTONE}:pull`)}`,
    );
  });

  it("fetches a new token once the cached one is older than its lifetime", async () => {
    front.requireToken = true;
    let now = 1_000_000;
    const c = client({ now: () => now });
    await c.digest(`${front.host}/${KEYSTONE}:2024.1`);
    now += 30_000;
    await c.digest(`${front.host}/${KEYSTONE}:2024.1`);
    expect(front.tokenRequests).toBe(1);
    now += 31_000;
    await c.digest(`${front.host}/${KEYSTONE}:2024.1`);
    expect(front.tokenRequests).toBe(2);
  });

  it("shares one token fetch between concurrent requests for a repository", async () => {
    front.requireToken = true;
    const c = client();
    const ref = `${front.host}/${KEYSTONE}:2024.1`;
    expect(await Promise.all([c.digest(ref), c.digest(ref), c.listTags(ref)])).toHaveLength(3);
    expect(front.tokenRequests).toBe(1);
  });

  it("accepts access_token instead of token", async () => {
    front.requireToken = true;
    front.tokenField = "access_token";
    expect(await client().digest(`${front.host}/${KEYSTONE}:2024.1`)).toBe(plain.digest);
  });
});

describe("errors", () => {
  it("turns 429 into RetryLaterError honouring Retry-After seconds, with jitter", async () => {
    front.failNext(1, 429, "7");
    const err = await rejection(client().digest(`${front.host}/${KEYSTONE}:2024.1`));
    expect(err).toBeInstanceOf(RetryLaterError);
    expect((err as RetryLaterError).retryAfterMs).toBe(7000);
    front.failNext(1, 429, "7");
    const jittered = await rejection(client({ random: () => 0.5 }).listTags(`${front.host}/${KEYSTONE}`));
    expect((jittered as RetryLaterError).retryAfterMs).toBe(7000 + Math.floor(0.5 * (1000 + 700)));
    expect(await client().digest(`${front.host}/${KEYSTONE}:2024.1`)).toBe(plain.digest);
  });

  it("honours Retry-After given as an HTTP date", async () => {
    const now = Date.parse("2025-06-01T12:00:00Z");
    front.failNext(1, 429, new Date(now + 30_000).toUTCString());
    const err = await rejection(client({ now: () => now }).digest(`${front.host}/${KEYSTONE}:2024.1`));
    expect((err as RetryLaterError).retryAfterMs).toBe(30_000);
  });

  it("treats 5xx and an unreachable registry as transient, not permanent", async () => {
    front.failNext(1, 503);
    const err = await rejection(client().listTags(`${front.host}/${KEYSTONE}`));
    expect(err).toBeInstanceOf(TransientRegistryError);
    expect(err).not.toBeInstanceOf(PermanentError);
    const gone = new RegistryClient({ allowedHosts: ["127.0.0.1:1"], plainHttpHosts: ["127.0.0.1:1"] });
    expect(await rejection(gone.listTags("127.0.0.1:1/a/b"))).toBeInstanceOf(TransientRegistryError);
  });

  it("refuses registries outside allowedHosts before sending anything", async () => {
    const c = new RegistryClient({ allowedHosts: ["ghcr.io"] });
    const err = await rejection(c.listTags(`${front.host}/${KEYSTONE}`));
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain("not in the allowed registry hosts");
    expect(front.requests).toEqual([]);
  });
});
