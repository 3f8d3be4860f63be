// The chart's alerts (charts/airlift/files/prometheus-rules.yaml) and Grafana dashboard
// (charts/airlift/files/grafana-dashboard.json) may only name metrics the operator exposes: the registry is built as
// `airlift operator` builds it (a Manager with every controller of src/controllers added), every name it exposes is
// collected (histograms as _bucket, _sum and _count), and the metric names of each PromQL expression, found by a
// small tokenizer, must all be among them. A renamed metric fails here, not silently in a cluster's Prometheus.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import { parse } from "yaml";
import { resolveDefaults } from "../../src/controllers/defaults.ts";
import { CONTROLLERS } from "../../src/controllers/index.ts";
import { Manager } from "../../src/kube/manager.ts";
import { EndpointPolicy } from "../../src/net/endpoint-policy.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { repoRoot } from "../env/index.ts";

const files = join(repoRoot, "charts/airlift/files");

/** PromQL words that are not metric names: binary operators, modifiers and their label lists. */
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "start", "end"]);
/** Keywords followed by a parenthesised list of label names. */
const LABEL_LISTS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

/**
 * PromQL tokens, in order: quoted strings, whole label matchers `{...}` (strings inside may hold `}`), whole range or
 * subquery brackets `[...]`, Grafana variables, numbers (with exponents and duration units), identifiers, parentheses.
 * Whatever else (blanks, operators, commas) matches nothing and is skipped.
 */
const TOKEN =
  /"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`|\{(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[^}"'])*\}|\[[^\]]*\]|\$\{?\w*\}?|\.?\d[\w.]*(?:[+-]\d+)?|[a-zA-Z_:][\w:]*|[()]/g;

/**
 * The metric names of a PromQL expression: identifiers that are not functions or aggregations (followed by `(`, or by
 * `by` / `without`), not keywords, not label names (inside `{...}` or a `by (...)`-style list), not durations (inside
 * `[...]`), and not Grafana variables (`$__rate_interval`).
 */
export function metricNames(expr: string): string[] {
  const tokens: string[] = expr.match(TOKEN) ?? [];
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? "";
    const next = tokens[i + 1];
    if (!/^[a-zA-Z_:]/.test(token)) continue;
    if (LABEL_LISTS.has(token)) {
      if (next === "(") i = tokens.indexOf(")", i);
      continue;
    }
    if (!KEYWORDS.has(token) && next !== "(" && next !== "by" && next !== "without") names.push(token);
  }
  return names;
}

/** Every metric name a registry exposes, histograms and summaries with their series suffixes. */
async function exposedNames(manager: Manager): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await manager.metrics.registry.getMetricsAsJSON()) {
    // prom-client declares `type` as a numeric enum but sets the exposition's type name.
    const type = String(metric.type);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(metric.name + suffix);
    else if (type === "summary") for (const suffix of ["", "_sum", "_count"]) names.add(metric.name + suffix);
    else names.add(metric.name);
  }
  return names;
}

/** The PromQL expressions of the rules file. */
function ruleExpressions(): { where: string; expr: string }[] {
  const doc = parse(readFileSync(join(files, "prometheus-rules.yaml"), "utf8")) as {
    groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
  };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert ?? r.record ?? "?"}`, expr: r.expr })));
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** The PromQL expressions of the dashboard's panels (rows' nested panels included). */
function dashboardExpressions(): { where: string; expr: string }[] {
  const doc = JSON.parse(readFileSync(join(files, "grafana-dashboard.json"), "utf8")) as { panels: Panel[] };
  const walk = (panels: Panel[]): { where: string; expr: string }[] =>
    panels.flatMap((p) => [
      ...(p.targets ?? []).flatMap((t) => (t.expr ? [{ where: `panel "${p.title ?? "?"}"`, expr: t.expr }] : [])),
      ...walk(p.panels ?? []),
    ]);
  return walk(doc.panels);
}

/** `where: name` for every name of the expressions the registry does not have. */
function unknownNames(exprs: { where: string; expr: string }[], exposed: ReadonlySet<string>): string[] {
  return exprs.flatMap(({ where, expr }) =>
    metricNames(expr)
      .filter((n) => !exposed.has(n))
      .map((n) => `${where}: ${n}`),
  );
}

let manager: Manager;
let exposed: Set<string>;

before(async () => {
  // The operator's wiring, without starting anything: nothing here talks to an API server.
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:6443", skipTLSVerify: false }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const log = createLogger({ level: "silent" });
  manager = new Manager({ kubeConfig, log, namespace: "airlift-system", leaderElection: { name: "airlift-leader" } });
  const deps = {
    client: manager.client,
    log,
    metrics: manager.metrics,
    events: manager.events,
    secrets: manager.secrets,
    operatorNamespace: "airlift-system",
    identity: manager.identity,
    defaults: resolveDefaults({ workDir: mkdtempSync(join(tmpdir(), "airlift-promql-")) }),
    endpointPolicy: new EndpointPolicy(),
  };
  for (const factory of CONTROLLERS) manager.add(factory(deps));
  exposed = await exposedNames(manager);
});

after(async () => {
  await manager.client.close();
});

describe("the tokenizer", () => {
  it("finds metric names and skips functions, label matchers, label lists, durations, keywords and variables", () => {
    assert.deepEqual(
      metricNames(
        'sum by (controller, le) (rate(foo_bucket{name=~"a|b", x="{y}"}[5m])) / on (job) group_left (pod) bar > bool 3',
      ),
      ["foo_bucket", "bar"],
    );
    assert.deepEqual(
      metricNames("histogram_quantile(0.99, sum(rate(a_b[$__rate_interval])) without (le)) or vector(0)"),
      ["a_b"],
    );
    assert.deepEqual(metricNames("changes(x[1h]) > 4 and y offset 5m unless z"), ["x", "y", "z"]);
    assert.deepEqual(metricNames("1e-8 + up"), ["up"]);
  });
});

describe("chart PromQL against the operator's registry", () => {
  it("the registry exposes the standard names", () => {
    for (const name of [
      "controller_runtime_reconcile_total",
      "workqueue_adds_total",
      "rest_client_requests_total",
      "leader_election_master_status",
      "process_cpu_seconds_total",
    ]) {
      assert.ok(exposed.has(name), name);
    }
  });

  it("every alert names only metrics the operator exposes", () => {
    const exprs = ruleExpressions();
    assert.ok(exprs.length >= 5, `${exprs.length} rules`);
    assert.deepEqual(unknownNames(exprs, exposed), []);
  });

  it("every dashboard panel names only metrics the operator exposes", () => {
    const exprs = dashboardExpressions();
    assert.ok(exprs.length >= 20, `${exprs.length} panel queries`);
    assert.deepEqual(unknownNames(exprs, exposed), []);
  });

  it("would report a renamed metric", () => {
    const renamed = [{ where: "rule X", expr: 'sum(rate(airlift_reconcile_total{controller="ocisync"}[5m]))' }];
    assert.deepEqual(unknownNames(renamed, exposed), ["rule X: airlift_reconcile_total"]);
  });
});
