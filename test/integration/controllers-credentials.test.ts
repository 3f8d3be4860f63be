// Connection settings from real Secrets on the real API server: every Secret type users hand us, the GDC
// object-storage key layout, and the errors that say which key is missing without printing any value.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CoreV1Api, type V1Secret } from "@kubernetes/client-node";
import { caBundle, registryCredentials, registryHost, s3Connection } from "../../src/controllers/credentials.ts";
import { resolveDefaults } from "../../src/controllers/defaults.ts";
import { StallingError } from "../../src/kube/errors.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { SecretReader } from "../../src/kube/secrets.ts";
import { registryClientOptions, type RegistryCredentials } from "../../src/transfer/connection.ts";
import { clientNodeConfig } from "../env/client-node.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";

const ns = "creds-test";
const otherNs = "creds-other";
let reader: SecretReader;

/** What the engine's connection builder makes of the credentials for `registry`. */
function credentialFor(credentials: RegistryCredentials | undefined, registry: string): unknown {
  return credentials && registryClientOptions(registry, { credentials }).credentials?.(registry);
}

function secret(name: string, type: string, data: Record<string, string>, namespace = ns): V1Secret {
  return { metadata: { name, namespace }, type, stringData: data };
}

before(async () => {
  const env = await testEnv();
  const core = clientNodeConfig(env.kube.kubeconfigPath).makeApiClient(CoreV1Api);
  for (const name of [ns, otherNs]) await core.createNamespace({ body: { metadata: { name } } });
  const auth = Buffer.from("robot$ci:s3cr3t-value").toString("base64");
  const bodies = [
    secret("docker", "kubernetes.io/dockerconfigjson", {
      ".dockerconfigjson": JSON.stringify({ auths: { "harbor.test": { auth } } }),
    }),
    secret("basic", "kubernetes.io/basic-auth", { username: "admin", password: "hunter2-value" }),
    // The API server validates dockerconfigjson Secrets, so a broken one can only arrive as Opaque.
    secret("garbage", "Opaque", { ".dockerconfigjson": "{not json" }),
    secret("empty", "Opaque", { unrelated: "x" }),
    secret("object-storage-key-std-user-42", "Opaque", {
      "access-key-id": "AKIDVALUE",
      "secret-access-key": "SECRETVALUE",
    }),
    secret("ca", "Opaque", { "ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }),
    secret("elsewhere", "kubernetes.io/basic-auth", { username: "u", password: "p" }, otherNs),
  ];
  for (const body of bodies) await core.createNamespacedSecret({ namespace: body.metadata?.namespace ?? ns, body });
  reader = new SecretReader({
    client: new KubeClient(loadKubeConfig(env.kube.kubeconfigPath)),
    allowCrossNamespace: false,
  });
});

describe("connection settings from Secrets", () => {
  it("reads dockerconfigjson and basic-auth registry credentials", async () => {
    const docker = await registryCredentials(reader, ns, { name: "docker" });
    assert.deepEqual(credentialFor(docker, "harbor.test"), {
      kind: "basic",
      username: "robot$ci",
      password: "s3cr3t-value",
    });
    const basic = await registryCredentials(reader, ns, { name: "basic" });
    assert.deepEqual(basic, { kind: "basic", username: "admin", password: "hunter2-value" });
    assert.deepEqual(credentialFor(basic, "reg:5000"), { kind: "basic", username: "admin", password: "hunter2-value" });
    assert.equal(await registryCredentials(reader, ns, undefined), undefined);
  });

  it("explains an unusable Secret without printing its values", async () => {
    await assert.rejects(registryCredentials(reader, ns, { name: "garbage" }), (err: Error) => {
      assert.ok(err instanceof StallingError);
      assert.match(err.message, /does not parse/);
      return true;
    });
    await assert.rejects(
      registryCredentials(reader, ns, { name: "empty" }),
      /neither \.dockerconfigjson nor username\/password \(keys: unrelated\)/,
    );
    await assert.rejects(
      s3Connection({
        secrets: reader,
        namespace: ns,
        location: { bucket: "b", endpoint: "s3.test", credentialsSecretRef: { name: "basic" } },
        defaults: resolveDefaults({}),
      }),
      (err: Error) =>
        /needs keys "access-key-id" and "secret-access-key" \(keys: password, username\)/.test(err.message) &&
        !err.message.includes("hunter2"),
    );
  });

  it("builds an S3 connection from a GDC object-storage key Secret and the operator's dnsSuffix", async () => {
    const conn = await s3Connection({
      secrets: reader,
      namespace: ns,
      location: {
        bucket: "b",
        credentialsSecretRef: { name: "object-storage-key-std-user-42" },
        caBundleSecretRef: { name: "ca" },
      },
      defaults: resolveDefaults({ dnsSuffix: "zone1.gdch.test" }),
    });
    assert.equal(conn.endpoint, "https://objectstorage.zone1.gdch.test");
    assert.equal(conn.accessKeyId, "AKIDVALUE");
    assert.equal(conn.secretAccessKey, "SECRETVALUE");
    assert.equal(conn.forcePathStyle, true);
    assert.match(conn.caPem ?? "", /BEGIN CERTIFICATE/);
    assert.equal(await caBundle(reader, ns, undefined), undefined);
    assert.equal(registryHost(undefined, resolveDefaults({ dnsSuffix: "zone1.gdch.test" })), "harbor.zone1.gdch.test");
    assert.throws(() => registryHost(undefined, resolveDefaults({})), /no registry/);
  });

  it("refuses a Secret in another namespace unless the operator allows it", async () => {
    await assert.rejects(
      registryCredentials(reader, ns, { name: "elsewhere", namespace: otherNs }),
      /CrossNamespace|outside the resource's namespace/,
    );
    const env = await testEnv();
    const allowing = new SecretReader({
      client: new KubeClient(loadKubeConfig(env.kube.kubeconfigPath)),
      allowCrossNamespace: true,
    });
    const creds = await registryCredentials(allowing, ns, { name: "elsewhere", namespace: otherNs });
    assert.deepEqual(creds, { kind: "basic", username: "u", password: "p" });
  });
});
