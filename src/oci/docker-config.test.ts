import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dockerConfigCredentials, parseDockerConfig } from "./docker-config.ts";

const b64 = (s: string): string => Buffer.from(s).toString("base64");

describe("docker config credentials", () => {
  it("reads auth, username/password, identitytoken and registrytoken", () => {
    const creds = parseDockerConfig(
      JSON.stringify({
        auths: {
          "harbor.example.com": { auth: b64("robot$ci:pa:ss") },
          "https://other.example:5000/v1/": { username: "u", password: "p" },
          "acr.example": { auth: b64("00000000-0000-0000-0000-000000000000:"), identitytoken: "refresh-me" },
          "gcr.example": { registrytoken: "bearer-me" },
          "empty.example": {},
        },
      }),
    );
    assert.deepEqual(creds.get("harbor.example.com"), { kind: "basic", username: "robot$ci", password: "pa:ss" });
    assert.deepEqual(creds.get("other.example:5000"), { kind: "basic", username: "u", password: "p" });
    assert.deepEqual(creds.get("acr.example"), { kind: "refreshToken", refreshToken: "refresh-me", username: "00000000-0000-0000-0000-000000000000" });
    assert.deepEqual(creds.get("gcr.example"), { kind: "registryToken", token: "bearer-me" });
    assert.equal(creds.has("empty.example"), false);
  });

  it("maps Docker Hub's legacy key to docker.io", () => {
    const find = dockerConfigCredentials(JSON.stringify({ auths: { "https://index.docker.io/v1/": { auth: b64("me:pw") } } }));
    assert.deepEqual(find("docker.io"), { kind: "basic", username: "me", password: "pw" });
    assert.deepEqual(find("registry-1.docker.io"), { kind: "basic", username: "me", password: "pw" });
    assert.equal(find("quay.io"), undefined);
  });

  it("refuses malformed documents without echoing their content", () => {
    for (const bad of ['{"auths": {"h": {"auth": "c2VjcmV0"}}}', "not json secret", '{"auths": 3}']) {
      assert.throws(
        () => parseDockerConfig(bad),
        (err: unknown) => (err as { code?: string }).code === "DOCKER_CONFIG_INVALID" && !(err as Error).message.includes("secret"),
      );
    }
  });
});
