import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SourceVerification } from "../transfer/verify-source.ts";
import { refusedConditions, verifiedConditions } from "./verify-source.ts";

const VERIFY = { provider: "cosign" as const, publicKeysSecretRef: { name: "cosign-keys" } };
const V: SourceVerification = {
  digest: "sha256:aa",
  keyFingerprint: "sha256:kk",
  keyKind: "ec-p256",
  signatureDigest: "sha256:ss",
  format: "bundle",
  where: "r.example/app",
};

describe("SourceVerified", () => {
  it("names the key's fingerprint and the signature's digest when verified", () => {
    const c = verifiedConditions(VERIFY, [V, undefined], 3);
    assert.equal(c.set?.length, 1);
    assert.equal(c.set?.[0]?.status, "True");
    assert.equal(c.set?.[0]?.reason, "SignatureVerified");
    assert.equal(c.set?.[0]?.observedGeneration, 3);
    assert.match(
      c.set?.[0]?.message ?? "",
      /r\.example\/app@sha256:aa verified by key sha256:kk \(ec-p256\), bundle signature sha256:ss/,
    );
  });

  it("is removed without spec.verify, and left alone when nothing was verified this time", () => {
    assert.deepEqual(verifiedConditions(undefined, [V], 1), { remove: ["SourceVerified"] });
    assert.deepEqual(verifiedConditions(VERIFY, [undefined], 1), {});
  });

  it("is False with the refusal's reason only for signature refusals", () => {
    for (const reason of ["SignatureMissing", "SignatureKeyUnknown", "SignatureInvalid"] as const) {
      const c = refusedConditions({ reason, transient: false, message: "why" }, 2);
      assert.equal(c?.set?.[0]?.status, "False");
      assert.equal(c?.set?.[0]?.reason, reason);
    }
    assert.equal(refusedConditions({ reason: "RegistryUnavailable", transient: true, message: "503" }, 2), undefined);
  });
});
