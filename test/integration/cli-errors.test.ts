// Every mistake a user can make on the command line gets one line saying what to fix (usage mistakes a second line
// pointing at the command's help, never the whole help) and the exit code the help documents; input is checked
// before any network I/O (a listener counts connections to prove it). Real command, real API server.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { freePort, repoRoot, testEnv, type EnvironmentConnection } from "../env/index.ts";
import {
  adminUser,
  airlift,
  context,
  homeWithKubeconfig,
  lines,
  testCluster,
  writeKubeconfig,
  type CliRun,
} from "./cli-support.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-cli-errors-"));
const archive = join(scratch, "app.tar");
let env: EnvironmentConnection;
let listener: Server;
let listenerHost: string;
let connections = 0;
const S3_ENV = (): NodeJS.ProcessEnv => ({
  AWS_ACCESS_KEY_ID: "key",
  AWS_SECRET_ACCESS_KEY: "secret",
  AWS_ENDPOINT_URL_S3: `http://${listenerHost}`,
  DOCKER_CONFIG: scratch,
});

before(async () => {
  env = await testEnv();
  writeFileSync(archive, "not really an archive");
  // Stands in for a registry and an S3 endpoint: input errors must be found before anything connects here.
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  const port = await freePort();
  await new Promise<void>((r) => listener.listen(port, "127.0.0.1", r));
  listenerHost = `127.0.0.1:${port}`;
});

after(() => new Promise<void>((r) => listener.close(() => r())));

/** A usage error: exactly the message line and the pointer to `airlift <cmd> --help`. */
function assertUsage(res: CliRun, command: string, message: RegExp): void {
  assert.equal(res.code, 2, res.stderr);
  const [first, second, ...rest] = lines(res.stderr);
  assert.match(first ?? "", new RegExp(`^${command}: `));
  assert.match(first ?? "", message);
  assert.equal(second, `see \`${command} --help\``);
  assert.deepEqual(rest, []);
  assert.equal(res.stdout, "");
}

/** Any other failure: exactly one line, and the exit code. */
function assertFailure(res: CliRun, code: number, command: string, message: RegExp): void {
  assert.equal(res.code, code, res.stderr);
  assert.equal(lines(res.stderr).length, 1, res.stderr);
  assert.match(res.stderr, new RegExp(`^${command}: `));
  assert.match(res.stderr, message);
}

describe("airlift: usage mistakes", () => {
  it("suggests the command or flag meant, in one line, exit 2", () => {
    assertUsage(airlift(["statsu"], {}), "airlift", /unknown command 'statsu' \(did you mean status\?\)/);
    assertUsage(
      airlift(["pull", "--progres", "plain", "r/x:1", "out"], {}),
      "airlift pull",
      /unknown option '--progres' \(did you mean --progress\?\)/,
    );
    assertUsage(
      airlift(["status", "--namespac", "x"], {}),
      "airlift status",
      /unknown option '--namespac' \(did you mean --namespace\?\)/,
    );
    assertUsage(airlift(["import"], {}), "airlift import", /missing required argument 'archive'/);
    assertUsage(airlift(["pull", "a/b:1", "out", "extra"], {}), "airlift pull", /too many arguments/);
  });

  it("refuses bad flag values", () => {
    assertUsage(
      airlift(["import", archive, "reg.example.com/a:1", "--progress", "fancy"], {}),
      "airlift import",
      /'--progress <mode>' argument 'fancy' is invalid\. Allowed choices are auto, bar, plain, none/,
    );
    assertUsage(
      airlift(["status", "--timeout", "5"], {}),
      "airlift status",
      /'--timeout <duration>' argument '5' is invalid\. Use a duration like 500ms, 15s or 2m/,
    );
    assertUsage(airlift(["status", "--poll", "0s"], {}), "airlift status", /--poll must be at least 1s/);
    assertUsage(airlift(["status", "-n", "a", "-A"], {}), "airlift status", /either -n NAMESPACE or -A/);
    assertUsage(
      airlift(["import", archive, "reg.example.com/a:1", "--concurrency", "0"], {}),
      "airlift import",
      /'--concurrency <n>' argument '0' is invalid\. Use a positive integer/,
    );
    assertUsage(
      airlift(["operator", "--workers", "many"], {}),
      "airlift operator",
      /--workers must be a positive integer, got "many"/,
    );
    assertUsage(
      airlift(["pull", "reg.example.com/a:1", "out", "--platform", "amd64"], {}),
      "airlift pull",
      /--platform takes OS\/ARCH/,
    );
  });
});

