import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { VerifyError } from "../verify/index.ts";
import { trustedKeys, VerifiedDigests, withLogKeys, type SourceVerification } from "./verify-source.ts";

function pem(): string {
  return generateKeyPairSync("ec", { namedCurve: "P-256" })
    .publicKey.export({ type: "spki", format: "pem" })
    .toString();
}

describe("trustedKeys", () => {
  it("takes every PEM block; the set's id does not depend on order", () => {
    const [a, b] = [pem(), pem()];
    const one = trustedKeys([{ origin: "x", pem: a + b }]);
    const two = trustedKeys([
      { origin: "y", pem: b },
      { origin: "z", pem: a },
    ]);
    assert.equal(one.keys.length, 2);
    assert.equal(one.id, two.id);
    assert.notEqual(one.id, trustedKeys([{ origin: "x", pem: a }]).id);
  });

  it("names the origin of material without a key", () => {
    assert.throws(
      () => trustedKeys([{ origin: "Secret ns/k key README", pem: "hello" }]),
      (err: unknown) => err instanceof VerifyError && err.code === "SignatureKeyUnknown" && /README/.test(err.message),
    );
  });
});

describe("withLogKeys", () => {
  it("carries the log keys and makes another set (another id, so a cached verification is not reused)", () => {
    const keys = trustedKeys([{ origin: "a", pem: pem() }]);
    const log = trustedKeys([{ origin: "rekor", pem: pem() }]);
    const both = withLogKeys(keys, log);
    assert.deepEqual(both.keys, keys.keys);
    assert.deepEqual(both.logKeys, log.keys);
    assert.notEqual(both.id, keys.id);
    assert.notEqual(both.id, withLogKeys(keys, trustedKeys([{ origin: "other", pem: pem() }])).id);
    assert.equal(withLogKeys(keys, undefined), keys);
  });
});

describe("VerifiedDigests", () => {
  it("verifies a digest once per key set, again for another key set, and never remembers a refusal", async () => {
    const cache = new VerifiedDigests();
    const keys = trustedKeys([{ origin: "a", pem: pem() }]);
    const other = trustedKeys([{ origin: "b", pem: pem() }]);
    let checks = 0;
    const v = { digest: "sha256:aa" } as SourceVerification;
    const check = (): Promise<SourceVerification> => {
      checks++;
      return Promise.resolve(v);
    };
    await cache.verify(keys, "sha256:aa", check);
    await cache.verify(keys, "sha256:aa", check);
    assert.equal(checks, 1);
    await cache.verify(other, "sha256:aa", check);
    assert.equal(checks, 2);
    const refuse = (): Promise<SourceVerification> => Promise.reject(new VerifyError("no", "SignatureMissing"));
    await assert.rejects(cache.verify(keys, "sha256:bb", refuse));
    await assert.rejects(cache.verify(keys, "sha256:bb", refuse));
  });
});
