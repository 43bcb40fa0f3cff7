// The one HTTP failure classification and retry policy every client (Gerrit, Launchpad, registry) uses.
import { describe, expect, it } from "vitest";
import { classify, retryStep, type RetryPolicy } from "../../src/integrations/http.js";
import { RetryLaterError } from "../../src/core/errors.js";
import { HttpPermanentError } from "../../src/integrations/http.js";

const NOW = Date.UTC(2026, 11, 8, 12, 0, 0);
const policy: RetryPolicy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 60_000 };
const fail = (status: number | undefined, code?: string, headers: Record<string, unknown> = {}) => {
  const v = classify(status, code, headers, "server says no", NOW);
  if (v.kind === "ok") throw new Error("expected a failure");
  return v;
};

describe("classify", () => {
  it.each([
    [200, "ok"],
    [204, "ok"],
    [302, "ok"],
    [400, "permanent"],
    [401, "permanent"],
    [404, "permanent"],
    [409, "permanent"],
    [412, "permanent"],
    [408, "transient"],
    [429, "transient"],
    [500, "transient"],
    [502, "transient"],
    [503, "transient"],
    [504, "transient"],
  ])("HTTP %i is %s", (status, kind) => {
    expect(classify(status, undefined, {}, "", NOW).kind).toBe(kind);
  });

  it("repeats in-process only what a short wait can fix; a 500 goes back to the queue", () => {
    for (const status of [408, 429, 502, 503, 504]) {
      expect(fail(status), String(status)).toMatchObject({ kind: "transient", repeatHere: true });
    }
    const oops = fail(500);
    expect(oops.kind === "transient" && oops.repeatHere).toBe(false);
  });

  it("transport errors: known codes are transient, ECONNREFUSED means the server did not act", () => {
    const refused = fail(undefined, "ECONNREFUSED");
    expect(refused).toMatchObject({ kind: "transient", unprocessed: true, repeatHere: true });
    expect(fail(undefined, "ECONNRESET")).toMatchObject({ kind: "transient", unprocessed: false });
    expect(fail(undefined, "ERR_SOMETHING_ELSE").kind).toBe("permanent");
  });

  it("reads Retry-After as seconds (with decimals) or an HTTP date", () => {
    expect(fail(429, undefined, { "retry-after": "2.5" })).toMatchObject({ retryAfterMs: 2500 });
    const date = new Date(NOW + 30_000).toUTCString();
    expect(fail(503, undefined, { "retry-after": date })).toMatchObject({ retryAfterMs: 30_000 });
  });
});

describe("retryStep", () => {
  const one = () => 1;
  it("a permanent failure throws HttpPermanentError with the status", () => {
    const s = retryStep(fail(404), "Gerrit GET /x", 0, policy, true, one);
    expect(s.action).toBe("throw");
    if (s.action === "throw") {
      expect(s.error).toBeInstanceOf(HttpPermanentError);
      expect((s.error as HttpPermanentError).status).toBe(404);
    }
  });

  it("a read is repeated with exponential backoff, then handed to the queue", () => {
    expect(retryStep(fail(503), "w", 0, policy, true, one)).toEqual({ action: "repeat", delayMs: 100 });
    expect(retryStep(fail(503), "w", 2, policy, true, one)).toEqual({ action: "repeat", delayMs: 400 });
    const last = retryStep(fail(503), "w", 3, policy, true, one);
    expect(last.action === "throw" && last.error instanceof RetryLaterError).toBe(true);
  });

  it("an ambiguous failure of a write is never repeated here (the caller checks first)", () => {
    const s = retryStep(fail(504), "POST review", 0, policy, false, one);
    expect(s.action === "throw" && s.error instanceof RetryLaterError).toBe(true);
    // 503 and 429: the server did not act, so even a write may be repeated.
    expect(retryStep(fail(503), "POST review", 0, policy, false, one).action).toBe("repeat");
  });

  it("a Retry-After longer than the policy allows goes to the queue with that delay", () => {
    const s = retryStep(fail(429, undefined, { "retry-after": "600" }), "w", 0, policy, true, one);
    expect(s.action).toBe("throw");
    if (s.action === "throw") expect((s.error as RetryLaterError).retryAfterMs).toBe(600_000);
  });
});
