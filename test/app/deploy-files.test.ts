// Static checks of deploy/: YAML parses, kustomize references resolve, manifests agree, one start command.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/app/config-load.js";
import { SECRET_VARS } from "../../src/core/secrets.js";

// Loose views of parsed manifests: the test only reads them, and a wrong shape fails an expect().
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = join(import.meta.dirname, "..", "..");
const DEPLOY = join(ROOT, "deploy");
const K8S = join(DEPLOY, "k8s");
const read = (...p: string[]) => readFileSync(join(...p), "utf8");

/** The start command every deployment uses, after the node binary (the lead's test runs it). */
const START = ["bin/sunbeam-bot.js", "run", "--config", "/etc/sunbeam-bot/config.yaml"];

const METRICS = `
  sunbeam_bot_events_total sunbeam_bot_jobs
  sunbeam_bot_job_duration_seconds sunbeam_bot_job_retries_total
  sunbeam_bot_job_failures_total sunbeam_bot_chat_messages_sent_total
  sunbeam_bot_chat_rate_limited_total sunbeam_bot_gerrit_stream_connected
  sunbeam_bot_gerrit_reconnects_total sunbeam_bot_gerrit_events_backfilled_total
  sunbeam_bot_triage_outcomes_total sunbeam_bot_launchpad_writes_total
  sunbeam_bot_registry_polls_total sunbeam_bot_oci_announcements_total
  sunbeam_bot_commands_total process_resident_memory_bytes
  nodejs_eventloop_lag_seconds sunbeam_bot_dependency_errors_total
  sunbeam_bot_oldest_waiting_job_age_seconds sunbeam_bot_redis_up sunbeam_bot_chat_connected
  sunbeam_bot_ready_check sunbeam_bot_last_event_timestamp_seconds sunbeam_bot_build_info
`
  .trim()
  .split(/\s+/);
const HISTOGRAMS = ["sunbeam_bot_job_duration_seconds"];
const PROMQL_WORDS = new Set(
  "sum max min avg count rate irate increase histogram_quantile topk bottomk by without on ignoring group_left group_right and or unless bool offset abs clamp_min clamp_max label_values time vector scalar".split(
    " ",
  ),
);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function docs(file: string): Obj[] {
  const all = parseAllDocuments(readFileSync(file, "utf8"));
  if (!Array.isArray(all)) return [];
  for (const d of all) if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
  return all.map((d) => d.toJS() as Obj).filter((d) => d !== null);
}

const kustomization = docs(join(K8S, "kustomization.yaml"))[0] as Obj;
// Missing files are reported by the reference check, not here, so one typo fails one test.
const manifests = (kustomization.resources as string[])
  .filter((r) => existsSync(join(K8S, r)))
  .flatMap((r) => docs(join(K8S, r)));
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const bot = ofKind("Deployment").find((d) => d.metadata.name === "sunbeam-bot") as Obj;
const botService = ofKind("Service").find((s) => s.metadata.name === "sunbeam-bot") as Obj;
const secrets = docs(join(K8S, "secret.example.yaml"));

/** Metric names in a PromQL expression: strings, label matchers, ranges and grouping lists removed. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, "")
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
    .replace(/label_values\(\s*([a-zA-Z_:][\w:]*)[^)]*\)/g, "$1")
    .replace(/\$\w+/g, "");
  return [...bare.matchAll(/\b[a-zA-Z_:][\w:]*/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w));
}

function familyOf(name: string): string {
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return HISTOGRAMS.includes(base) ? base : name;
}

function dockerfile(): { lines: string[]; final: string[] } {
  // Continuation lines joined, comments dropped: one instruction per entry.
  const lines = read(DEPLOY, "Dockerfile")
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const lastFrom = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  return { lines, final: lines.slice(lastFrom) };
}

function jsonInstruction(lines: string[], name: string): string[] {
  const line = lines.filter((l) => l.toUpperCase().startsWith(`${name} `)).at(-1);
  expect(line, `${name} in Dockerfile`).toBeDefined();
  return JSON.parse((line as string).slice(name.length)) as string[];
}

