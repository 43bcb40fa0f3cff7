// Property tests (fast-check) of the pure input parsers and evaluators: total on arbitrary input, invariants kept.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { affected, matchesInput, naiveAffected } from "../../src/features/affected/affected.js";
import { parseChangeRef } from "../../src/features/affected/change-ref.js";
import { assembleModel } from "../../src/integrations/monorepo/monorepo.js";
import { compilePattern, jobRuns, patternMatches } from "../../src/integrations/monorepo/zuul.js";
import { parseLinkHeader } from "../../src/integrations/registry/headers.js";
import { RegistryClient } from "../../src/integrations/registry/client.js";
import {
  bindArgs,
  CommandRouter,
  parseInvocation,
  tokenize,
  type AnyCommand,
  type RateLimiter,
} from "../../src/core/commands.js";
import { UserError } from "../../src/core/errors.js";
import { GERRIT_TYPES } from "../../src/core/events.js";
import {
  formatImageRef,
  parseImageRef,
  tryParseImageRef,
} from "../../src/integrations/registry/image-ref.js";
import { gerritEventId, parseGerritLine } from "../../src/integrations/gerrit/parse.js";
import { evaluate, loadChecklist, type BugForTriage } from "../../src/features/triage/checklist.js";
import { COMMANDS } from "../../src/app/commands/index.js";
import { quietLogger } from "../helpers/bot.js";
import { syntheticFiles } from "../helpers/synthetic-monorepo.js";

/** Runs `f`; anything thrown that is not a UserError fails the property with the input in the message. */
function onlyUserErrors<T>(f: () => T, input: unknown): T | undefined {
  try {
    return f();
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw new Error(`threw ${String(err)} (not a UserError) on ${JSON.stringify(input)}`, { cause: err });
  }
}

// Strings with the characters that matter to each parser, so short random inputs hit the interesting paths.
const fromTokens = (tokens: string[], maxLength = 12) =>
  fc.array(fc.constantFrom(...tokens), { maxLength }).map((a) => a.join(""));
const anyString = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }));

