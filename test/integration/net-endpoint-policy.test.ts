// The SSRF policy on real connections: registry, Harbor and S3 clients refuse loopback endpoints (and names that
// resolve to them) unless allowed, with a permanent error that says which allowance would let them through.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { isHarbor } from "../../src/harbor/client.ts";
import { EndpointPolicy } from "../../src/net/endpoint-policy.ts";
import { RegistryClient } from "../../src/oci/client.ts";
import { createS3Client } from "../../src/storage/s3-client.ts";
import { testEnv } from "../env/index.ts";

const strict = new EndpointPolicy();
const loopbackAllowed = new EndpointPolicy({ allowLoopback: true });

function refusedPermanently(err: unknown): boolean {
  const e = err as { message?: string; transient?: boolean; cause?: { code?: string } };
  assert.match(String(e.message), /loopback address.*--allow-loopback-endpoints/);
  assert.notEqual(e.transient, true);
  return true;
}

describe("endpoint policy", () => {
  it("the registry client refuses a loopback registry, by IP and by name, without retrying", async () => {
    const { registries } = await testEnv();
    const host = registries.anonymous.host;
    let attempts = 0;
    for (const registry of [host, host.replace("127.0.0.1", "localhost")]) {
      const client = new RegistryClient({
        registry,
        plainHttp: true,
        endpointPolicy: strict,
        onRetry: () => attempts++,
      });
      await assert.rejects(client.ping(), refusedPermanently);
      await client.close();
    }
    assert.equal(attempts, 0);
    const allowed = new RegistryClient({ registry: host, plainHttp: true, endpointPolicy: loopbackAllowed });
    await allowed.ping();
    await allowed.close();
  });

  it("the Harbor client refuses a loopback URL", async () => {
    const { registries } = await testEnv();
    await assert.rejects(
      isHarbor(registries.anonymous.url, { endpointPolicy: strict, retry: { maxAttempts: 1 } }),
      refusedPermanently,
    );
    assert.equal(await isHarbor(registries.anonymous.url, { endpointPolicy: loopbackAllowed }), false);
  });

  it("the S3 client refuses a loopback endpoint", async () => {
    const { minio } = await testEnv();
    assert.throws(() => createS3Client({ ...minio, endpointPolicy: strict }), refusedPermanently);
    assert.throws(
      () =>
        createS3Client({
          ...minio,
          endpoint: minio.endpoint.replace("127.0.0.1", "localhost"),
          endpointPolicy: strict,
        }),
      refusedPermanently,
    );
    const allowed = createS3Client({ ...minio, endpointPolicy: loopbackAllowed });
    await assert.rejects(
      allowed.send(new HeadBucketCommand({ Bucket: "no-such-bucket" })),
      (err: Error) => err.name === "NotFound",
    );
    allowed.destroy();
  });
});
