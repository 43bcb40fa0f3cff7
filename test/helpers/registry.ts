// Moved to src/app/demo/registry.ts (the demo runs a private registry with it); tests import it from here.
export * from "../../src/app/demo/registry.js";
