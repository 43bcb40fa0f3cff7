// Moved to src/app/demo/launchpad.ts (the demo serves the sample data with it); tests import it from here.
export * from "../../src/app/demo/launchpad.js";
