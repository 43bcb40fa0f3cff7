// Preload for a child process (node --import): appends every module URL it loads to $MODULE_LOG.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  if (process.env.MODULE_LOG) appendFileSync(process.env.MODULE_LOG, url + "\\n");
  return next(url, context);
}`),
  import.meta.url,
);