describe("airlift import / pull: input checked before any network I/O", () => {
  it("says what is wrong with a bad reference", () => {
    assertUsage(
      airlift(["pull", "harbor..example.com/x:", join(scratch, "out"), "--plain-http"], {}),
      "airlift pull",
      /invalid reference "harbor\.\.example\.com\/x:": the tag after ":" is empty .*; the registry host "harbor\.\.example\.com" has an empty label/,
    );
    assertUsage(
      airlift(["import", archive, `${listenerHost}/Apps/web:1`, "--plain-http"], S3_ENV()),
      "airlift import",
      /invalid destination ".*\/Apps\/web:1": the repository "Apps\/web" must be lowercase/,
    );
    assertUsage(
      airlift(["pull", `${listenerHost}/apps/web@sha256:abc`, join(scratch, "out"), "--plain-http"], {}),
      "airlift pull",
      /the digest after "@" must be sha256: and 64 lowercase hex digits/,
    );
    assert.equal(existsSync(join(scratch, "out")), false);
    assert.equal(connections, 0);
  });

  it("refuses s3:// without a key or prefix, and a bad bucket name, before connecting", () => {
    assertUsage(
      airlift(["import", "s3://bucket/", `${listenerHost}/apps/web:1`, "--plain-http"], S3_ENV()),
      "airlift import",
      /an s3:\/\/ folder is a drop-box .*--repository-prefix or --repository-template; or name one archive object after the bucket/,
    );
    assertUsage(
      airlift(["pull", `${listenerHost}/apps/web:1`, "s3://bucket", "--plain-http"], S3_ENV()),
      "airlift pull",
      /invalid S3 URL "s3:\/\/bucket": name a prefix after the bucket/,
    );
    assertUsage(
      airlift(["import", "s3://Bad_Bucket/app.tar", `${listenerHost}/apps/web:1`], S3_ENV()),
      "airlift import",
      /bucket name "Bad_Bucket" must be 3-63 characters/,
    );
    assertUsage(
      airlift(["import", "s3://bucket/app.tar", `${listenerHost}/apps/web:1`], { DOCKER_CONFIG: scratch }),
      "airlift import",
      /needs --s3-endpoint URL/,
    );
    assert.equal(connections, 0);
  });

  it("exits 3 with one line for a missing local archive (not 1 with ENOENT)", () => {
    const res = airlift(
      ["import", join(scratch, "missing.tar"), `${listenerHost}/apps/web:1`, "--plain-http"],
      S3_ENV(),
    );
    assertFailure(
      res,
      3,
      "airlift import",
      /archive .*missing\.tar does not exist: give the path of a docker save \/ OCI archive, or s3:\/\/bucket\/key/,
    );
    assert.doesNotMatch(res.stderr, /ENOENT|TransferFailed/);
    assertFailure(
      airlift(["import", scratch, `${listenerHost}/apps/web:1`], S3_ENV()),
      3,
      "airlift import",
      /is not a file/,
    );
    assert.equal(connections, 0);
  });

  it("refuses unusable registry flags", () => {
    assertUsage(
      airlift(["import", archive, `${listenerHost}/apps/web:1`, "--ca-file", join(scratch, "no-ca.pem")], S3_ENV()),
      "airlift import",
      /cannot read --ca-file .*no-ca\.pem: ENOENT/,
    );
    assertUsage(
      airlift(["import", archive, `${listenerHost}/apps/web:1`, "--ca-file", archive], S3_ENV()),
      "airlift import",
      /holds no PEM certificate/,
    );
    assertUsage(
      airlift(["pull", `${listenerHost}/apps/web:1`, join(scratch, "o"), "--username", "u"], S3_ENV()),
      "airlift pull",
      /--username needs --password-stdin/,
    );
    assert.equal(connections, 0);
  });
});

describe("airlift status: connection problems in one line", () => {
  it("says how to give a kubeconfig when there is none (not the in-cluster CA path)", () => {
    const res = airlift(["status"], { HOME: join(scratch, "no-home") });
    assertFailure(
      res,
      1,
      "airlift status",
      /no Kubernetes configuration found \(.*no-home\/\.kube\/config\): create ~\/\.kube\/config, set KUBECONFIG, pass --kubeconfig, or run in a cluster/,
    );
    assert.doesNotMatch(res.stderr, /serviceaccount/);
  });

  it("names the missing context and the ones there are", () => {
    const home = homeWithKubeconfig(env, join(scratch, "home"), "default");
    assertFailure(
      airlift(["status", "--context", "prod"], { HOME: home }),
      1,
      "airlift status",
      /context "prod" is not in the kubeconfig \(.*\.kube\/config; contexts: home-ctx\)/,
    );
    assertFailure(
      airlift(["status", "--kubeconfig", join(scratch, "nope.yaml")], { HOME: home }),
      1,
      "airlift status",
      /cannot read kubeconfig .*nope\.yaml: no such file/,
    );
  });

  it("tells an unreachable server from refused credentials", () => {
    const down = writeKubeconfig(join(scratch, "down.yaml"), {
      clusters: [{ name: "c", cluster: { server: `https://${listenerHost}` } }],
      users: [adminUser(env, "u")],
      contexts: [context("down", "c", "u")],
      currentContext: "down",
    });
    listener.close();
    assertFailure(
      airlift(["status", "--kubeconfig", down], {}),
      1,
      "airlift status",
      /cannot reach the API server at https:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\): check the cluster's server in the kubeconfig/,
    );
    const badToken = writeKubeconfig(join(scratch, "bad-token.yaml"), {
      clusters: [testCluster(env, "c")],
      users: [{ name: "u", user: { token: "wrong" } }],
      contexts: [context("bad", "c", "u")],
      currentContext: "bad",
    });
    assertFailure(
      airlift(["status", "--kubeconfig", badToken], {}),
      1,
      "airlift status",
      /the API server refused the credentials of context "bad" \(401\): renew the token or certificate in the kubeconfig/,
    );
  });
});

describe("bin/airlift.mjs on an older Node", () => {
  const oldNode = "/usr/bin/node";
  const version = existsSync(oldNode) ? spawnSync(oldNode, ["--version"], { encoding: "utf8" }).stdout.trim() : "";
  const major = Number(version.replace(/^v/, "").split(".")[0]);
  it(
    "says in one line that Node 24 is needed, exit 1, no stack",
    { skip: !(major > 0 && major < 24) && `no Node older than 24 at ${oldNode} (${version || "none"})` },
    () => {
      const res = airlift(["status"], {}, { node: oldNode, entry: join(repoRoot, "bin/airlift.mjs") });
      assert.equal(res.code, 1);
      assert.equal(res.stderr, `airlift needs Node.js 24 or newer; this is ${version}\n`);
      assert.equal(res.stdout, "");
    },
  );
});
