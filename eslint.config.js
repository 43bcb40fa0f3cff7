// Lint: typescript-eslint, the import-cycle check, and the layers (docs/architecture.md §Layers):
// app (src/*.ts, src/app) → features → chat, integrations → core. No import runs upward, and a feature
// never imports another feature (they meet through core types and the services registry).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

// Paths are taken from this file's folder, not the working directory, so a copy of the tree lints alike.
const here = import.meta.dirname;

export const FEATURES = ["relay", "affected", "triage", "oci", "summary"];

const app = ["./src/app", "./src/cli.ts", "./src/features.ts"];
const concreteAdapters = ["console.ts", "matrix.ts", "slack.ts", "memory.ts"].map((f) => `./src/chat/${f}`);

const layerZones = [
  { target: "./src/core", from: ["./src/chat", "./src/integrations", "./src/features", ...app] },
  { target: "./src/chat", from: ["./src/integrations", "./src/features", ...app] },
  { target: "./src/integrations", from: ["./src/chat", "./src/features", ...app] },
  { target: "./src/features", from: app },
  // Features see the ChatAdapter interface and the outbox, never a concrete network.
  { target: "./src/features", from: concreteAdapters },
  ...FEATURES.map((f) => ({
    target: `./src/features/${f}`,
    from: "./src/features",
    except: [`./${f}`],
    message: "features never import each other: share through src/core (types, services)",
  })),
].map((z) => ({ message: "imports run one way: app → features → chat, integrations → core", ...z }));

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".node/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { tsconfigRootDir: here } },
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: `${here}/tsconfig.json` })],
      // Without these the plugin cannot parse the .ts files it follows, and no-cycle passes every cycle.
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/extensions": [".ts", ".js"],
    },
    rules: {
      // The rule follows value imports only (type-only imports are skipped): keep type circles out in review.
      "import-x/no-cycle": ["error", { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "import-x/no-restricted-paths": ["error", { zones: layerZones, basePath: here }],
    },
  },
  {
    files: ["bin/**/*.js", "eslint.config.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
