// The lint's import rules can fail: a cycle, an upward import and a feature-to-feature import planted in a
// temp copy of the tree are each reported, and the real tree is clean.
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ESLint } from "eslint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
let copy: string;

async function lint(files: string[]): Promise<{ rule: string | null; file: string; message: string }[]> {
  const eslint = new ESLint({ cwd: copy });
  const results = await eslint.lintFiles(files);
  return results.flatMap((r) =>
    r.messages.map((m) => ({ rule: m.ruleId, file: r.filePath.slice(copy.length + 1), message: m.message })),
  );
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), "sunbeam-layers-"));
  for (const f of ["src", "eslint.config.js", "tsconfig.json", "package.json"])
    cpSync(join(ROOT, f), join(copy, f), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe("the layer and cycle lint", () => {
  it("reports a planted import cycle", async () => {
    writeFileSync(
      join(copy, "src/core/zz-a.ts"),
      'import { b } from "./zz-b.js";\nexport const a = (): number => b();\n',
    );
    writeFileSync(
      join(copy, "src/core/zz-b.ts"),
      'import { a } from "./zz-a.js";\nexport const b = (): number => a() + 1;\n',
    );
    const problems = await lint(["src/core/zz-a.ts", "src/core/zz-b.ts"]);
    expect(
      problems
        .filter((p) => p.rule === "import-x/no-cycle")
        .map((p) => p.file)
        .sort(),
    ).toEqual(["src/core/zz-a.ts", "src/core/zz-b.ts"]);
  });

  it("reports a planted import from a lower layer to a higher one", async () => {
    writeFileSync(
      join(copy, "src/core/zz-up.ts"),
      'import { FEATURES } from "../features.js";\nimport relay from "../features/relay/index.js";\nexport const n = FEATURES.length + relay.name.length;\n',
    );
    writeFileSync(
      join(copy, "src/integrations/zz-up.ts"),
      'import { parseInvocation } from "../core/commands.js";\nimport { toPlainText } from "../chat/adapter.js";\nexport const f = [parseInvocation, toPlainText];\n',
    );
    const problems = await lint(["src/core/zz-up.ts", "src/integrations/zz-up.ts"]);
    const restricted = problems.filter((p) => p.rule === "import-x/no-restricted-paths");
    expect(restricted.map((p) => p.file)).toEqual([
      "src/core/zz-up.ts",
      "src/core/zz-up.ts",
      "src/integrations/zz-up.ts", // chat from integrations; core from integrations is allowed
    ]);
  });

  it("reports a feature that imports another feature", async () => {
    writeFileSync(
      join(copy, "src/features/oci/zz-cross.ts"),
      'import { AffectedService } from "../affected/service.js";\nimport { parseInvocation } from "../../core/commands.js";\nexport const x = [AffectedService, parseInvocation];\n',
    );
    const problems = await lint(["src/features/oci/zz-cross.ts"]);
    expect(problems.filter((p) => p.rule === "import-x/no-restricted-paths")).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/features never import each other/);
  });

  it("finds nothing in the real tree", async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const results = await eslint.lintFiles(["src/**/*.ts"]);
    const errors = results.flatMap((r) =>
      r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(errors).toEqual([]);
    // Type-aware lint of the whole tree: over 30 s on a loaded 2-core machine.
  }, 120_000);
});
