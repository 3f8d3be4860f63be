// The `airlift import` and `airlift pull` commands as a user runs them: a real child process, real registry and
// MinIO, exit codes that tell failure kinds apart, --json output on stdout and progress on stderr.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { repoRoot, run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { suiteLog } from "../env/suite-logs.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-cli-"));
let env: EnvironmentConnection;
let registry: string;

function airlift(args: string[]): { code: number; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [join(repoRoot, "src/cli/main.ts"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: env.minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.minio.secretAccessKey,
      AWS_ENDPOINT_URL_S3: env.minio.endpoint,
      DOCKER_CONFIG: scratch,
    },
    timeout: 120_000,
  });
  const log = suiteLog("cli");
  log.end(`$ airlift ${args.join(" ")}\n${res.stdout}${res.stderr}`);
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

before(async () => {
  env = await testEnv();
  registry = env.registries.anonymous.host;
  const dir = mkdtempSync(join(scratch, "img-"));
  writeFileSync(join(dir, "hello.txt"), "hello airlift\n");
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "hello.txt"]);
  await run("crane", ["append", "--insecure", "-f", join(dir, "l.tar"), "-t", `${registry}/cli/src:1`]);
  await run("skopeo", [
    "copy",
    "--src-tls-verify=false",
    `docker://${registry}/cli/src:1`,
    `docker-archive:${join(scratch, "app.tar")}:app:1`,
  ]);
  const s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: "cli" }));
  await s3.send(
    new PutObjectCommand({ Bucket: "cli", Key: "g/app.tar", Body: readFileSync(join(scratch, "app.tar")) }),
  );
  s3.destroy();
});

describe("airlift import / pull", () => {
  it("imports from S3 and from a file, printing JSON with --json", () => {
    const fromS3 = airlift([
      "import",
      "s3://cli/g/app.tar",
      `${registry}/cli/app:1`,
      "--plain-http",
      "--progress",
      "none",
      "--json",
    ]);
    assert.equal(fromS3.code, 0, fromS3.stderr);
    const result = JSON.parse(fromS3.stdout);
    assert.deepEqual(result.images[0].references, [`${registry}/cli/app:1`]);
    const fromFile = airlift([
      "import",
      join(scratch, "app.tar"),
      `${registry}/cli/app:2`,
      "--plain-http",
      "--progress",
      "plain",
    ]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stdout, /pushed (docker.io\/library\/)?app:1 -> .*cli\/app:2 sha256:/);
  });

  it("pulls into a folder with --extract, and into an S3 prefix", () => {
    const out = join(scratch, "pulled");
    const local = airlift(["pull", `${registry}/cli/app:1`, out, "--plain-http", "--extract"]);
    assert.equal(local.code, 0, local.stderr);
    assert.equal(readFileSync(join(out, "extracted", "hello.txt"), "utf8"), "hello airlift\n");
    assert.ok(existsSync(join(out, "index.json")) && existsSync(join(out, "oci-layout")));
    const remote = airlift([
      "pull",
      `${registry}/cli/app:1`,
      "s3://cli/pulled/app",
      "--plain-http",
      "--extract",
      "--json",
    ]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.deepEqual(
      JSON.parse(remote.stdout).files.map((f: { path: string }) => f.path),
      ["hello.txt"],
    );
  });

  it("shows progress on stderr for import and pull, keeping --json on stdout clean", () => {
    const imported = airlift([
      "import",
      join(scratch, "app.tar"),
      `${registry}/cli/progress:1`,
      "--plain-http",
      "--progress",
      "plain",
      "--json",
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).images.length, 1);
    assert.match(
      imported.stderr,
      /^progress: [\d.]+ (B|KiB|MiB) \/ [\d.]+ (B|KiB|MiB) {2}100% {2}blobs \d+\/\d+( {2}.*)?$/m,
    );
    assert.doesNotMatch(imported.stderr, /\r/);
    const pulled = airlift([
      "pull",
      `${registry}/cli/app:1`,
      join(scratch, "pulled-progress"),
      "--plain-http",
      "--extract",
      "--progress",
      "plain",
      "--json",
    ]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(JSON.parse(pulled.stdout).files.length, 1);
    assert.match(pulled.stderr, /^progress: .* {2}100% {2}blobs 3\/3( {2}.*)?$/m);
    // A bar (forced here; the default on a terminal) redraws in place and erases the rest of the previous line.
    const bar = airlift([
      "pull",
      `${registry}/cli/app:1`,
      join(scratch, "pulled-bar"),
      "--plain-http",
      "--progress",
      "bar",
    ]);
    assert.equal(bar.code, 0, bar.stderr);
    assert.match(bar.stderr, /^(\r\[[#-]{24}\] [^\r\n]*\x1b\[K)+\n$/);
    assert.match(bar.stderr, /100% {2}blobs 2\/2[^\r]*\x1b\[K\n$/);
    // Piped, the default is plain lines.
    assert.match(
      airlift(["pull", `${registry}/cli/app:1`, join(scratch, "pulled-auto"), "--plain-http"]).stderr,
      /^progress: /m,
    );
  });

  it("tells failure kinds apart by exit code", () => {
    assert.equal(airlift(["import"]).code, 2);
    assert.equal(airlift(["import", "s3://cli/g/missing.tar", `${registry}/cli/x:1`, "--plain-http"]).code, 3);
    writeFileSync(join(scratch, "junk.tar"), "not a tar archive ".repeat(100));
    assert.equal(airlift(["import", join(scratch, "junk.tar"), `${registry}/cli/x:1`, "--plain-http"]).code, 4);
    assert.equal(airlift(["pull", `${registry}/cli/nope:1`, join(scratch, "nope"), "--plain-http"]).code, 3);
    assert.equal(
      airlift(["import", join(scratch, "app.tar"), `${env.registries["basic-tls"].host}/cli/x:1`, "--insecure"]).code,
      5,
    );
    assert.equal(airlift(["import", join(scratch, "app.tar"), "127.0.0.1:1/cli/x:1", "--plain-http"]).code, 7);
  });
});
