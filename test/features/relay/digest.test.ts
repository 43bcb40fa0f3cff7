// The digest: newest last, a cap that keeps the newest lines, and a stable time order within one second.
import { describe, expect, it } from "vitest";
import { renderDigest, sortLines, type BufferedLine } from "../../../src/features/relay/digest.js";

const line = (
  createdOn: number,
  eventId: string,
  text: string,
  extra: Partial<BufferedLine> = {},
): BufferedLine => ({
  createdOn,
  eventId,
  text,
  ...extra,
});

describe("renderDigest", () => {
  it("keeps the newest lines past the cap and says how many earlier ones it left out", () => {
    // After a reconnect: 70 events, the last one the merge the room is waiting for.
    const items = Array.from({ length: 70 }, (_, i) => line(1_700_000_000 + i, `e${i}`, `event ${i}`));
    items[69] = line(1_700_000_069, "merged-1", "change 912345 merged");
    const d = renderDigest(items.reverse());
    const rows = d?.text.split("\n") ?? [];
    expect(rows[0]).toBe("**70 Gerrit updates**");
    expect(rows[1]).toBe("…and 10 earlier");
    expect(rows[2]).toBe("- event 10");
    expect(rows.at(-1)).toBe("- change 912345 merged");
    expect(rows).toHaveLength(2 + 60);
    expect(d?.lines).toBe(70);
  });

  it("takes the cap as a parameter", () => {
    const items = [1, 2, 3, 4, 5].map((i) => line(100 + i, `e${i}`, `n${i}`));
    expect(renderDigest(items, 2)?.text).toBe("**5 Gerrit updates**\n…and 3 earlier\n- n4\n- n5");
    expect(renderDigest(items, 5)?.text).not.toContain("…and");
    // A nonsense cap still shows the newest line rather than an empty digest.
    expect(renderDigest(items, 0)?.text).toBe("**5 Gerrit updates**\n…and 4 earlier\n- n5");
  });

  it("orders same-second events by arrival, not by id text (the gate report before the merge it caused)", () => {
    const t = 1_700_000_000;
    const report = line(t, "gerrit:comment-added:zzz", "Zuul: gate succeeded", { arrivedAt: 5 });
    const merged = line(t, "gerrit:change-merged:aaa", "merged", { arrivedAt: 6 });
    const older = line(t - 1, "gerrit:zz", "approved", { arrivedAt: 9 });
    expect(renderDigest([merged, older, report])?.text).toBe(
      "**3 Gerrit updates**\n- approved\n- Zuul: gate succeeded\n- merged",
    );
  });

  it("without arrival times keeps the given order within one second (stable), whatever the ids", () => {
    const t = 1_700_000_000;
    const items = [line(t, "z", "first"), line(t, "a", "second"), line(t, "m", "third")];
    expect(sortLines(items).map((i) => i.text)).toEqual(["first", "second", "third"]);
  });

  it("a single line is the line itself, threaded when it names a change", () => {
    expect(renderDigest([line(1, "x", "only", { change: "p~1" })])).toEqual({
      text: "only",
      lines: 1,
      threadKey: "p~1",
    });
    expect(renderDigest([])).toBeNull();
  });
});

describe("the flush handler's cap (bot.digestMaxLines)", () => {
  it("posts the newest lines of the window when the config caps the digest", async () => {
    const { flushRelay } = await import("../../../src/features/relay/flush.js");
    const posted: string[] = [];
    const lines = Array.from({ length: 10 }, (_, i) => ({
      createdOn: 100 + i,
      eventId: `e${i}`,
      text: `line ${i}`,
    }));
    const handler = flushRelay({
      buffer: { claim: async () => lines, release: async () => undefined },
      outbox: { post: async (_t, m) => void posted.push(m.text) },
      maxLines: 3,
    });
    const log = { debug: () => undefined } as unknown as Parameters<typeof handler>[1]["log"];
    await handler(
      { key: "r", target: { network: "console", room: "r" }, bucket: 1 },
      { log, jobId: "j", attempt: 1 },
    );
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain("line 9");
    expect(posted[0]).toContain("line 7");
    expect(posted[0]).not.toContain("line 6");
    expect(posted[0]).toMatch(/and 7 earlier/);
  });
});
