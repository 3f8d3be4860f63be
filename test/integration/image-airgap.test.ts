// The air-gapped install of docs/operators-guide.md with the image `npm run image` builds: its docker-archive put in
// MinIO, imported into the test registry with `airlift import` (the CLI, as before the operator runs), the registry's
// digest (crane) equal to what the import reported and its config equal to the built image's, and the chart
// rendered with that registry and digest and accepted by the API server (server-side dry run).
import assert from "node:assert/strict";
import { createReadStream, statSync } from "node:fs";
import { before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { airliftArgs, repoRoot, run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { parseDocs } from "./api-kube-support.ts";
import { cli, dryRunCount, operator, type Cli } from "./deploy-support.ts";
import { DOCKER_ARCHIVE, ensureImage, IMAGE_BUILD_TIMEOUT_MS, imageConfig } from "./image-support.ts";
import { unique } from "./ocisync-support.ts";

const bucket = unique("airgap");
const ns = unique("airgap");
let env: EnvironmentConnection;
let tools: Cli;
let repository = "";
let imported = "";

before(
  async () => {
    [env] = await Promise.all([testEnv(), ensureImage()]);
    tools = cli(env.kube.kubeconfigPath);
    repository = `${env.registries.anonymous.host}/${ns}/airlift`;
    const s3 = s3Client(env.minio);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "images/airlift.tar",
        Body: createReadStream(DOCKER_ARCHIVE),
        ContentLength: statSync(DOCKER_ARCHIVE).size,
      }),
    );
    s3.destroy();
    const [cmd, args] = airliftArgs([
      "import",
      `s3://${bucket}/images/airlift.tar`,
      `${repository}:dev`,
      "--s3-endpoint",
      env.minio.endpoint,
      "--plain-http",
      "--json",
      "--progress",
      "none",
    ]);
    const { stdout } = await run(cmd, args, {
      cwd: repoRoot,
      env: { AWS_ACCESS_KEY_ID: env.minio.accessKeyId, AWS_SECRET_ACCESS_KEY: env.minio.secretAccessKey },
    });
    imported = (JSON.parse(stdout) as { images: { digest: string }[] }).images[0]?.digest ?? "";
  },
  { timeout: IMAGE_BUILD_TIMEOUT_MS },
);

describe("the image across the gap", () => {
  it("`airlift import` from the bucket puts the built image in the registry: crane's digest is the import's", async () => {
    assert.match(imported, /^sha256:[0-9a-f]{64}$/);
    const { stdout } = await run("crane", ["digest", "--insecure", `${repository}:dev`]);
    assert.equal(stdout.trim(), imported);
    // The same image: its config (the image ID buildah gave it) is the one in the registry.
    const manifest = JSON.parse(
      (await run("crane", ["manifest", "--insecure", `${repository}@${imported}`])).stdout,
    ) as {
      config: { digest: string };
    };
    assert.equal(manifest.config.digest, `sha256:${(await imageConfig()).id}`);
  });

  it("the chart renders with that registry and digest and the API server accepts it (server-side dry run)", async () => {
    const { stdout } = await tools.helm([
      "template",
      "airlift",
      `${repoRoot}/charts/airlift`,
      "--namespace",
      ns,
      "--set",
      `image.repository=${repository}`,
      "--set",
      `image.digest=${imported}`,
    ]);
    const docs = parseDocs(stdout);
    assert.equal(operator(docs).image, `${repository}@${imported}`);
    await tools.kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
    );
    const applied = await tools.kubectl(["apply", "--dry-run=server", "-f", "-"], stdout);
    assert.equal(dryRunCount(applied.stdout), docs.length, applied.stdout);
  });
});
