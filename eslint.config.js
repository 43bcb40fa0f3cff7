// Lint: typescript-eslint, an import-cycle check, and the layout's import rule (ARCHITECTURE §3).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

const concreteAdapters = [
  "./src/chat/console.ts",
  "./src/chat/matrix.ts",
  "./src/chat/slack.ts",
  "./src/chat/memory.ts",
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".node/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: { "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })] },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "import-x/no-restricted-paths": [
        "error",
        {
          zones: [
            {
              target: ["./src/sources", "./src/chat"],
              from: "./src/handlers",
              message: "sources/ and chat/ never import handlers/",
            },
            {
              target: "./src/handlers",
              from: concreteAdapters,
              message: "handlers see the ChatAdapter interface only",
            },
            { target: "./src/handlers", from: ["./src/sources"], message: "handlers never import sources" },
            {
              target: "./commands",
              from: "./src",
              except: [
                "./commands.ts",
                "./queues.ts",
                "./errors.ts",
                "./charms",
                "./triage",
                "./summary",
                "./relay",
                "./events.ts",
              ],
              message: "commands import only src/commands.ts, queues.ts, errors.ts and pure logic",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["bin/**/*.js", "eslint.config.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
