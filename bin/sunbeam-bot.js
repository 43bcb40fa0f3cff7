#!/usr/bin/env node
// Entry point: checks the Node version, then runs the compiled CLI (npm run build writes dist/).
// Written for any Node that runs ES modules: nothing newer than Node 14 may appear before the check.
import { existsSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";

// undici (the HTTP client the bot and its SDKs load) needs 22.19; older Node crashes inside an import.
const REQUIRED = [22, 19, 0];
const have = process.versions.node.split(".").map(Number);
const tooOld = REQUIRED.some((v, i) => have.slice(0, i).every((h, j) => h === REQUIRED[j]) && have[i] < v);
if (tooOld) {
  console.error(`sunbeam-bot needs Node >= ${REQUIRED.join(".")}; this is Node ${process.versions.node}`);
  process.exit(2);
}

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
