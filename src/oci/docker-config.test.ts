import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  credentialFromHelper,
  credentialSourceFor,
  dockerConfigCredentials,
  dockerConfigOf,
  parseDockerConfig,
} from "./docker-config.ts";

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
    assert.deepEqual(creds.get("acr.example"), {
      kind: "refreshToken",
      refreshToken: "refresh-me",
      username: "00000000-0000-0000-0000-000000000000",
    });
    assert.deepEqual(creds.get("gcr.example"), { kind: "registryToken", token: "bearer-me" });
    assert.equal(creds.has("empty.example"), false);
  });

  it("maps Docker Hub's legacy key to docker.io", () => {
    const find = dockerConfigCredentials(
      JSON.stringify({ auths: { "https://index.docker.io/v1/": { auth: b64("me:pw") } } }),
    );
    assert.deepEqual(find("docker.io"), { kind: "basic", username: "me", password: "pw" });
    assert.deepEqual(find("registry-1.docker.io"), { kind: "basic", username: "me", password: "pw" });
    assert.equal(find("quay.io"), undefined);
  });

  it("refuses malformed documents without echoing their content", () => {
    for (const bad of ['{"auths": {"h": {"auth": "c2VjcmV0"}}}', "not json secret", '{"auths": 3}']) {
      assert.throws(
        () => parseDockerConfig(bad),
        (err: unknown) =>
          (err as { code?: string }).code === "DOCKER_CONFIG_INVALID" && !(err as Error).message.includes("secret"),
      );
    }
  });

  it("looks a host up as Docker does: credHelpers, then a credential in auths, then credsStore", () => {
    const config = JSON.stringify({
      credsStore: "desktop",
      credHelpers: { "harbor.site.example": "gdcloud", "https://gcr.example/v1/": "gcr" },
      auths: {
        "harbor.site.example": { auth: b64("me:pw") },
        "plain.example": { auth: b64("me:pw") },
        "stored.example": {},
      },
    });
    assert.deepEqual(credentialSourceFor(config, "harbor.site.example"), {
      kind: "helper",
      helper: "gdcloud",
      serverUrl: "harbor.site.example",
    });
    assert.deepEqual(credentialSourceFor(config, "gcr.example"), {
      kind: "helper",
      helper: "gcr",
      serverUrl: "gcr.example",
    });
    assert.deepEqual(credentialSourceFor(config, "plain.example"), {
      kind: "auths",
      credential: { kind: "basic", username: "me", password: "pw" },
    });
    // `docker login` beside a credsStore leaves an empty entry: the store answers for it.
    assert.deepEqual(credentialSourceFor(config, "stored.example"), {
      kind: "helper",
      helper: "desktop",
      serverUrl: "stored.example",
    });
    assert.deepEqual(credentialSourceFor(config, "docker.io"), {
      kind: "helper",
      helper: "desktop",
      serverUrl: "https://index.docker.io/v1/",
    });
    const noStore = JSON.stringify({ auths: { "plain.example": { auth: b64("me:pw") } } });
    assert.deepEqual(credentialSourceFor(noStore, "other.example"), { kind: "anonymous" });
    assert.deepEqual(credentialSourceFor("{}", "other.example"), { kind: "anonymous" });
  });

  it("refuses a helper name that is a path or not a string", () => {
    for (const bad of [
      { credsStore: "../../bin/sh" },
      { credsStore: 3 },
      { credHelpers: { h: "a b" } },
      { credHelpers: "gdcloud" },
    ]) {
      assert.throws(() => credentialSourceFor(JSON.stringify(bad), "h"), { code: "DOCKER_CONFIG_INVALID" });
    }
  });

  it("reads a helper's answer: basic, an identity token for Username <token>, none for an empty Secret", () => {
    assert.deepEqual(credentialFromHelper('{"ServerURL":"h","Username":"u","Secret":"s3cret"}'), {
      kind: "basic",
      username: "u",
      password: "s3cret",
    });
    assert.deepEqual(credentialFromHelper('{"ServerURL":"h","Username":"<token>","Secret":"refresh"}'), {
      kind: "refreshToken",
      refreshToken: "refresh",
    });
    assert.equal(credentialFromHelper('{"ServerURL":"h","Username":"u","Secret":""}'), undefined);
    for (const bad of ["s3cret", '{"Username":"u","Secret":7}', "[]"]) {
      assert.throws(
        () => credentialFromHelper(bad),
        (err: unknown) =>
          (err as { code?: string }).code === "HELPER_ANSWER_INVALID" && !(err as Error).message.includes("s3cret"),
      );
    }
  });

  it("carries a helper's credential as a Docker config the provider reads back", () => {
    for (const credential of [
      { kind: "basic", username: "u", password: "p" },
      { kind: "refreshToken", refreshToken: "r" },
    ] as const) {
      assert.deepEqual(
        dockerConfigCredentials(dockerConfigOf("harbor.site.example", credential))("harbor.site.example"),
        credential,
      );
    }
  });
});
