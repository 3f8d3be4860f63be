// Cross-namespace Secret grants through the real `airlift operator` process (debug logging on): a Secret of another
// namespace is used only when the operator lists its namespace as a source AND the Secret's
// airlift.dev/allowed-namespaces annotation names the referring namespace. Every other reference is Stalled with
// CrossNamespaceRefNotAllowed and a message naming the missing half; a granted one imports into the registry from
// MinIO; Harbor's harbor-admin Secret (password under key `secret`, user `admin` by convention) is used as it is; no
// key or password reaches logs, status or events.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { parseOperatorConfig } from "../../src/cli/operator-config.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { loadKubeConfig, repoRoot, run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { installCrds, kubeClient, parseDocs } from "./api-kube-support.ts";
import { cli, deployDocs, env as envOf } from "./deploy-support.ts";
import { ensureNamespace, pushWithCrane, unique, waitFor } from "./ocisync-support.ts";
import { SiteOperator } from "./site-support.ts";

const tenant = unique("team-site");
const source = unique("site-keys");
const unlisted = unique("site-unlisted");
const otherProject = unique("team-other");
const harborNs = unique("site-harbor");
const opNs = unique("site-op");
const bucket = unique("site-secrets");
const keyName = "object-storage-key-std-user-7";
let env: EnvironmentConnection;
let admin: KubeClient;
let operator: SiteOperator;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

async function keysSecret(namespace: string, name: string, annotations?: Record<string, string>): Promise<void> {
  await admin.request(`/api/v1/namespaces/${namespace}/secrets`, {
    method: "POST",
    body: {
      metadata: { name, annotations },
      stringData: { "access-key-id": env.minio.accessKeyId, "secret-access-key": env.minio.secretAccessKey },
    },
  });
}

