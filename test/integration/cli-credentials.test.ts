// The CLI on a workstation whose Docker config names credential helpers (what `gdcloud auth configure-docker`
// writes): a real `docker-credential-airlifttest` program on PATH supplies the basic-auth TLS registry's password to
// real `airlift import` and `airlift pull` processes, through `credHelpers` and through `credsStore`; a helper with
// no credential leaves the registry's 401 to speak. And references without a registry host: refused in one line,
// or put under AIRLIFT_DEFAULT_REGISTRY / --default-registry, never docker.io.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, beforeEach, describe, it } from "node:test";
import { run, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { airlift, lines, type CliRun } from "./cli-support.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-cli-creds-"));
const bin = join(scratch, "bin");
const calls = join(scratch, "helper-calls");
let env: EnvironmentConnection;
let registry: string;
let archive: string;

// Answers as docker-credential-helpers do: JSON on success, "credentials not found in native keychain" and exit 1
// when it has none. It records every server URL it was asked about.
const HELPER = `#!/bin/sh
[ "$1" = get ] || { echo "unsupported: $1" >&2; exit 2; }
read -r server
echo "$server" >> "${calls}"
case "$AIRLIFTTEST_MODE" in
  notfound) echo "credentials not found in native keychain"; exit 1 ;;
  fail) echo "airlifttest: the keyring is locked" >&2; exit 4 ;;
esac
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\\n' "$server" "$AIRLIFTTEST_USERNAME" "$AIRLIFTTEST_SECRET"
`;

/** A Docker config folder holding `config`. */
function dockerConfig(name: string, config: unknown): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify(config), { mode: 0o600 });
  return dir;
}

/** `airlift args` with the helper on PATH, answering the registry's user and password (or as `mode` says). */
function cli(args: string[], docker: string, extra: NodeJS.ProcessEnv = {}): CliRun {
  const basic = env.registries["basic-tls"];
  const res = airlift(args, {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    HOME: scratch,
    DOCKER_CONFIG: docker,
    AIRLIFTTEST_USERNAME: basic.username,
    AIRLIFTTEST_SECRET: basic.password,
    ...extra,
  });
  assert.doesNotMatch(res.stdout + res.stderr, new RegExp(basic.password ?? "never"), "the password never shows");
  return res;
}

function helperCalls(): string[] {
  return existsSync(calls) ? lines(readFileSync(calls, "utf8")) : [];
}

before(async () => {
  env = await testEnv();
  registry = env.registries["basic-tls"].host;
  mkdirSync(bin);
  writeFileSync(join(bin, "docker-credential-airlifttest"), HELPER);
  chmodSync(join(bin, "docker-credential-airlifttest"), 0o755);
  const anonymous = env.registries.anonymous.host;
  const dir = mkdtempSync(join(scratch, "img-"));
  writeFileSync(join(dir, "hello.txt"), "hello from a helper\n");
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "hello.txt"]);
  await run("crane", ["append", "--insecure", "-f", join(dir, "l.tar"), "-t", `${anonymous}/clicreds/src:1`]);
  archive = join(scratch, "app.tar");
  await run("skopeo", [
    "copy",
    "--src-tls-verify=false",
    `docker://${anonymous}/clicreds/src:1`,
    `docker-archive:${archive}:app:1`,
  ]);
});

beforeEach(() => rmSync(calls, { force: true }));

