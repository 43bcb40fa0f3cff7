// The webhook receiver's secret: header only, compared in constant time over hashes, a minimum length.
import { afterEach, describe, expect, it } from "vitest";
import type { BotEvent } from "../../../src/core/events.js";
import { startHttp, type HttpServer } from "../../../src/core/http-server.js";
import {
  gerritWebhook,
  secretMatches,
  webhookSecretProblem,
} from "../../../src/integrations/gerrit/webhook.js";
import { quietLogger } from "../../helpers/bot.js";

const SECRET = "a-webhook-secret-of-32-characters";
const line = JSON.stringify({
  type: "change-merged",
  change: { project: "p", branch: "main", number: 1, subject: "s" },
  patchSet: { number: 1 },
  submitter: { username: "zuul" },
  eventCreatedOn: 1764000000,
});
let http: HttpServer | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
});

async function serve(secret: string): Promise<{ url: string; got: BotEvent[] }> {
  const got: BotEvent[] = [];
  http = await startHttp("127.0.0.1", 0, {
    "/hook": gerritWebhook({ secret, maxBytes: 4096, ingest: async (e) => got.push(e), log: quietLogger() }),
  });
  return { url: `http://127.0.0.1:${http.port}/hook`, got };
}

describe("gerritWebhook secret", () => {
  it("refuses the right secret in the query string (it would land in access logs)", async () => {
    const { url, got } = await serve(SECRET);
    const q = await fetch(`${url}?secret=${SECRET}`, { method: "POST", body: line });
    expect(q.status).toBe(401);
    const h = await fetch(url, { method: "POST", body: line, headers: { "x-webhook-secret": SECRET } });
    expect(h.status).toBe(202);
    expect(got).toHaveLength(1);
  });

  it("refuses every request when the configured secret is too short", async () => {
    expect(webhookSecretProblem("short")).toMatch(/at least 24/);
    const { url, got } = await serve("short");
    const r = await fetch(url, { method: "POST", body: line, headers: { "x-webhook-secret": "short" } });
    expect(r.status).toBe(503);
    expect(got).toEqual([]);
  });

  it("compares without a length shortcut: prefixes, longer and empty secrets are all plain mismatches", () => {
    expect(secretMatches(SECRET, SECRET)).toBe(true);
    for (const g of ["", "a", SECRET.slice(0, -1), `${SECRET}x`, SECRET.toUpperCase(), undefined])
      expect(secretMatches(SECRET, g)).toBe(false);
    expect(secretMatches("", "")).toBe(false);
  });
});
