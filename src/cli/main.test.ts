import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { parseDuration } from "./command.ts";
import { main } from "./main.ts";
import { parseOperatorConfig } from "./operator-config.ts";

function io(env: NodeJS.ProcessEnv = {}): { out: () => string; err: () => string; io: Parameters<typeof main>[1] } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = "";
  let e = "";
  stdout.on("data", (c: Buffer) => (o += c.toString()));
  stderr.on("data", (c: Buffer) => (e += c.toString()));
  return { out: () => o, err: () => e, io: { stdout, stderr, env } };
}

describe("airlift CLI", () => {
  it("prints help with exit 0, and the help on stderr with exit 2 when no command is given", async () => {
    const a = io();
    assert.equal(await main(["--help"], a.io), 0);
    assert.match(a.out(), /operator/);
    const b = io();
    assert.equal(await main([], b.io), 2);
    assert.match(b.err(), /Usage: airlift <command>/);
  });

  it("refuses an unknown command or flag in one line with a suggestion and a pointer to the help, exit 2", async () => {
    const a = io();
    assert.equal(await main(["statsu"], a.io), 2);
    assert.equal(a.err(), "airlift: unknown command 'statsu' (did you mean status?)\nsee `airlift --help`\n");
    const b = io();
    assert.equal(await main(["pull", "--progres", "plain", "r", "d"], b.io), 2);
    assert.equal(
      b.err(),
      "airlift pull: unknown option '--progres' (did you mean --progress?)\nsee `airlift pull --help`\n",
    );
    const c = io();
    assert.equal(await main(["operator", "--bogus"], c.io), 2);
    assert.match(c.err(), /^airlift operator: unknown option '--bogus'\nsee `airlift operator --help`\n$/);
  });

  it("prints a command's help on stdout with exit 0", async () => {
    const a = io();
    assert.equal(await main(["status", "--help"], a.io), 0);
    assert.match(a.out(), /--poll <duration>/);
    const b = io();
    assert.equal(await main(["help", "pull"], b.io), 0);
    assert.match(b.out(), /Usage: airlift pull/);
  });

  it("prints the version", async () => {
    const a = io();
    assert.equal(await main(["version"], a.io), 0);
    assert.match(a.out(), /^airlift \d+\.\d+\.\d+/);
  });

  it("parses Go-style durations", () => {
    assert.equal(parseDuration("15s"), 15_000);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.throws(() => parseDuration("15"), /invalid duration/);
    assert.throws(() => parseDuration("s"), /invalid duration/);
  });

  it("reads operator flags with environment fallbacks, flags winning", () => {
    const env = { POD_NAMESPACE: "ops", AIRLIFT_WORKERS: "4", AIRLIFT_LEADER_ELECT: "true", POD_NAME: "pod-1" };
    const cfg = parseOperatorConfig(
      ["--workers", "8", "--metrics-addr", "0", "--lease-duration", "20s", "--kubeconfig", "/k", "--context", "c"],
      env,
    );
    assert.equal(cfg.kubeconfig, "/k");
    assert.equal(cfg.context, "c");
    assert.equal(cfg.namespace, "ops");
    assert.equal(cfg.workers, 8);
    assert.equal(cfg.leaderElect, true);
    assert.equal(cfg.metricsAddr, undefined);
    assert.equal(cfg.healthAddr, ":8081");
    assert.equal(cfg.leaseDurationMs, 20_000);
    assert.equal(cfg.renewDeadlineMs, 10_000);
    assert.equal(cfg.allowCrossNamespaceSecrets, false);
    assert.match(cfg.identity, /^pod-1_[0-9a-f]{8}$/);
    assert.equal(parseOperatorConfig([], env).workers, 4);
    assert.throws(() => parseOperatorConfig(["--workers", "0"], {}), /positive integer/);
    assert.throws(() => parseOperatorConfig(["--lease-duration", "15"], {}), /duration/);
  });

  it("watches the site's DNS suffix ConfigMap by default, unless turned off or renamed", () => {
    assert.equal(parseOperatorConfig([], {}).dnsSuffixConfigMap, "gpc-system/dnssuffix");
    assert.equal(
      parseOperatorConfig(["--site-dns-suffix-configmap", "site/suffix"], {}).dnsSuffixConfigMap,
      "site/suffix",
    );
    assert.equal(
      parseOperatorConfig([], { AIRLIFT_SITE_DNS_SUFFIX_CONFIGMAP: "site/suffix" }).dnsSuffixConfigMap,
      "site/suffix",
    );
    assert.equal(parseOperatorConfig(["--site-dns-suffix-configmap", ""], {}).dnsSuffixConfigMap, undefined);
    assert.equal(parseOperatorConfig(["--no-site-discovery"], {}).dnsSuffixConfigMap, undefined);
    assert.equal(parseOperatorConfig([], {}).harborCluster, "harbor-system/harbor");
    assert.equal(parseOperatorConfig(["--site-harbor-cluster", "h/core"], {}).harborCluster, "h/core");
    assert.equal(parseOperatorConfig([], { AIRLIFT_SITE_HARBOR_CLUSTER: "" }).harborCluster, undefined);
    assert.equal(parseOperatorConfig(["--no-site-discovery"], {}).harborCluster, undefined);
    assert.equal(parseOperatorConfig([], { AIRLIFT_SITE_DISCOVERY: "false" }).harborCluster, undefined);
    assert.equal(parseOperatorConfig([], { AIRLIFT_SITE_DISCOVERY: "false" }).dnsSuffixConfigMap, undefined);
    assert.throws(() => parseOperatorConfig(["--site-dns-suffix-configmap", "dnssuffix"], {}), /namespace\/name/);
    assert.equal(parseOperatorConfig(["--dns-suffix", "z.example"], {}).defaults.registry, "harbor.z.example");
  });

  it("resolves the Secret source namespaces: explicit list, else the site profile's, else none", () => {
    assert.deepEqual(parseOperatorConfig([], {}).secretSourceNamespaces, []);
    assert.deepEqual(parseOperatorConfig(["--site-profile", "gdc"], {}).secretSourceNamespaces, [
      "object-storage-access-keys",
      "harbor-system",
    ]);
    assert.deepEqual(parseOperatorConfig([], { AIRLIFT_SITE_PROFILE: "gdc" }).secretSourceNamespaces, [
      "object-storage-access-keys",
      "harbor-system",
    ]);
    assert.deepEqual(
      parseOperatorConfig(["--site-profile", "gdc", "--secret-source-namespaces", " keys, ,ops "], {})
        .secretSourceNamespaces,
      ["keys", "ops"],
    );
    assert.deepEqual(
      parseOperatorConfig(["--site-profile", "gdc"], { AIRLIFT_SECRET_SOURCE_NAMESPACES: "" }).secretSourceNamespaces,
      [],
    );
    assert.throws(() => parseOperatorConfig(["--site-profile", "aws"], {}), /Allowed choices are gdc, none/);
    assert.throws(() => parseOperatorConfig([], { AIRLIFT_SITE_PROFILE: "aws" }), /unknown site profile "aws"/);
  });
});