describe("airlift import / pull with Docker credential helpers", () => {
  it("takes the registry password from credHelpers[host] for import and pull", () => {
    const docker = dockerConfig("cred-helpers", {
      credHelpers: { [registry]: "airlifttest" },
      auths: { [registry]: { auth: Buffer.from("airlift:wrong").toString("base64") } },
    });
    const imported = cli(
      [
        "import",
        archive,
        `${registry}/clicreds/helper:1`,
        "--ca-file",
        env.registries["basic-tls"].caFile ?? "",
        "--progress",
        "none",
        "--json",
      ],
      docker,
    );
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(JSON.parse(imported.stdout).images[0].references, [`${registry}/clicreds/helper:1`]);
    const out = join(scratch, "pulled-helper");
    const pulled = cli(
      [
        "pull",
        `${registry}/clicreds/helper:1`,
        out,
        "--ca-file",
        env.registries["basic-tls"].caFile ?? "",
        "--extract",
        "--progress",
        "none",
      ],
      docker,
    );
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(readFileSync(join(out, "extracted", "hello.txt"), "utf8"), "hello from a helper\n");
    assert.deepEqual(
      helperCalls(),
      [registry, registry],
      "the helper was asked once per command, with the host on stdin",
    );
  });

  it("takes it from credsStore when credHelpers does not name the host and auths holds only docker login's empty entry", () => {
    const docker = dockerConfig("creds-store", { credsStore: "airlifttest", auths: { [registry]: {} } });
    const imported = cli(
      [
        "import",
        archive,
        `${registry}/clicreds/store:1`,
        "--ca-file",
        env.registries["basic-tls"].caFile ?? "",
        "--progress",
        "none",
      ],
      docker,
    );
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, new RegExp(`pushed .* -> ${registry}/clicreds/store:1 sha256:`));
    assert.deepEqual(helperCalls(), [registry]);
  });

  it("goes anonymous when the helper has no credential, so the registry's 401 is the CLI's Unauthorized line", () => {
    const docker = dockerConfig("not-found", { credsStore: "airlifttest" });
    const res = cli(
      [
        "import",
        archive,
        `${registry}/clicreds/anon:1`,
        "--ca-file",
        env.registries["basic-tls"].caFile ?? "",
        "--progress",
        "none",
      ],
      docker,
      { AIRLIFTTEST_MODE: "notfound" },
    );
    assert.equal(res.code, 5, res.stderr);
    assert.equal(lines(res.stderr).length, 1, res.stderr);
    assert.match(res.stderr, /^airlift import: Unauthorized: /);
    assert.deepEqual(helperCalls(), [registry]);
  });

  it("reports any other helper failure in one line, before the registry is touched", () => {
    const docker = dockerConfig("failing", { credHelpers: { [registry]: "airlifttest" } });
    const res = cli(
      [
        "pull",
        `${registry}/clicreds/helper:1`,
        join(scratch, "never"),
        "--ca-file",
        env.registries["basic-tls"].caFile ?? "",
        "--progress",
        "none",
      ],
      docker,
      { AIRLIFTTEST_MODE: "fail" },
    );
    assert.equal(res.code, 5, res.stderr);
    assert.equal(
      res.stderr,
      `airlift pull: credential helper docker-credential-airlifttest failed for ${registry} (exit 4): airlifttest: the keyring is locked\n`,
    );
    assert.equal(existsSync(join(scratch, "never", "index.json")), false);
  });
});

describe("references without a registry host", () => {
  it("are refused in one line when no default registry is set, before anything is read or sent", () => {
    const docker = dockerConfig("hostless", { credHelpers: { [registry]: "airlifttest" } });
    const imported = cli(["import", archive, "library/app:1"], docker);
    assert.equal(imported.code, 2);
    assert.equal(
      imported.stderr,
      'airlift import: destination "library/app:1" has no registry host: write harbor.example.com/library/app:1, or set --default-registry / AIRLIFT_DEFAULT_REGISTRY\n',
    );
    const pulled = cli(["pull", "app:1", join(scratch, "never")], docker);
    assert.equal(pulled.code, 2);
    assert.equal(
      pulled.stderr,
      'airlift pull: reference "app:1" has no registry host: write harbor.example.com/app:1, or set --default-registry / AIRLIFT_DEFAULT_REGISTRY\n',
    );
    assert.deepEqual(helperCalls(), []);
  });

  it("go to AIRLIFT_DEFAULT_REGISTRY (or --default-registry), with that registry's credentials", () => {
    const docker = dockerConfig("hostless-default", { credHelpers: { [registry]: "airlifttest" } });
    const ca = env.registries["basic-tls"].caFile ?? "";
    const imported = cli(
      ["import", archive, "clicreds/hostless:1", "--ca-file", ca, "--progress", "none", "--json"],
      docker,
      { AIRLIFT_DEFAULT_REGISTRY: registry },
    );
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(JSON.parse(imported.stdout).images[0].references, [`${registry}/clicreds/hostless:1`]);
    const out = join(scratch, "pulled-hostless");
    const pulled = cli(
      [
        "pull",
        "clicreds/hostless:1",
        out,
        "--ca-file",
        ca,
        "--extract",
        "--progress",
        "none",
        "--default-registry",
        registry,
      ],
      docker,
    );
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, new RegExp(`^pulled ${registry}/clicreds/hostless:1 \\(sha256:`));
    assert.equal(readFileSync(join(out, "extracted", "hello.txt"), "utf8"), "hello from a helper\n");
    assert.deepEqual(helperCalls(), [registry, registry]);
    const bad = cli(["pull", "app:1", join(scratch, "never")], docker, {
      AIRLIFT_DEFAULT_REGISTRY: "harbor..example.com",
    });
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^airlift pull: invalid AIRLIFT_DEFAULT_REGISTRY: the registry host "harbor\.\.example\.com" has an empty label/,
    );
  });
});
