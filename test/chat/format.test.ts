// Rendering the chat Markdown subset (Matrix HTML, Slack mrkdwn), trimming to limits, and the adapters' text helpers.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fitRendered, fitToLimit, plain, toMatrixHtml, toSlackMrkdwn } from "../../src/chat/format.js";
import { incomingFromEvent, noticeContent, stripReplyFallback, txnIdFor } from "../../src/chat/matrix-sdk.js";
import { commandText, fromSlackText } from "../../src/chat/slack.js";
import { signSlack } from "../fakes/slack-api.js";
import { verifySlackSignature } from "../../src/chat/slack-http.js";

describe("toMatrixHtml", () => {
  it("renders links, bold, code, lists and line breaks", () => {
    const text = "**Affected** by [123](https://r.example/c/123):\n- `keystone-k8s`\n- nova-k8s\nDone.";
    expect(toMatrixHtml(text)).toBe(
      '<strong>Affected</strong> by <a href="https://r.example/c/123">123</a>:' +
        "<ul><li><code>keystone-k8s</code></li><li>nova-k8s</li></ul>Done.",
    );
  });

  it("escapes HTML everywhere, including inside code and link URLs", () => {
    expect(toMatrixHtml('<script>alert("x")</script> & `<b>`')).toBe(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <code>&lt;b&gt;</code>",
    );
    expect(toMatrixHtml('[a](https://x.example/?q="1"&r=2)')).toBe(
      '<a href="https://x.example/?q=&quot;1&quot;&amp;r=2">a</a>',
    );
  });

  it("never makes a javascript: link clickable", () => {
    expect(toMatrixHtml("[click](javascript:alert(1))")).not.toContain("<a");
  });

  it("keeps markup inside code literal and empty lines as <br>", () => {
    expect(toMatrixHtml("`**not bold**`")).toBe("<code>**not bold**</code>");
    expect(toMatrixHtml("a\n\nb")).toBe("a<br><br>b");
  });
});

describe("toSlackMrkdwn", () => {
  it("renders links, bold, code and bullets, escaping &, < and >", () => {
    const text = "**Recheck** [change 1](https://r.example/c/1?a=1&b=2)\n- `a < b` & c\n- done";
    expect(toSlackMrkdwn(text)).toBe(
      "*Recheck* <https://r.example/c/1?a=1&amp;b=2|change 1>\n• `a &lt; b` &amp; c\n• done",
    );
  });

  it("keeps a | in a URL from ending the link", () => {
    expect(toSlackMrkdwn("[x](https://a.example/p|q)")).toBe("<https://a.example/p%7Cq|x>");
  });
});

describe("fitToLimit", () => {
  it("leaves short text alone", () => {
    expect(fitToLimit("a\nb", 10)).toBe("a\nb");
  });

  it("cuts at a line boundary and counts the lines left out", () => {
    const text = ["one", "two", "three", "four", "five", "six"].join("\n");
    expect(fitToLimit(text, 25)).toBe("one\ntwo\n…(4 more lines)");
  });

  it("links to the rest when given a URL", () => {
    const text = Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\n");
    const out = fitToLimit(text, 120, "https://logs.example/1");
    expect(out.length).toBeLessThanOrEqual(120);
    expect(out).toMatch(/…\(\[\d+ more lines\]\(https:\/\/logs\.example\/1\)\)$/);
  });

  it("cuts inside a single over-long first line", () => {
    const out = fitToLimit("x".repeat(100) + "\nsecond", 40);
    expect(out.length).toBeLessThanOrEqual(40);
    expect(out).toMatch(/^x+…\n…\(1 more line\)$/);
  });

  it("always fits and keeps whole leading lines (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 60 }), { maxLength: 40 }),
        fc.integer({ min: 30, max: 400 }),
        (lines, max) => {
          const text = lines.join("\n");
          const out = fitToLimit(text, max);
          expect(out.length).toBeLessThanOrEqual(max);
          if (text.length <= max) expect(out).toBe(text);
          else {
            const kept = out.split("\n").slice(0, -1);
            if (!kept[0]?.endsWith("…")) expect(lines.slice(0, kept.length)).toEqual(kept);
          }
        },
      ),
    );
  });

  it("fitRendered keeps the rendered form under the limit even when escaping grows it", () => {
    const text = Array.from({ length: 300 }, () => "- <&> <&> <&>").join("\n");
    const fitted = fitRendered(text, 1000, (t) => toSlackMrkdwn(t).length);
    expect(toSlackMrkdwn(fitted).length).toBeLessThanOrEqual(1000);
    expect(fitted).toMatch(/more lines\)$/);
  });
});

