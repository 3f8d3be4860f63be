// The chart's monitoring options against a real API server holding the real monitoring.coreos.com CRDs (copied from
// the prometheus-operator Go module by scripts/install-tools.sh): the ServiceMonitor, PodMonitor and PrometheusRule
// pass `kubectl apply --dry-run=server` (the CRDs' schemas, strict field validation), they point at the Service port
// and container port the operator serves /metrics on, the PrometheusRule carries files/prometheus-rules.yaml and
// the dashboard ConfigMap files/grafana-dashboard.json unchanged; all four are off by default.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { repoRoot, testEnv } from "../env/index.ts";
import { cacheDir } from "../env/tools.ts";
import { parseDocs, type Doc } from "./api-kube-support.ts";
import { cli, dryRunCount, one, type Cli } from "./deploy-support.ts";

const chart = join(repoRoot, "charts/airlift");
const crdDir = join(cacheDir, "crds/monitoring");
const ns = `monitoring-${randomBytes(3).toString("hex")}`;
const MONITORING = [
  "metrics.serviceMonitor.enabled=true",
  "metrics.serviceMonitor.interval=30s",
  "metrics.serviceMonitor.labels.release=kube-prometheus-stack",
  "metrics.podMonitor.enabled=true",
  "prometheusRule.enabled=true",
  "prometheusRule.labels.release=kube-prometheus-stack",
  "dashboards.enabled=true",
];
let kubectl: Cli["kubectl"];
let helm: Cli["helm"];

interface Endpoint {
  port: string;
  path: string;
  honorLabels: boolean;
  interval?: string;
}

async function template(set: string[]): Promise<{ text: string; docs: Doc[] }> {
  const { stdout } = await helm(["template", "m", chart, "--namespace", ns, ...set.flatMap((s) => ["--set", s])]);
  return { text: stdout, docs: parseDocs(stdout) };
}

before(async () => {
  assert.ok(
    existsSync(crdDir),
    `the monitoring CRDs are missing from ${crdDir}: run "npm run setup" (scripts/install-tools.sh)`,
  );
  const env = await testEnv();
  ({ kubectl, helm } = cli(env.kube.kubeconfigPath));
  for (const kind of ["servicemonitors", "podmonitors", "prometheusrules"]) {
    await kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(crdDir, `${kind}.yaml`)]);
  }
  await kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd/servicemonitors.monitoring.coreos.com",
    "crd/podmonitors.monitoring.coreos.com",
    "crd/prometheusrules.monitoring.coreos.com",
  ]);
  await kubectl(["create", "namespace", ns]);
});

describe("chart monitoring options", () => {
  it("renders none of them by default", async () => {
    const { docs } = await template([]);
    assert.deepEqual(
      docs.filter(
        (d) =>
          ["ServiceMonitor", "PodMonitor", "PrometheusRule"].includes(d.kind) ||
          d.metadata.name.endsWith("-dashboards"),
      ),
      [],
    );
  });

  it("renders objects the API server accepts, aimed at the port /metrics is served on", async () => {
    const render = await template(MONITORING);
    const { stdout } = await kubectl(["apply", "--dry-run=server", "-f", "-"], render.text);
    assert.equal(dryRunCount(stdout), render.docs.length, stdout);

    const service = one<{ metadata: { labels: Record<string, string> }; spec: { ports: { name: string }[] } }>(
      render.docs,
      "Service",
    );
    const deployment = one<{
      spec: {
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: { ports: { name: string }[] }[] };
        };
      };
    }>(render.docs, "Deployment");
    const sm = one<{
      metadata: { labels: Record<string, string> };
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: Endpoint[] };
    }>(render.docs, "ServiceMonitor");
    const pm = one<{ spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: Endpoint[] } }>(
      render.docs,
      "PodMonitor",
    );
    assert.equal(sm.metadata.labels.release, "kube-prometheus-stack");
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels))
      assert.equal(service.metadata.labels[k], v, `the ServiceMonitor selects the metrics Service (${k})`);
    for (const [k, v] of Object.entries(pm.spec.selector.matchLabels))
      assert.equal(deployment.spec.template.metadata.labels[k], v, `the PodMonitor selects the operator pods (${k})`);
    assert.deepEqual(sm.spec.endpoints, [{ port: "metrics", path: "/metrics", honorLabels: true, interval: "30s" }]);
    assert.deepEqual(pm.spec.podMetricsEndpoints, [{ port: "metrics", path: "/metrics", honorLabels: true }]);
    assert.ok(service.spec.ports.some((p) => p.name === "metrics"));
    assert.ok(deployment.spec.template.spec.containers[0]?.ports.some((p) => p.name === "metrics"));
  });

  it("ships the rules file and the dashboard unchanged", async () => {
    const { docs } = await template(MONITORING);
    const rule = one<{ metadata: { labels: Record<string, string> }; spec: unknown }>(docs, "PrometheusRule");
    assert.equal(rule.metadata.labels.release, "kube-prometheus-stack");
    assert.deepEqual(rule.spec, parse(readFileSync(join(chart, "files/prometheus-rules.yaml"), "utf8")));
    const dashboards = docs.filter(
      (d) => d.kind === "ConfigMap" && d.metadata.name.endsWith("-dashboards"),
    ) as unknown as { metadata: { labels: Record<string, string> }; data: Record<string, string> }[];
    assert.equal(dashboards.length, 1);
    assert.equal(dashboards[0]?.metadata.labels.grafana_dashboard, "1");
    assert.deepEqual(
      JSON.parse(dashboards[0]?.data["airlift.json"] ?? "{}"),
      JSON.parse(readFileSync(join(chart, "files/grafana-dashboard.json"), "utf8")),
    );
  });

  it("refuses a ServiceMonitor without the metrics Service", async () => {
    const result = await helm(
      [
        "template",
        "m",
        chart,
        "--set",
        "metrics.serviceMonitor.enabled=true",
        "--set",
        "metrics.service.enabled=false",
      ],
      true,
    );
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /metrics\.serviceMonitor\.enabled=true needs metrics\.service\.enabled=true/);
  });
});
