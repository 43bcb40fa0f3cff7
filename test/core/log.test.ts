import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/app/config-load.js";
import { createLogger } from "../../src/core/log.js";

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  return {
    lines,
    stream: new Writable({
      write(c: Buffer, _e, cb) {
        lines.push(c.toString());
        cb();
      },
    }),
  };
}

describe("logging", () => {
  it("never writes a configured secret, wherever it appears", () => {
    const secret = "gerrit-http-pw-3xAmple!";
    validateConfig(
      { gerrit: { url: "https://review.example.org", http: { user: "bot" } } },
      { GERRIT_HTTP_PASSWORD: secret },
      "t",
    );
    const { lines, stream } = capture();
    const log = createLogger({ level: "debug", destination: stream });
    log.info({ password: secret }, "by key");
    log.info(
      { request: { headers: { Authorization: `Basic ${Buffer.from(`bot:${secret}`).toString("base64")}` } } },
      "header",
    );
    log.warn(`an error message that quotes ${secret} inside`);
    log
      .child({ queue: "relay", jobId: "j1" })
      .error({ err: { message: `url https://bot:${encodeURIComponent(secret)}@x/` } }, "nested");
    const out = lines.join("");
    expect(lines).toHaveLength(4);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out).toContain("[REDACTED]");
    expect(out).toContain('"queue":"relay"');
  });

  it("writes JSON lines with child bindings", () => {
    const { lines, stream } = capture();
    createLogger({ destination: stream }).child({ command: "status", user: "@a:x", room: "!r" }).info("ran");
    const rec = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(rec).toMatchObject({ command: "status", user: "@a:x", room: "!r", msg: "ran", level: 30 });
  });
});
