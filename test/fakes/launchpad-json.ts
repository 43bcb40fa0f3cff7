// Moved to src/app/demo/launchpad-json.ts (the demo serves the sample data with it); tests import it from here.
export * from "../../src/app/demo/launchpad-json.js";
