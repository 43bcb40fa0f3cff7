// Raw HTTP over a TCP socket: sends bytes no HTTP client library would, returns what came back.
import { connect } from "node:net";

/** Hostile request targets seen in the field (each killed the process once) and their relatives. */
export const HOSTILE_TARGETS = [
  "//",
  "///",
  "//@",
  "//x:99999/",
  "http://[",
  "//[::1",
  "/%",
  "/%zz",
  "/%2e%2e/%2e%2e/etc/passwd",
  "/..%2f..%2fadmin",
  "/admin/queues/..%5c..%5c",
  "*",
  "example.org:443",
  "http://x:99999/",
  "/?%",
  "/healthz?a=%ff%fe",
  "/\u00e9\u00e9",
  `/${"a".repeat(9000)}`,
  "/metrics#frag",
  "\\\\",
];

/** Writes `raw` and resolves with everything read until the server closes or `ms` pass. */
export function rawRequest(port: number, raw: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    let out = "";
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, ms);
    sock.on("data", (c) => {
      out += c.toString("latin1");
      // Headers are in: give a short body a moment to arrive, then stop waiting.
      if (out.includes("\r\n\r\n")) setTimeout(done, 50);
    });
    sock.on("error", done);
    sock.on("close", done);
    sock.write(raw);
  });
}

/** The status code of a raw response, or 0 when none came. */
export function statusOf(response: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 0);
}

/**
 * Writes `raw`, half-closes (a client that has nothing more to say) and waits for the server to end the
 * exchange: `closed` when it answered and/or closed the connection, `timeout` when it left it hanging.
 */
export function rawExchange(
  port: number,
  raw: string | Buffer,
  ms: number,
): Promise<{ response: string; outcome: "closed" | "timeout" }> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    let response = "";
    const finish = (outcome: "closed" | "timeout") => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ response, outcome });
    };
    const timer = setTimeout(() => finish("timeout"), ms);
    sock.on("data", (c) => (response += c.toString("latin1")));
    // A reset is the server closing too (it may refuse before reading all we sent).
    sock.on("error", () => finish("closed"));
    sock.on("close", () => finish("closed"));
    sock.end(raw);
  });
}