function unit(): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const raw of read(DEPLOY, "sunbeam-bot.service").split(/\r?\n/)) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(raw.trim());
    if (m) keys.set(m[1] as string, [...(keys.get(m[1] as string) ?? []), (m[2] as string).trim()]);
  }
  return keys;
}

/**
 * `[node, bin/sunbeam-bot.js, …]` → the part after the node binary, which must be START. An init in front
 * (`tini --`) or `/usr/bin/env` looking node up on PATH is allowed; a hard-coded /usr/bin/node is not (on
 * Debian 12 that is Node 20, below the floor).
 */
function afterNode(argv: string[]): string[] {
  let rest = argv;
  if (rest[0] === "tini" && rest[1] === "--") rest = rest.slice(2);
  if (rest[0] === "/usr/bin/env") rest = rest.slice(1);
  expect(rest[0], `${argv.join(" ")} starts with node`).toBe("node");
  return rest.slice(1);
}

/** Where every deployment keeps the monorepo clone. */
const STATE_DIR = "/var/lib/sunbeam-bot";

describe("deploy files", () => {
  it("every YAML document under deploy/ parses", () => {
    const files = yamlFiles(DEPLOY);
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) expect(() => docs(f), f).not.toThrow();
  });

  it("kustomization references resolve and the Secret example is not deployed", () => {
    const k = kustomization;
    const paths: string[] = [
      ...(k.resources ?? []),
      ...(k.components ?? []),
      ...(k.patchesStrategicMerge ?? []),
      ...(k.patches ?? []).flatMap((p: Obj) => (p.path ? [p.path] : [])),
      ...(k.patchesJson6902 ?? []).map((p: Obj) => p.path),
      ...[...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])].flatMap((g: Obj) => [
        ...(g.files ?? []).map((f: string) => f.split("=").at(-1)),
        ...(g.envs ?? []),
      ]),
    ];
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(existsSync(join(K8S, p)), `deploy/k8s/${p}`).toBe(true);
    expect(k.resources).not.toContain("secret.example.yaml");
  });

  it("every Deployment and StatefulSet has probes, resources and a non-root security context", () => {
    const workloads = [...ofKind("Deployment"), ...ofKind("StatefulSet")];
    expect(workloads.map((w) => w.kind).sort()).toEqual(["Deployment", "StatefulSet"]);
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot, w.metadata.name).toBe(true);
      for (const c of pod.containers as Obj[]) {
        expect(c.livenessProbe, `${c.name} liveness`).toBeDefined();
        expect(c.readinessProbe, `${c.name} readiness`).toBeDefined();
        expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "memory"]);
        expect(c.resources.limits.memory, `${c.name} memory limit`).toBeDefined();
        expect(c.securityContext.readOnlyRootFilesystem, c.name).toBe(true);
        expect(c.securityContext.allowPrivilegeEscalation, c.name).toBe(false);
      }
    }
    const c = bot.spec.template.spec.containers[0];
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
  });

  it("Services select their workloads' pods and name existing container ports", () => {
    for (const svc of ofKind("Service")) {
      const sel = Object.entries(svc.spec.selector as Record<string, string>);
      const target = [...ofKind("Deployment"), ...ofKind("StatefulSet")].find((w) =>
        sel.every(([k, v]) => w.spec.template.metadata.labels[k] === v),
      );
      expect(target, `a workload for Service ${svc.metadata.name}`).toBeDefined();
      expect(sel.every(([k, v]) => target?.spec.selector.matchLabels[k] === v)).toBe(true);
      const ports = (target?.spec.template.spec.containers as Obj[]).flatMap((c) =>
        c.ports.map((p: Obj) => p.name),
      );
      for (const p of svc.spec.ports as Obj[]) expect(ports).toContain(p.targetPort);
    }
    const sts = ofKind("StatefulSet")[0] as Obj;
    expect(ofKind("Service").find((s) => s.metadata.name === sts.spec.serviceName)?.spec.clusterIP).toBe(
      "None",
    );
    expect(sts.spec.template.spec.containers[0].args.join(" ")).toContain("--appendonly yes");
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe("data");
  });

  it("the ServiceMonitor scrapes /metrics through the bot Service's named port", () => {
    const sm = ofKind("ServiceMonitor")[0] as Obj;
    expect(sm.apiVersion).toBe("monitoring.coreos.com/v1");
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels))
      expect(botService.metadata.labels[k]).toBe(v);
    const names = (botService.spec.ports as Obj[]).map((p) => p.name);
    for (const e of sm.spec.endpoints as Obj[]) {
      expect(names).toContain(e.port);
      expect(e.path).toBe("/metrics");
    }
  });

  it("the container config listens on 0.0.0.0, points at the Redis Service and is a valid config", () => {
    const text = read(K8S, "config.yaml");
    const { config } = validateConfig(docs(join(K8S, "config.yaml"))[0], {}, "k8s/config.yaml");
    expect(text).toContain("host: 0.0.0.0");
    expect(config.http.host).toBe("0.0.0.0");
    expect(bot.spec.template.spec.containers[0].ports[0].containerPort).toBe(config.http.port);
    expect(new URL(config.redis.url).hostname).toBe(ofKind("StatefulSet")[0]?.spec.serviceName);
    const pod = bot.spec.template.spec;
    const mount = pod.containers[0].volumeMounts.find((m: Obj) => m.mountPath === "/etc/sunbeam-bot");
    const vol = pod.volumes.find((v: Obj) => v.name === mount.name);
    const cms = vol.projected.sources.flatMap((s: Obj) => (s.configMap ? [s.configMap.name] : []));
    expect(cms).toEqual(kustomization.configMapGenerator.map((g: Obj) => g.name));
  });

  it("the Secret example has every secret key, no real-looking values, and is what the Deployment reads", () => {
    const all = secrets.flatMap((s) => Object.entries({ ...s.stringData, ...s.data }));
    for (const [k, v] of all) expect(String(v), k).toMatch(/^(|<[^>]*>)$/);
    const keys = all.map(([k]) => k);
    for (const v of Object.values(SECRET_VARS)) expect(keys).toContain(v);
    const refs = bot.spec.template.spec.containers[0].envFrom.map((e: Obj) => e.secretRef.name);
    for (const r of refs) expect(secrets.map((s) => s.metadata.name)).toContain(r);
  });

  it("the Dockerfile is multi-stage on node:24, production deps only, non-root, with a healthcheck", () => {
    const { lines, final } = dockerfile();
    const froms = lines.filter((l) => /^FROM\s/i.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.every((l) => /^FROM\s+node:24/.test(l))).toBe(true);
    expect(lines.some((l) => /^RUN .*npm ci .*--omit=dev/.test(l))).toBe(true);
    expect(final.some((l) => /^RUN .*npm (ci|install)/.test(l) && !l.includes("--omit=dev"))).toBe(false);
    const user = final.filter((l) => l.startsWith("USER ")).at(-1) ?? "USER root";
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/);
    // The URL may come through an ENV (so a changed http.port needs no new image): resolve it.
    const hc = final.find((l) => l.startsWith("HEALTHCHECK ")) ?? "";
    expect(hc).toMatch(/CMD \["node",/);
    const viaEnv = /process\.env\.(\w+)/.exec(hc)?.[1];
    const url = viaEnv ? (new RegExp(`\\b${viaEnv}=(\\S+)`).exec(final.join("\n"))?.[1] ?? "") : hc;
    expect(url).toContain("http://127.0.0.1:8080/healthz");
    const ignored = read(ROOT, ".dockerignore")
      .split(/\r?\n/)
      .filter((l) => l.trim() && !l.startsWith("#"));
    const copied = final.filter((l) => l.startsWith("COPY ")).join("\n");
    for (const p of [
      "dist",
      "bin",
      "samples",
      "deploy/cycle-actions.yaml",
      "src/features/triage/default-checklist.yaml",
    ])
      expect(copied).toContain(p);
    for (const l of lines.filter((x) => x.startsWith("COPY ") && !x.includes("--from="))) {
      for (const src of l.split(/\s+/).slice(1, -1)) {
        expect(existsSync(join(ROOT, src)), src).toBe(true);
        expect(
          ignored.filter((i) => src === i || src.startsWith(`${i}/`)),
          `${src} in .dockerignore`,
        ).toEqual([]);
      }
    }
  });

  it("compose runs the bot and an appendonly redis:7 with healthchecks and restart policies", () => {
    const c = docs(join(DEPLOY, "compose.yaml"))[0] as Obj;
    const { bot: b, redis } = c.services;
    expect(redis.image).toBe("redis:7");
    expect(redis.command.join(" ")).toContain("--appendonly yes");
    const data = (redis.volumes as string[]).find((v) => v.endsWith(":/data"))?.split(":")[0];
    expect(Object.keys(c.volumes)).toContain(data);
    for (const s of [b, redis]) {
      expect(s.healthcheck.test.length).toBeGreaterThan(1);
      expect(s.restart).toMatch(/^(always|unless-stopped|on-failure)/);
    }
    expect(b.env_file.length).toBeGreaterThan(0);
    const cfg = (b.volumes as string[]).find((v) => v.includes(":/etc/sunbeam-bot/config.yaml:ro"));
    const host = /^\$\{\w+:-([^}]+)\}/.exec(cfg ?? "")?.[1] ?? cfg?.split(":")[0] ?? "";
    expect(existsSync(join(DEPLOY, host)), host).toBe(true);
    expect(existsSync(join(DEPLOY, b.build.context, b.build.dockerfile))).toBe(true);
  });

  it("the systemd unit is hardened and drains gracefully", () => {
    const u = unit();
    const one = (k: string) => u.get(k)?.at(-1);
    expect(one("DynamicUser") === "yes" || !!one("User")).toBe(true);
    for (const [k, v] of Object.entries({
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      NoNewPrivileges: "yes",
      CapabilityBoundingSet: "",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      Restart: "on-failure",
    }))
      expect(one(k), k).toBe(v);
    expect(u.get("SystemCallFilter")).toContain("@system-service");
    expect(one("EnvironmentFile")).toBeTruthy();
    expect(one("LoadCredential")).toBeTruthy();
    // V8's JIT needs writable+executable pages: this setting would crash node at start.
    expect(one("MemoryDenyWriteExecute") ?? "no").toBe("no");
    const stop = /^(\d+)(s|min)?$/.exec(one("TimeoutStopSec") ?? "");
    expect(Number(stop?.[1]) * (stop?.[2] === "min" ? 60 : 1)).toBeGreaterThanOrEqual(30);
  });

  it("the Grafana dashboard parses and uses only the bot's metric families, all of them", () => {
    const dash = JSON.parse(read(DEPLOY, "grafana-dashboard.json")) as Obj;
    const vars = dash.templating.list as Obj[];
    expect(vars.find((v) => v.name === "datasource")?.type).toBe("datasource");
    const exprs: string[] = [];
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === "object") {
        for (const [k, v] of Object.entries(n)) {
          if ((k === "expr" || k === "query" || k === "definition") && typeof v === "string") exprs.push(v);
          else if (k === "datasource" && v && typeof v === "object" && (v as Obj).type === "prometheus")
            expect((v as Obj).uid).toBe("${datasource}");
          else walk(v);
        }
      }
    };
    walk(dash.panels);
    walk(vars.filter((v) => v.type !== "datasource"));
    const used = new Set(exprs.flatMap(metricNames).map(familyOf));
    expect([...used].filter((m) => !METRICS.includes(m))).toEqual([]);
    expect(METRICS.filter((m) => !used.has(m))).toEqual([]);
  });

  it("Dockerfile, compose, k8s and systemd use the same start command", () => {
    const { final } = dockerfile();
    const entry = jsonInstruction(final, "ENTRYPOINT");
    const cmd = jsonInstruction(final, "CMD");
    const b = (docs(join(DEPLOY, "compose.yaml"))[0] as Obj).services.bot;
    const c = bot.spec.template.spec.containers[0];
    const exec = (unit().get("ExecStart")?.[0] ?? "").split(/\s+/);
    for (const argv of [
      [...entry, ...cmd],
      [...(b.entrypoint ?? entry), ...(b.command ?? cmd)],
      [...(c.command ?? entry), ...(c.args ?? cmd)],
      exec,
    ])
      expect(afterNode(argv)).toEqual(START);
    // PID 1 in a container must reap git's children and forward SIGTERM: tini, in every container start.
    for (const argv of [entry, b.entrypoint, c.command]) expect(argv.slice(0, 2)).toEqual(["tini", "--"]);
    expect(final.find((l) => l.startsWith("WORKDIR "))).toBe("WORKDIR /app");
    expect(unit().get("WorkingDirectory")).toHaveLength(1);
  });

  it("the image installs git and tini and makes the state directory the bot's user can write", () => {
    const { final } = dockerfile();
    const installs = final
      .filter((l) => /^RUN .*apt-get install/.test(l))
      .flatMap((l) => l.split(/\s+/))
      .filter((w) => /^[a-z][\w.+-]*$/.test(w));
    for (const pkg of ["git", "tini", "ca-certificates"]) expect(installs).toContain(pkg);
    const user = (final.filter((l) => l.startsWith("USER ")).at(-1) ?? "").split(/\s+/)[1];
    const mk = final.find((l) => l.startsWith("RUN ") && l.includes(`mkdir -p ${STATE_DIR}`)) ?? "";
    expect(mk).toContain(`chown ${user} ${STATE_DIR}`);
    // The ownership step runs before USER drops root, or it could not chown.
    expect(final.indexOf(mk)).toBeLessThan(final.findIndex((l) => l.startsWith("USER ")));
    expect(final).toContain(`VOLUME ${STATE_DIR}`);
    // TypeScript is an optional peer of a production dependency: --omit=dev alone still installs it.
    expect(dockerfile().lines.some((l) => /npm ci .*--omit=dev .*--omit=optional/.test(l))).toBe(true);
  });

  it("compose, kustomize and systemd each give the state directory a writable place", () => {
    const b = (docs(join(DEPLOY, "compose.yaml"))[0] as Obj).services.bot;
    expect(b.read_only).toBe(true);
    const vol = (b.volumes as string[]).find((v) => v.endsWith(`:${STATE_DIR}`));
    expect(Object.keys((docs(join(DEPLOY, "compose.yaml"))[0] as Obj).volumes)).toContain(vol?.split(":")[0]);
    const pod = bot.spec.template.spec;
    const mount = (pod.containers[0].volumeMounts as Obj[]).find((m) => m.mountPath === STATE_DIR);
    expect(mount?.readOnly ?? false).toBe(false);
    const kvol = (pod.volumes as Obj[]).find((v) => v.name === mount?.name);
    expect(kvol?.emptyDir ?? kvol?.persistentVolumeClaim, "a writable volume").toBeDefined();
    const u = unit();
    expect(u.get("StateDirectory")).toEqual(["sunbeam-bot"]);
    expect(u.get("ProtectSystem")).toEqual(["strict"]);
    for (const line of [...(u.get("ExecStart") ?? []), ...(u.get("ExecStartPre") ?? [])])
      expect(line).not.toMatch(/^\/usr\/bin\/node\b/);
  });

  it("the example configs enable the monorepo inside the state directory", () => {
    for (const file of [join(DEPLOY, "config.example.yaml"), join(K8S, "config.yaml")]) {
      const env = { GERRIT_HTTP_PASSWORD: "from-the-environment" };
      const { config } = validateConfig(docs(file)[0], env, file);
      expect(config.monorepo?.path, file).toMatch(new RegExp(`^${STATE_DIR}/`));
      // Without projects the reconnect backfill asks Gerrit for every project on the server.
      expect(config.gerrit?.projects.length, file).toBeGreaterThan(0);
    }
  });

  it("Redis in k8s answers only the bot's pods", () => {
    const np = ofKind("NetworkPolicy").find((n) => n.metadata.name === "sunbeam-bot-redis") as Obj;
    const sts = ofKind("StatefulSet")[0] as Obj;
    for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels))
      expect(sts.spec.template.metadata.labels[k]).toBe(v);
    const from = np.spec.ingress[0].from[0].podSelector.matchLabels as Record<string, string>;
    for (const [k, v] of Object.entries(from)) expect(bot.spec.template.metadata.labels[k]).toBe(v);
    expect(np.spec.ingress[0].ports[0].port).toBe(6379);
  });
});
