// Registry header parsers: Link rel=next, Bearer challenges, Retry-After; total on arbitrary input (fast-check).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  parseBearerChallenge,
  parseBodyRetryAfter,
  parseLinkHeader,
  parseRetryAfter,
  retryAfterMs,
} from "../../../src/integrations/registry/headers.js";

describe("parseLinkHeader", () => {
  it.each([
    ['</v2/a/tags/list?n=2&last=b>; rel="next"', "/v2/a/tags/list?n=2&last=b"],
    [
      "<https://ghcr.io/v2/a/tags/list?last=x&n=100>; rel=next",
      "https://ghcr.io/v2/a/tags/list?last=x&n=100",
    ],
    ['<a>; rel="prev", <b>; rel="next"', "b"],
    ['<a>; title="x"; REL="Next Last"', "a"],
  ])("%s", (h, next) => {
    expect(parseLinkHeader(h)).toEqual({ next });
  });

  it.each([undefined, null, 42, "", '<a>; rel="prev"', "rel=next", '<>; rel="next"', "<a; rel=next"])(
    "%j has no next",
    (h) => {
      expect(parseLinkHeader(h)).toEqual({});
    },
  );

  it("never throws, and any next it returns came from the header (property)", () => {
    const linkish = fc.array(
      fc.constantFrom("<", ">", ";", ",", "=", '"', " ", "rel", "next", "/v2/x", "?n=1"),
      {
        maxLength: 30,
      },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          linkish.map((a) => a.join("")),
        ),
        (h) => {
          const r = parseLinkHeader(h);
          if (r.next !== undefined) expect(h).toContain(r.next);
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.anything(), (h) => void parseLinkHeader(h)));
  });
});

describe("parseBearerChallenge", () => {
  it("reads GHCR's challenge", () => {
    const h =
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:canonical/keystone:pull"';
    expect(parseBearerChallenge(h)).toEqual({
      realm: "https://ghcr.io/token",
      service: "ghcr.io",
      scope: "repository:canonical/keystone:pull",
    });
  });

  it("accepts unquoted values, odd case and escapes, and ignores a following Basic challenge", () => {
    expect(parseBearerChallenge('bearer realm=https://a/t, scope="x\\"y", Basic realm="other"')).toEqual({
      realm: "https://a/t",
      scope: 'x"y',
    });
  });

  it.each([undefined, "", 'Basic realm="registry"', 'Bearer service="x"', "Bearer"])("%j → null", (h) => {
    expect(parseBearerChallenge(h)).toBeNull();
  });

  it("never throws (property)", () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.anything()), (h) => void parseBearerChallenge(h)));
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2025-06-01T12:00:00Z");

  it("reads seconds and HTTP dates, never negative, capped", () => {
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter(" 1.5 ", now)).toBe(1500);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter(new Date(now - 90_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter("99999999", now)).toBe(6 * 3600 * 1000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("falls back to GHCR's body, then to a minute, and adds bounded jitter", () => {
    expect(parseBodyRetryAfter("toomanyrequests: retry-after: 720.5ms, allowed: 44000/minute")).toBe(721);
    expect(parseBodyRetryAfter("toomanyrequests: retry-after: 3s")).toBe(3000);
    expect(retryAfterMs(undefined, "", now, 0)).toBe(60_000);
    expect(retryAfterMs("10", "", now, 0.999)).toBe(10_000 + Math.floor(0.999 * 2000));
  });
});