describe("Gerrit event parser", () => {
  const scalar = fc.oneof(
    fc.integer({ min: -5, max: 2_000_000_000 }),
    fc.double(),
    fc.string({ maxLength: 8 }),
    fc.constantFrom("12", " 7 ", "1.5", "-3", "true", "false", "", "NaN"),
    fc.boolean(),
    fc.constant(null),
  );
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const account = fc.oneof(
    fc.record(
      {
        name: maybe(scalar),
        email: maybe(scalar),
        username: maybe(fc.constantFrom("sunbeam-bot", "zuul", "al")),
      },
      { requiredKeys: [] },
    ),
    scalar,
  );
  /** Objects shaped like stream-events lines, every field optional and often of the wrong type. */
  const eventLike = fc.record(
    {
      type: fc.oneof(fc.constantFrom(...GERRIT_TYPES), fc.string({ maxLength: 10 }), scalar),
      eventCreatedOn: scalar,
      change: fc.oneof(
        fc.record(
          {
            number: scalar,
            project: maybe(scalar),
            branch: maybe(scalar),
            subject: maybe(scalar),
            owner: account,
            wip: scalar,
            hashtags: fc.array(scalar, { maxLength: 3 }),
          },
          { requiredKeys: [] },
        ),
        scalar,
      ),
      patchSet: fc.oneof(fc.record({ number: scalar, uploader: account }, { requiredKeys: [] }), scalar),
      uploader: account,
      author: account,
      submitter: account,
      reviewer: account,
      approvals: fc.oneof(
        fc.array(fc.record({ type: scalar, value: scalar, oldValue: scalar, by: account }), { maxLength: 3 }),
        scalar,
      ),
      refUpdate: fc.oneof(
        fc.record({ refName: scalar, newRev: scalar, oldRev: scalar, project: scalar }, { requiredKeys: [] }),
        scalar,
      ),
      refName: scalar,
      comment: scalar,
      added: fc.array(scalar, { maxLength: 3 }),
      removed: fc.array(scalar, { maxLength: 3 }),
      projectName: scalar,
      headName: scalar,
    },
    { requiredKeys: [] },
  );

  it("is total on arbitrary strings: a result, never an exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(anyString, fromTokens(['{"type":', '"x"', "}", "[", "]", ",", "1", "null"])),
        (line) => {
          const r = parseGerritLine(line);
          if (r.ok) expect(r.event.id).toMatch(/^gerrit:/);
          else expect(typeof r.error).toBe("string");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is total on arbitrary JSON values; only objects with a string type are events", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const line = JSON.stringify(v);
        const r = parseGerritLine(line);
        const typed =
          typeof v === "object" &&
          v !== null &&
          !Array.isArray(v) &&
          typeof v.type === "string" &&
          v.type !== "";
        expect(r.ok).toBe(typed);
      }),
      { numRuns: 300 },
    );
  });

  it("gives ok events a deterministic id: the same line twice, the id recomputed from the event", () => {
    fc.assert(
      fc.property(eventLike, (o) => {
        const line = JSON.stringify(o);
        const a = parseGerritLine(line);
        const b = parseGerritLine(line);
        expect(b).toEqual(a);
        if (!a.ok) return;
        const { id, ...rest } = a.event;
        expect(id).toBe(gerritEventId(rest, line));
        expect(id.startsWith(`gerrit:${a.event.type}:`)).toBe(true);
        const known = (GERRIT_TYPES as readonly string[]).includes(a.event.type);
        expect(a.event.kind).toBe(known ? `gerrit.${a.event.type}` : "gerrit.unknown");
      }),
      { numRuns: 400 },
    );
  });

  it("gives a known event with a timestamp the same id however the line is formatted", () => {
    // Backfill and a second stream reader serialise differently: only the content may decide the id.
    fc.assert(
      fc.property(
        eventLike,
        fc.constantFrom(...GERRIT_TYPES),
        fc.integer({ min: 1, max: 2e9 }),
        (o, type, t) => {
          const obj = { ...o, type, eventCreatedOn: t };
          const compact = parseGerritLine(JSON.stringify(obj));
          const pretty = parseGerritLine(JSON.stringify(obj, null, 2));
          expect(compact.ok && pretty.ok).toBe(true);
          if (compact.ok && pretty.ok) expect(pretty.event.id).toBe(compact.event.id);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("chat command parser", () => {
  const chatText = fc.oneof(
    anyString,
    fromTokens(
      [
        "!",
        "!affected ",
        "!recheck-affected ",
        "!triage ",
        "!images ",
        "!actions ",
        "!subscribe ",
        "!help ",
        "!status",
        " ",
        '"',
        "'",
        "\\",
        "--",
        "--dry-run",
        "--x=",
        "=",
        "912345",
        ",3",
        "#",
        "done ",
        "note ",
        "https://review.example.org/c/p/+/1",
        "$(id)",
        ";rm -rf /",
        "`id`",
        "\n",
        "é",
      ],
      10,
    ),
  );

  it("tokenize and parseInvocation never throw; a name is always a plain lower-case word", () => {
    fc.assert(
      fc.property(chatText, fc.constantFrom("!", "?", "!!", "bot "), (text, prefix) => {
        const words = tokenize(text);
        expect(words.every((w) => typeof w === "string")).toBe(true);
        const inv = parseInvocation(text, prefix);
        if (inv) {
          expect(inv.name).toMatch(/^[a-z][a-z0-9-]*$/);
          expect(text.trim().startsWith(prefix)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("bindArgs of every real command throws nothing but UserError", () => {
    const word = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom("--dry-run", "--dry-run=no", "--x", "--", "-", "1", "#12", "done", "list", "note", ""),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...COMMANDS),
        fc.array(word, { maxLength: 6 }),
        (cmd: AnyCommand, words) => {
          onlyUserErrors(() => bindArgs(cmd, words), { cmd: cmd.name, words });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("the router answers any text without rejecting, and only UserErrors reach the user as errors", async () => {
    const unlimited: RateLimiter = { hit: async () => true, describe: () => "unlimited" };
    const router = new CommandRouter(
      COMMANDS,
      { prefix: "!", unauthorized: "refuse", roles: { admin: { console: ["root"] } }, overrides: {} },
      unlimited,
    );
    const log = quietLogger();
    await fc.assert(
      fc.asyncProperty(chatText, fc.constantFrom("root", "guest"), async (text, user) => {
        const r = await router.handle({ network: "console", room: "r", user, text }, {}, log);
        expect(["ok", "error", "unknown", "denied", "rate-limited", "bad-args"]).toContain(r.outcome);
        // "Sorry, !x failed: …" is the router's wording for an unexpected (non-User) error.
        if (r.reply !== null) expect(r.reply).not.toMatch(/^Sorry, !\S+ failed:/);
      }),
      { numRuns: 300 },
    );
  });
});

describe("checklist evaluator", () => {
  const cl = loadChecklist();
  const ids = new Set(cl.items.map((i) => i.id));
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fromTokens(
      [
        "sunbeam ",
        "snap list",
        "openstack ",
        "2024.1/edge",
        "rev 123",
        "Ubuntu 24.04",
        "juju status",
        "Traceback",
        "ERROR ",
        "1. ",
        "\n",
        "  ",
        "\t",
        "sosreport",
        "manifest",
        "multi-node",
        ".tar.xz",
        "$ ",
      ],
      30,
    ),
  );
  const bug: fc.Arbitrary<BugForTriage> = fc.record(
    {
      title: text,
      description: text,
      tags: fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("triage-bot-skip", "x")), {
        maxLength: 3,
      }),
      attachments: fc.array(
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.constantFrom("sosreport-x.tar.xz", "a/b\\juju-status.txt", "manifest.yaml", " "),
        ),
        { maxLength: 4 },
      ),
      comments: fc.array(fc.record({ author_is_reporter: fc.boolean(), content: text }), { maxLength: 3 }),
      reporter: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    },
    { requiredKeys: ["title", "description", "tags", "attachments"] },
  );
  const opts = fc.record(
    {
      ignoreSkip: fc.boolean(),
      skipTags: fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }),
      reporterAllowList: fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );

  it("never throws and keeps its invariants on arbitrary bugs", () => {
    fc.assert(
      fc.property(bug, opts, (b, o) => {
        const v = evaluate(cl, b, o);
        const missing = new Set(v.missing);
        expect(v.present.filter((id) => missing.has(id))).toEqual([]);
        expect(v.complete).toBe(v.missing.length === 0);
        for (const id of [...v.missing, ...v.present, ...v.partial, ...v.advisory]) expect(ids).toContain(id);
        expect(v.partial.every((id) => missing.has(id))).toBe(true);
        expect(v.advisory.filter((id) => v.present.includes(id))).toEqual([]);
        if (v.skipped !== undefined) expect(v.missing).toEqual([]);
        if (o.ignoreSkip) expect(v.skipped).toBeUndefined();
        // Deterministic: no regex state survives between evaluations.
        expect(evaluate(cl, b, o)).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });
});

describe("Zuul file matchers", () => {
  // Regex sources from tokens Zuul configs use, so random ones are often valid and sometimes not.
  const regex = fromTokens(
    [
      "a",
      "b",
      "/",
      ".",
      "*",
      "+",
      "?",
      "\\.",
      "\\",
      "(",
      ")",
      "[ab]",
      "|",
      "^",
      "$",
      "{2}",
      "\\d",
      "(?i)",
      "\\Z",
    ],
    8,
  );
  const path = fromTokens(["a", "b", "/", ".", "1", "A"], 10);

  it("compilePattern, patternMatches and jobRuns are total on any regex and path", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(regex, fc.string({ maxLength: 10 })), { maxLength: 3 }),
        fc.array(fc.oneof(regex, fc.string({ maxLength: 10 })), { maxLength: 3 }),
        fc.boolean(),
        fc.array(fc.oneof(path, fc.string({ maxLength: 10 })), { maxLength: 4 }),
        (files, irr, negate, paths) => {
          const f = files.map((r) => compilePattern({ regex: r, negate }));
          const i = irr.map((r) => compilePattern({ regex: r }));
          for (const p of [...f, ...i])
            for (const x of paths) expect(typeof patternMatches(p, x)).toBe("boolean");
          expect(typeof jobRuns(paths, f, i)).toBe("boolean");
        },
      ),
      { numRuns: 400 },
    );
  });

  it("a job without files and irrelevant-files runs for any change; nothing but /COMMIT_MSG runs everything", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(path, fc.string()), { minLength: 1, maxLength: 5 }),
        regex,
        (paths, r) => {
          expect(jobRuns(paths, null, null)).toBe(true);
          const p = [compilePattern({ regex: r })];
          expect(jobRuns([], p, p)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("files and irrelevant-files mean what Zuul's change matcher says", () => {
    fc.assert(
      fc.property(fc.array(path, { minLength: 1, maxLength: 4 }), regex, regex, (paths, fr, ir) => {
        const f = [compilePattern({ regex: fr })];
        const i = [compilePattern({ regex: ir })];
        const some = paths.some((x) => patternMatches(f[0] as never, x));
        const all = paths.every((x) => patternMatches(i[0] as never, x));
        expect(jobRuns(paths, f, null)).toBe(some);
        expect(jobRuns(paths, null, i)).toBe(!all);
        expect(jobRuns(paths, f, i)).toBe(some && !all);
      }),
      { numRuns: 400 },
    );
  });

  it("the literal prefix index never misses: a match starts with the literal, a pure literal is the regex", () => {
    // The indexed `affected` query trusts `literal` and `pure` to skip regexes; a wrong one loses jobs.
    fc.assert(
      fc.property(regex, path, (r, x) => {
        const p = compilePattern({ regex: r });
        if (!p.re) return;
        if (patternMatches(p, x)) expect(x.startsWith(p.literal)).toBe(true);
        if (p.pure) expect(patternMatches(p, x)).toBe(x.startsWith(p.literal));
      }),
      { numRuns: 1000, examples: [["a)*(", ""]] },
    );
  });
});

describe("affected charms on the synthetic monorepo", () => {
  const files = syntheticFiles();
  const model = assembleModel("0".repeat(40), Object.keys(files).sort(), new Map(Object.entries(files)));
  const candidates = [
    ...Object.keys(files),
    ...model.charms.map((c) => `${c.dir}/src/new_module.py`),
    ...model.charms.map((c) => `${c.dir}-suffix/x`),
    "/COMMIT_MSG",
    "/MERGE_LIST",
    "ops-sunbeam/ops_sunbeam/test_new.py",
    "libs/external/lib/charms/data_platform_libs/v0/data_interfaces.pyc",
    "templates/parts/new-part",
    "charms/storage/unknown/x",
    "doc/index.rst",
  ];
  const globals = model.layout.globalInputs.map((g) => g.path);

  it("contains every charm owning or declaring a changed file, equals the naive scan, untested = charms − tested", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.oneof(fc.constantFrom(...candidates), fc.string({ maxLength: 20 })), {
          maxLength: 8,
        }),
        (changed) => {
          const r = affected(model, changed);
          expect(r).toEqual(naiveAffected(model, changed));
          const charms = new Set(r.charms);
          const relevant = changed.filter((f) => !model.layout.irrelevantPaths.includes(f));
          for (const c of model.charms) {
            const owns = relevant.some((f) => f.startsWith(`${c.dir}/`));
            const declares = relevant.some((f) => c.inputs.some((i) => matchesInput(f, i.path)));
            if (owns || declares) expect(charms).toContain(c.name);
          }
          const global = relevant.some(
            (f) => f === model.layout.rebuildFile || globals.some((g) => matchesInput(f, g)),
          );
          if (global) expect(r.charms).toEqual(model.charms.map((c) => c.name).sort());
          const tested = new Set(r.tested);
          expect(r.untested).toEqual(r.charms.filter((c) => !tested.has(c)));
          expect(Object.keys(r.reasons).sort()).toEqual(r.charms);
          for (const c of r.charms) expect(r.reasons[c]?.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("affected charms with arbitrary Zuul file regexes", () => {
  // The indexed query buckets regexes by literal prefix; random (also broken) regexes must not make it
  // disagree with the naive scan that tests every regex against every file.
  const base = syntheticFiles();
  const regex = fromTokens(
    [
      "charms/",
      "keystone-k8s",
      "ops-sunbeam/",
      ".*",
      "\\.py",
      "a",
      "(",
      ")",
      "|",
      "*",
      "+",
      "?",
      "[a-z]",
      "$",
      "^",
      "rebuild",
      "(?i)",
    ],
    6,
  );
  const paths = fc.uniqueArray(
    fc.oneof(
      fc.constantFrom(...Object.keys(base), "a", "A.py", "charms/keystone-k8s", "rebuild2", "/COMMIT_MSG"),
      fromTokens(["charms/", "keystone-k8s/", "a", ".py", "ops-sunbeam/", "x"], 4),
    ),
    { maxLength: 5 },
  );

  it("the indexed query equals the naive one", () => {
    fc.assert(
      fc.property(
        fc.array(regex, { maxLength: 3 }),
        fc.option(fc.array(regex, { maxLength: 2 }), { nil: undefined }),
        paths,
        (files, irrelevant, changed) => {
          const job = [
            "- job:",
            "    name: fuzz-job",
            ...(files.length ? [`    files: ${JSON.stringify(files)}`] : []),
            ...(irrelevant?.length ? [`    irrelevant-files: ${JSON.stringify(irrelevant)}`] : []),
          ].join("\n");
          const tree = {
            ...base,
            "zuul.d/fuzz.yaml": `${job}\n`,
            "zuul.d/zuul.yaml": (base["zuul.d/zuul.yaml"] ?? "").replace(
              "        - openstack-tox-linters\n",
              "        - openstack-tox-linters\n        - fuzz-job\n",
            ),
          };
          const model = assembleModel(
            "1".repeat(40),
            Object.keys(tree).sort(),
            new Map(Object.entries(tree)),
          );
          expect(model.zuul.pipelineJobs.map((j) => j.name)).toContain("fuzz-job");
          expect(affected(model, changed)).toEqual(naiveAffected(model, changed));
        },
      ),
      { numRuns: 150, examples: [[["a)*("], undefined, ["b"]]] },
    );
  });
});

describe("registry Link header", () => {
  it("never throws on anything", () => {
    fc.assert(
      fc.property(
        fc.oneof(anyString, fc.anything(), fromTokens(["<", ">", ";", ",", "rel", "=", '"', "next"])),
        (h) => {
          const r = parseLinkHeader(h);
          if (r.next !== undefined) expect(typeof r.next).toBe("string");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("finds the first link whose rel list has next, among any others", () => {
    const uri = fc.stringMatching(/^[A-Za-z0-9/?&=._~%:-]{1,20}$/);
    const rel = fc.constantFrom("next", "prev", "last", "first", "next last", "NEXT", "nextpage");
    const link = fc.record({ uri, rel, quoted: fc.boolean(), title: fc.boolean() });
    fc.assert(
      fc.property(fc.array(link, { maxLength: 4 }), (links) => {
        const header = links
          .map(
            (l) =>
              `<${l.uri}>${l.title ? '; title="a, b"' : ""}; rel=${l.quoted || l.rel.includes(" ") ? `"${l.rel}"` : l.rel}`,
          )
          .join(", ");
        const first = links.find((l) => l.rel.toLowerCase().split(" ").includes("next"));
        expect(parseLinkHeader(header)).toEqual(first ? { next: first.uri } : {});
      }),
      { numRuns: 300 },
    );
  });
});

describe("change references", () => {
  const GERRIT = "https://review.example.org";
  const host = fc.constantFrom(
    "review.example.org",
    "REVIEW.example.org",
    "review.example.org:443",
    "review.example.org:8443",
    "evil.example.com",
    "review.example.org.evil.com",
    "review.example.org@evil.com",
    "evil.com@review.example.org",
    "evil.com#@review.example.org",
    "evil.com\\@review.example.org",
    "127.0.0.1",
    "[::1]",
    "",
  );
  const soup = fromTokens(
    [
      "/c/",
      "openstack/sunbeam-charms",
      "/+/",
      "912345",
      "/3",
      "/",
      "#/c/",
      "%2F",
      "%E0%A4%A",
      "%",
      "~",
      "?x=1",
      "#",
    ],
    6,
  );
  // PolyGerrit links with odd projects (percent escapes, malformed ones) and odd numbers.
  const project = fromTokens(
    ["openstack", "/", "%2F", "%E0%A4%A", "%", "%zz", "sunbeam-charms", "+", "é"],
    4,
  );
  const number = fc.oneof(fc.constantFrom("912345", "0", "99999999999", "1"), fc.string({ maxLength: 4 }));
  const poly = fc
    .tuple(project, number, fc.constantFrom("", "/3", "/x", "/3/charms/a.py", "/"))
    .map(([pr, n, tail]) => `/c/${pr}/+/${n}${tail}`);
  const path = fc.oneof(soup, poly, fc.constantFrom("/#/c/912345/3", "/912345", "/c/912345/2/"));
  const url = fc
    .tuple(fc.constantFrom("https://", "http://", "HTTPS://", "ftp://", "javascript://", "//"), host, path)
    .map(([s, h, p]) => `${s}${h}${p}`);
  const wrapped = fc
    .tuple(url, fc.constantFrom("plain", "slack", "slack-label", "markdown"))
    .map(([u, how]) =>
      how === "slack"
        ? `<${u}>`
        : how === "slack-label"
          ? `<${u}|label>`
          : how === "markdown"
            ? `[x](${u})`
            : u,
    );
  const other = fc.oneof(
    anyString,
    fromTokens(["912345", ",", "3", "~", "%2F", "openstack", "%", " ", "-", "0"], 6),
  );

  it("throws nothing but UserError", () => {
    fc.assert(
      fc.property(fc.oneof(wrapped, other), (raw) => {
        onlyUserErrors(() => parseChangeRef(raw, GERRIT), raw);
      }),
      { numRuns: 1000, examples: [["https://review.example.org/c/%/+/912345"]] },
    );
  });

  it("never accepts a link whose host is not the configured Gerrit", () => {
    fc.assert(
      fc.property(url, fc.constantFrom("plain", "slack", "markdown"), (u, how) => {
        const raw = how === "slack" ? `<${u}|x>` : how === "markdown" ? `[x](${u})` : u;
        const got = onlyUserErrors(() => parseChangeRef(raw, GERRIT), raw);
        if (got === undefined || !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) return;
        const parsed = new URL(u);
        expect(parsed.host.toLowerCase()).toBe("review.example.org");
        expect(["https:", "http:"]).toContain(parsed.protocol);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("image references", () => {
  const ref = fromTokens(
    [
      "ghcr.io",
      "docker.io",
      "localhost",
      ":5000",
      "/",
      "canonical",
      "keystone",
      ":",
      "2024.1",
      "_edge",
      "@",
      "sha256:",
      "a".repeat(64),
      "-",
      ".",
      "_",
      "[::1]",
      "UP",
    ],
    8,
  );

  it("parseImageRef throws only UserError, tryParseImageRef returns null instead, and a parse formats back", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, ref), (s) => {
        const r = onlyUserErrors(() => parseImageRef(s), s);
        const t = tryParseImageRef(s);
        expect(t).toEqual(r ?? null);
        if (r) expect(parseImageRef(formatImageRef(r))).toEqual(r);
      }),
      { numRuns: 1000 },
    );
  });

  it("a registry client refuses every image outside its allow-list before any request", () => {
    const client = new RegistryClient({ allowedHosts: ["ghcr.io"] });
    fc.assert(
      fc.property(fc.oneof(anyString, ref), (s) => {
        const r = onlyUserErrors(() => client.ref(s), s);
        if (r) expect(r.registry).toBe("ghcr.io");
      }),
      { numRuns: 500 },
    );
  });
});
