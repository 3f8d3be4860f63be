import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { dockerConfigCredentials } from "../oci/docker-config.ts";
import { dockerConfigCredentialsFor, type HelperContext } from "./credential-helpers.ts";

// Real helper programs (shell scripts on a PATH of their own), run as the CLI runs them.
const bin = mkdtempSync(join(tmpdir(), "airlift-helpers-"));
function helper(name: string, body: string): void {
  const path = join(bin, `docker-credential-${name}`);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}
helper(
  "good",
  `[ "$1" = get ] || exit 9; cat > "${bin}/asked"; printf '{"ServerURL":"x","Username":"robot","Secret":"s3cret"}'`,
);
helper("token", `printf '{"ServerURL":"x","Username":"<token>","Secret":"refresh-s3cret"}'`);
helper("none", "echo 'credentials not found in native keychain'; exit 1");
helper("broken", "echo 'gdcloud: no active account' >&2; exit 3");
helper("leaky", `printf '{"Username":"u","Secret":"s3cret"}'; exit 1`);
helper("garbled", "printf 's3cret'");
helper("slow", "sleep 5");
helper("chatty", "head -c 200000 /dev/zero");

function ctx(warnings: string[] = []): HelperContext {
  return { env: { PATH: `${bin}:/usr/bin:/bin` }, warn: (l) => warnings.push(l), timeoutMs: 1_000, outputCap: 4096 };
}

const config = (store: string): string =>
  JSON.stringify({ credsStore: store, auths: { "plain.example": { username: "u", password: "p" } } });

describe("credential helpers run by the CLI", () => {
  it("asks the helper with the server URL on stdin and uses its answer", async () => {
    const creds = await dockerConfigCredentialsFor(
      JSON.stringify({ credHelpers: { "harbor.site.example": "good" } }),
      "harbor.site.example",
      ctx(),
    );
    assert.equal(readFileSync(join(bin, "asked"), "utf8"), "harbor.site.example");
    assert.equal(creds?.kind, "dockerConfig");
    assert.deepEqual(dockerConfigCredentials(creds.kind === "dockerConfig" ? creds.json : "")("harbor.site.example"), {
      kind: "basic",
      username: "robot",
      password: "s3cret",
    });
    const token = await dockerConfigCredentialsFor(config("token"), "harbor.site.example", ctx());
    assert.deepEqual(dockerConfigCredentials(token?.kind === "dockerConfig" ? token.json : "")("harbor.site.example"), {
      kind: "refreshToken",
      refreshToken: "refresh-s3cret",
    });
  });

  it("keeps the config's own auths for a host the helpers do not name", async () => {
    const json = config("broken");
    assert.deepEqual(await dockerConfigCredentialsFor(json, "plain.example", ctx()), { kind: "dockerConfig", json });
  });

  it("goes anonymous when the helper has none or is not installed (with a warning)", async () => {
    assert.equal(await dockerConfigCredentialsFor(config("none"), "harbor.site.example", ctx()), undefined);
    const warnings: string[] = [];
    assert.equal(await dockerConfigCredentialsFor(config("absent"), "harbor.site.example", ctx(warnings)), undefined);
    assert.deepEqual(warnings, [
      "docker-credential-absent is not on PATH: connecting to harbor.site.example anonymously",
    ]);
  });

  it("fails in one line on any other failure, never quoting a secret", async () => {
    const cases: [string, RegExp][] = [
      [
        "broken",
        /^credential helper docker-credential-broken failed for harbor\.site\.example \(exit 3\): gdcloud: no active account$/,
      ],
      [
        "leaky",
        /^credential helper docker-credential-leaky failed for harbor\.site\.example \(exit 1\): \(output withheld\)$/,
      ],
      [
        "garbled",
        /^credential helper docker-credential-garbled answered for harbor\.site\.example with something other than/,
      ],
      ["slow", /^credential helper docker-credential-slow did not answer within 1s$/],
      ["chatty", /^credential helper docker-credential-chatty wrote more than 4096 bytes$/],
    ];
    for (const [name, message] of cases) {
      await assert.rejects(
        dockerConfigCredentialsFor(config(name), "harbor.site.example", ctx()),
        (err: Error & { exitCode?: number }) => {
          assert.match(err.message, message);
          assert.doesNotMatch(err.message, /s3cret/);
          assert.equal(err.exitCode, 5);
          return true;
        },
      );
    }
  });
});