async function createImport(name: string, spec: Record<string, unknown>): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${tenant}/imageimports`, {
    method: "POST",
    body: { apiVersion: "airlift.dev/v1alpha1", kind: "ImageImport", metadata: { name }, spec },
  });
}

async function importFrom(name: string, credentialsSecretRef: { name: string; namespace: string }): Promise<void> {
  await createImport(name, {
    source: { s3: { endpoint: env.minio.endpoint, bucket, key: "g/img.tar", credentialsSecretRef } },
    destination: { registry: env.registries.anonymous.host, plainHTTP: true, repository: `site/${name}`, tags: ["1"] },
  });
}

/** An import into the basic-auth TLS registry with the bucket keys granted from the source namespace. */
async function importToHarbor(name: string, credentialsSecretRef: Record<string, string>): Promise<void> {
  await createImport(name, {
    source: {
      s3: {
        endpoint: env.minio.endpoint,
        bucket,
        key: "g/img.tar",
        credentialsSecretRef: { name: keyName, namespace: source },
      },
    },
    destination: {
      registry: env.registries["basic-tls"].host,
      repository: `site/${name}`,
      tags: ["1"],
      credentialsSecretRef,
      caBundleSecretRef: { name: "harbor-ca" },
    },
  });
}

/** The Ready condition once it is True, or False with a terminal reason. */
async function settled(name: string): Promise<Condition> {
  return waitFor(
    `imageimports/${name} settled`,
    async () => {
      const o = await admin.request<{ status?: { conditions?: Condition[] } }>(
        `/apis/airlift.dev/v1alpha1/namespaces/${tenant}/imageimports/${name}`,
      );
      const ready = o.status?.conditions?.find((c) => c.type === "Ready");
      const stalled = o.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True");
      return ready && (ready.status === "True" || stalled) ? ready : undefined;
    },
    90_000,
  );
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  admin = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  for (const ns of [tenant, source, unlisted, otherProject, harborNs, opNs]) await ensureNamespace(admin, ns);
  // The site's shapes: GDC's object-storage key Secret, granted by annotation to the team-* namespaces.
  await keysSecret(source, keyName, { "airlift.dev/allowed-namespaces": "team-site-*, ops" });
  await keysSecret(source, "not-annotated");
  await keysSecret(source, "for-others", { "airlift.dev/allowed-namespaces": "ops,team-x?" });
  await keysSecret(unlisted, keyName, { "airlift.dev/allowed-namespaces": "*" });
  await keysSecret(otherProject, "keys");
  // Harbor's admin Secret as GDC ships it: the password under key `secret`, the user `admin` known by convention
  // (here the TLS registry's user), granted to the team namespaces; the registry's CA sits in the tenant namespace.
  const tls = env.registries["basic-tls"];
  await admin.request(`/api/v1/namespaces/${harborNs}/secrets`, {
    method: "POST",
    body: {
      metadata: { name: "harbor-admin", annotations: { "airlift.dev/allowed-namespaces": "team-*" } },
      stringData: { secret: tls.password ?? "" },
    },
  });
  await admin.request(`/api/v1/namespaces/${tenant}/secrets`, {
    method: "POST",
    body: { metadata: { name: "harbor-ca" }, stringData: { "ca.crt": tls.caPem ?? "" } },
  });

  const scratch = mkdtempSync(join(tmpdir(), "airlift-site-secrets-"));
  const ref = `${env.registries.anonymous.host}/site/seed:v1`;
  await pushWithCrane(ref, { "hello.txt": "hello from the site\n" });
  await run("crane", ["pull", "--insecure", "--format=tarball", ref, join(scratch, "img.tar")]);
  const s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: "g/img.tar", Body: readFileSync(join(scratch, "img.tar")) }),
  );
  s3.destroy();

  operator = new SiteOperator({
    name: "site-secrets",
    env,
    operatorNamespace: opNs,
    watchNamespace: tenant,
    args: [
      "--allow-loopback-endpoints",
      "--site-profile",
      "gdc",
      "--secret-source-namespaces",
      `${source},${harborNs},${otherProject}-not-this`,
    ],
  });
});

after(async () => {
  await operator?.stop();
  await admin.close();
});

describe("cross-namespace Secret grants", () => {
  it("logs the Secret source namespaces it started with (the explicit list wins over the gdc profile's)", async () => {
    await waitFor(
      "the start log line",
      async () => (operator.logs.includes('"msg":"starting operator"') ? true : undefined),
      30_000,
    );
    const line = operator.logs.split("\n").find((l) => l.includes('"msg":"starting operator"')) ?? "";
    const start = JSON.parse(line) as {
      siteProfile: string;
      secretSourceNamespaces: string[];
      allowCrossNamespaceSecrets: boolean;
    };
    assert.equal(start.siteProfile, "gdc");
    assert.deepEqual(start.secretSourceNamespaces, [source, harborNs, `${otherProject}-not-this`]);
    assert.equal(start.allowCrossNamespaceSecrets, false);
  });

  it("refuses a Secret in a source namespace that does not grant this namespace, naming the missing annotation", async () => {
    await importFrom("not-annotated", { name: "not-annotated", namespace: source });
    await importFrom("for-others", { name: "for-others", namespace: source });
    const missing = await settled("not-annotated");
    assert.equal(missing.status, "False");
    assert.equal(missing.reason, "CrossNamespaceRefNotAllowed", missing.message);
    assert.match(
      missing.message,
      new RegExp(`Secret ${source}/not-annotated: namespace "${source}" is a Secret source namespace`),
    );
    assert.match(missing.message, /it has no annotation airlift\.dev\/allowed-namespaces/);
    const other = await settled("for-others");
    assert.equal(other.reason, "CrossNamespaceRefNotAllowed", other.message);
    assert.match(
      other.message,
      new RegExp(`its annotation airlift\\.dev/allowed-namespaces \\("ops,team-x\\?"\\) does not match "${tenant}"`),
    );
  });

  it("refuses an annotated Secret in a namespace the operator does not list, naming the missing source", async () => {
    await importFrom("unlisted", { name: keyName, namespace: unlisted });
    const r = await settled("unlisted");
    assert.equal(r.reason, "CrossNamespaceRefNotAllowed", r.message);
    assert.match(
      r.message,
      new RegExp(`namespace "${unlisted}" is not one of the operator's Secret source namespaces \\(${source}, `),
    );
    assert.match(r.message, /--secret-source-namespaces/);
    assert.doesNotMatch(r.message, /has no annotation/);
  });

  it("refuses a tenant naming another project's Secret", async () => {
    await importFrom("other-project", { name: "keys", namespace: otherProject });
    const r = await settled("other-project");
    assert.equal(r.reason, "CrossNamespaceRefNotAllowed", r.message);
    assert.match(
      r.message,
      new RegExp(`Secret ${otherProject}/keys: it is outside the resource's namespace "${tenant}"`),
    );
    assert.match(
      r.message,
      new RegExp(`namespace "${otherProject}" is not one of the operator's Secret source namespaces`),
    );
  });

  it("imports with a granted Secret of a source namespace", async () => {
    await importFrom("granted", { name: keyName, namespace: source });
    const r = await settled("granted");
    assert.equal(r.status, "True", `${r.reason}: ${r.message}`);
    assert.equal(r.reason, "Succeeded");
    const tags = await run("crane", ["ls", "--insecure", `${env.registries.anonymous.host}/site/granted`]);
    assert.deepEqual(tags.stdout.trim().split("\n"), ["1"]);
    const o = await admin.request<{ status?: { endpoints?: unknown } }>(
      `/apis/airlift.dev/v1alpha1/namespaces/${tenant}/imageimports/granted`,
    );
    assert.deepEqual(o.status?.endpoints, {
      registry: { value: env.registries.anonymous.host, origin: "from spec.destination.registry" },
      s3: { value: env.minio.endpoint, origin: "from spec.source.s3.endpoint" },
    });
  });

  it("pushes to the basic-auth TLS registry with Harbor's harbor-admin Secret as it is (key secret, literal user)", async () => {
    const tls = env.registries["basic-tls"];
    await importToHarbor("harbor-admin", {
      name: "harbor-admin",
      namespace: harborNs,
      passwordKey: "secret",
      username: tls.username ?? "",
    });
    const r = await settled("harbor-admin");
    assert.equal(r.status, "True", `${r.reason}: ${r.message}`);
    const dockerDir = mkdtempSync(join(tmpdir(), "airlift-site-docker-"));
    writeFileSync(
      join(dockerDir, "config.json"),
      JSON.stringify({
        auths: { [tls.host]: { auth: Buffer.from(`${tls.username}:${tls.password}`).toString("base64") } },
      }),
    );
    const tags = await run("crane", ["ls", `${tls.host}/site/harbor-admin`], {
      env: { DOCKER_CONFIG: dockerDir, SSL_CERT_FILE: tls.caFile ?? "" },
    });
    assert.deepEqual(tags.stdout.trim().split("\n"), ["1"]);
  });

  it("names the missing key of a site-shaped Secret, and the API server refuses both username and usernameKey", async () => {
    await importToHarbor("wrong-key", {
      name: "harbor-admin",
      namespace: harborNs,
      passwordKey: "password",
      username: "admin",
    });
    const r = await settled("wrong-key");
    assert.equal(r.reason, "InvalidCredentialsSecret", r.message);
    assert.match(r.message, new RegExp(`Secret ${harborNs}/harbor-admin: it needs key "password" \\(keys: secret\\)`));
    await assert.rejects(
      importToHarbor("both-users", {
        name: "harbor-admin",
        namespace: harborNs,
        passwordKey: "secret",
        username: "admin",
        usernameKey: "user",
      }),
      /username and credentialsSecretRef\.usernameKey are exclusive/,
    );
  });

  it("never writes the keys into logs, status or events", async () => {
    const statuses = JSON.stringify(
      await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${tenant}/imageimports`),
    );
    const events = JSON.stringify(await admin.request(`/apis/events.k8s.io/v1/namespaces/${tenant}/events`));
    assert.ok(operator.logs.length > 1000, "the operator logged at debug level");
    assert.match(events, /CrossNamespaceRefNotAllowed/, "the refusals were recorded as Events");
    const password = env.registries["basic-tls"].password ?? "";
    for (const value of [
      env.minio.secretAccessKey,
      Buffer.from(env.minio.secretAccessKey).toString("base64"),
      password,
      Buffer.from(password).toString("base64"),
    ]) {
      assert.ok(value.length >= 8);
      assert.ok(!operator.logs.includes(value), "a key is in the operator's logs");
      assert.ok(!statuses.includes(value), "a key is in a status");
      assert.ok(!events.includes(value), "a key is in an Event");
    }
  });
});

describe("grant settings in the chart and deploy/", () => {
  it("reach the operator's settings as the operator parses them", async () => {
    const { helm } = cli(env.kube.kubeconfigPath);
    const render = async (set: string[]): Promise<Record<string, string>> =>
      envOf(
        parseDocs(
          (await helm(["template", "t", join(repoRoot, "charts/airlift"), ...set.flatMap((s) => ["--set", s])])).stdout,
        ),
      );
    const gdc = await render(["siteProfile=gdc"]);
    assert.deepEqual(parseOperatorConfig([], gdc).secretSourceNamespaces, [
      "object-storage-access-keys",
      "harbor-system",
    ]);
    const listed = await render(["siteProfile=gdc", "secretSourceNamespaces={keys,harbor}"]);
    assert.equal(listed.AIRLIFT_SECRET_SOURCE_NAMESPACES, "keys,harbor");
    assert.deepEqual(parseOperatorConfig([], listed).secretSourceNamespaces, ["keys", "harbor"]);
    const plain = await render([]);
    assert.deepEqual(parseOperatorConfig([], plain).secretSourceNamespaces, []);
    assert.equal(plain.AIRLIFT_ALLOW_CROSS_NAMESPACE_SECRETS, "false");
    const refused = await helm(["template", "t", join(repoRoot, "charts/airlift"), "--set", "siteProfile=aws"], true);
    assert.match(refused.stderr, /siteProfile/);
    const deployed = envOf(deployDocs());
    assert.deepEqual(parseOperatorConfig([], deployed).secretSourceNamespaces, []);
    assert.equal(deployed.AIRLIFT_SITE_PROFILE, "none");
  });
});