describe("matrix text helpers", () => {
  it("derives a stable, URL-safe transaction id from the send id", () => {
    expect(txnIdFor("send:a/b c")).toBe(txnIdFor("send:a/b c"));
    expect(txnIdFor("a")).not.toBe(txnIdFor("b"));
    expect(txnIdFor("send:a/b c")).toMatch(/^sb\.[0-9a-f]{32}$/);
  });

  it("drops a rich-reply fallback from a command", () => {
    expect(stripReplyFallback("> <@a:x> earlier\n> more\n\n!help")).toBe("!help");
    expect(stripReplyFallback("!help")).toBe("!help");
  });

  it("reads threads, marks notices and ignored users fromBot, and drops edits", () => {
    const ev = (content: unknown, sender = "@a:x") =>
      incomingFromEvent({ sender, id: "$1", ts: 5, content }, "!r:x", ["@zuul:x"]);
    expect(
      ev({ msgtype: "m.text", body: "!help", "m.relates_to": { rel_type: "m.thread", event_id: "$root" } }),
    ).toEqual({
      network: "matrix",
      room: "!r:x",
      user: "@a:x",
      text: "!help",
      id: "$1",
      ts: 5,
      thread: "$root",
    });
    expect(ev({ msgtype: "m.notice", body: "!help" })?.fromBot).toBe(true);
    expect(ev({ msgtype: "m.text", body: "!help" }, "@zuul:x")?.fromBot).toBe(true);
    expect(
      ev({ msgtype: "m.text", body: "* !help", "m.relates_to": { rel_type: "m.replace", event_id: "$0" } }),
    ).toBeUndefined();
    expect(ev({ msgtype: "m.text" })).toBeUndefined();
  });

  it("builds a notice without a relation outside threads", () => {
    expect(noticeContent("hi")).toEqual({
      msgtype: "m.notice",
      body: "hi",
      format: "org.matrix.custom.html",
      formatted_body: "hi",
    });
  });
});

describe("slack text helpers", () => {
  it("turns a mention into a command and unwraps Slack's links", () => {
    expect(commandText("<@UBOT> affected <https://r.example/c/1|r.example/c/1>", "UBOT", "!")).toBe(
      "!affected https://r.example/c/1",
    );
    expect(commandText("<@UBOT>", "UBOT", "!")).toBe("!help");
    expect(commandText("<@UBOT|sunbeam>: !status", "UBOT", "!")).toBe("!status");
    expect(commandText("!images &lt;name&gt;", "UBOT", "!")).toBe("!images <name>");
    expect(commandText("<@UOTHER> hello", "UBOT", "!")).toBe("<@UOTHER> hello");
    expect(fromSlackText("see <#C123|ops> and <mailto:a@b.c|a@b.c>")).toBe("see #ops and a@b.c");
  });

  it("verifies v0 signatures with a 5 minute window both ways", () => {
    const secret = "s3cret";
    const body = '{"type":"event_callback"}';
    const now = 1_700_000_000_000;
    const ts = String(now / 1000);
    const ok = (timestamp: string, signature: string, rawBody = body) =>
      verifySlackSignature({ signingSecret: secret, rawBody, timestamp, signature, nowMs: now }).ok;
    expect(ok(ts, signSlack(secret, ts, body))).toBe(true);
    expect(ok(ts, signSlack("other", ts, body))).toBe(false);
    expect(ok(ts, signSlack(secret, ts, body), body + " ")).toBe(false);
    const stale = String(now / 1000 - 301);
    const future = String(now / 1000 + 301);
    expect(ok(stale, signSlack(secret, stale, body))).toBe(false);
    expect(ok(future, signSlack(secret, future, body))).toBe(false);
    const edge = String(now / 1000 + 300);
    expect(ok(edge, signSlack(secret, edge, body))).toBe(true);
    expect(ok(ts, "v1=" + "0".repeat(64))).toBe(false);
    expect(ok("", signSlack(secret, ts, body))).toBe(false);
  });
});

describe("text from outside", () => {
  it("cannot become a link with chosen text, bold or code on any network", () => {
    const subject = "[Security fix](https://evil.example/login) **urgent** `x`";
    const line = `[p] 1,1 merged: ${plain(subject)} — https://review.opendev.org/c/p/+/1`;
    const html = toMatrixHtml(line);
    expect(html).not.toContain("<a ");
    expect(html).not.toContain("<strong>");
    expect(html).not.toContain("<code>");
    expect(html).toContain("[Security fix](https://evil.example/login)");
    const slack = toSlackMrkdwn(line);
    expect(slack).not.toContain("<https://evil.example/login|");
    expect(slack).toContain("[Security fix](https://evil.example/login)");
    // The bot's own links still work, with an outside label made literal.
    expect(toMatrixHtml(`[${plain("a *b*")}](https://x.example/1)`)).toBe(
      '<a href="https://x.example/1">a *b*</a>',
    );
  });
});
