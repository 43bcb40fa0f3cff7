// Which chat messages become commands: history (older than the bot's start less the window) never does.
import { describe, expect, it } from "vitest";
import { commandEvent } from "../../src/chat/intake.js";
import type { IncomingMessage } from "../../src/chat/adapter.js";

const bot = { commandPrefix: "!", ignoreUsers: [] };
const started = Date.parse("2026-12-08T10:00:00Z");
const notBefore = started - 120_000;
const msg = (network: string, ts: number): IncomingMessage => ({
  network,
  room: "R",
  user: "U",
  text: "!recheck-affected 912345",
  id: `m${ts}`,
  ts,
});

describe("commandEvent and history", () => {
  it("drops a command older than the window on every network (a Slack redelivery too), keeps a newer one", () => {
    for (const network of ["matrix", "slack"]) {
      expect(commandEvent(msg(network, started - 30 * 60_000), bot, notBefore)).toBeNull();
      expect(commandEvent(msg(network, notBefore - 1), bot, notBefore)).toBeNull();
      // Inside the window (clock skew, a message sent while the bot was starting): run.
      expect(commandEvent(msg(network, notBefore), bot, notBefore)?.text).toBe("!recheck-affected 912345");
      expect(commandEvent(msg(network, started + 5_000), bot, notBefore)?.createdOn).toBe(
        Math.floor((started + 5_000) / 1000),
      );
    }
  });
});
