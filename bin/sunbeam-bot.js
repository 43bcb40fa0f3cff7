#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm run build writes dist/).
import { existsSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";

const cli = new URL("../dist/src/cli.js", import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error("sunbeam-bot is not built yet: run `npm run build` (or scripts/demo) first");
  process.exit(2);
}
// Compiled code is cached on disk (Node ≥ 22.1): a one-shot tool's start is mostly loading modules.
module.enableCompileCache?.();
const { main } = await import(cli.href);
const code = await main(process.argv);
// Exit explicitly: after a shutdown with Redis unreachable, reconnect timers must not keep the process alive.
process.exit(code);
