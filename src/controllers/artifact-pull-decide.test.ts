import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ArtifactPullStatus } from "../api/artifact-pull.ts";
import { ExtractionRefusedError } from "../archive/errors.ts";
import { NoMatchingTagError } from "../harbor/tag-policy.ts";
import { StallingError, WaitingError } from "../kube/errors.ts";
import { classifyFailure } from "../kube/reconcile-steps.ts";
import { TlsError } from "../oci/errors.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import {
  MAX_STATUS_FILES,
  alreadyPulled,
  nextCheckMs,
  pullFailureMessage,
  pulledStatus,
  pulledSummary,
  revisionOf,
  tagSourceNote,
} from "./artifact-pull-decide.ts";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const ready = (status: "True" | "False"): ArtifactPullStatus["conditions"] => [
  {
    type: "Ready",
    status,
    reason: status === "True" ? "Succeeded" : "NoMatchingTag",
    message: "",
    lastTransitionTime: "2026-01-01T00:00:00Z",
  },
];

describe("alreadyPulled", () => {
  const cases: { name: string; status: ArtifactPullStatus | undefined; gen: number; digest: string; want: boolean }[] =
    [
      { name: "no status yet", status: undefined, gen: 1, digest: D1, want: false },
      {
        name: "same digest, same generation, Ready",
        status: { resolvedDigest: D1, observedGeneration: 1, conditions: ready("True") },
        gen: 1,
        digest: D1,
        want: true,
      },
      {
        name: "a newer digest",
        status: { resolvedDigest: D1, observedGeneration: 1, conditions: ready("True") },
        gen: 1,
        digest: D2,
        want: false,
      },
      {
        name: "the spec changed",
        status: { resolvedDigest: D1, observedGeneration: 1, conditions: ready("True") },
        gen: 2,
        digest: D1,
        want: false,
      },
      {
        name: "the last attempt failed",
        status: { resolvedDigest: D1, observedGeneration: 1, conditions: ready("False") },
        gen: 1,
        digest: D1,
        want: false,
      },
      { name: "no conditions", status: { resolvedDigest: D1, observedGeneration: 1 }, gen: 1, digest: D1, want: false },
    ];
  for (const c of cases) it(c.name, () => assert.equal(alreadyPulled(c.status, c.gen, c.digest), c.want));
});

describe("revisionOf and nextCheckMs", () => {
  it("writes tag@digest, or the digest alone for a pin", () => {
    assert.equal(revisionOf({ tag: "1.2.0", digest: D1 }), `1.2.0@${D1}`);
    assert.equal(revisionOf({ digest: D1 }), D1);
  });
  it("says when the tag came from image configs, bounded", () => {
    assert.match(tagSourceNote({ tagSource: "ImageConfig" }, 50), /at most 50 tags/);
    assert.equal(tagSourceNote({ tagSource: "HarborAPI" }, 50), "");
  });
  it("never polls a digest pin; polls tags and policies every interval", () => {
    assert.equal(
      nextCheckMs(
        { source: { project: "p", repository: "r", digest: D1, excludeSignatures: true, platform: "linux/amd64" } },
        60_000,
      ),
      undefined,
    );
    assert.equal(
      nextCheckMs(
        { source: { project: "p", repository: "r", tag: "v1", excludeSignatures: true, platform: "linux/amd64" } },
        60_000,
      ),
      60_000,
    );
  });
});

describe("a failed pull: reason, retry and message", () => {
  const cases: { name: string; err: unknown; reason: string; transient: boolean; hint?: RegExp }[] = [
    {
      name: "unknown CA",
      err: new TlsError("x509: unknown authority"),
      reason: "UntrustedCertificate",
      transient: false,
      hint: /caBundleSecretRef/,
    },
    {
      name: "no matching tag",
      err: new NoMatchingTagError(3, { "signature-tag": 1 }, "newestPushed"),
      reason: "NoMatchingTag",
      transient: false,
    },
    {
      name: "hostile layer",
      err: new ExtractionRefusedError("PathTraversal", "escapes the root", "../x"),
      reason: "ExtractionRefused",
      transient: false,
    },
    {
      name: "a stalling error keeps its reason",
      err: new StallingError("InvalidSpec", "bad"),
      reason: "InvalidSpec",
      transient: false,
    },
    {
      name: "a waiting error is transient",
      err: new WaitingError("SecretNotFound", "later", 1000),
      reason: "SecretNotFound",
      transient: true,
    },
    { name: "anything else is retried", err: new Error("socket hang up"), reason: "TransferFailed", transient: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const f = classifyFailure(c.err, classifyTransferError);
      assert.equal(f.reason, c.reason);
      assert.equal(f.transient, c.transient);
      const message = pullFailureMessage(f, "apps/demo");
      assert.match(message, /^failed to pull apps\/demo: /);
      if (c.hint) assert.match(message, c.hint);
    });
  }
});

describe("pulledStatus", () => {
  it("records the inputs, lists at most 100 regular files and counts them all", () => {
    const files = Array.from({ length: 150 }, (_, i) => ({ path: `f${i}`, size: i, type: "file" }));
    files.push({ path: "link", size: 0, type: "symlink" });
    const s = pulledStatus(
      { tag: "v1", digest: D1, pushTime: "2026-01-01T00:00:00Z", tagSource: "HarborAPI" },
      files,
      "2026-01-02T00:00:00Z",
    );
    assert.equal(s.files?.length, MAX_STATUS_FILES);
    assert.equal(s.fileCount, 150);
    assert.deepEqual(s.artifact, { revision: `v1@${D1}` });
    assert.equal(s.resolvedDigest, D1);
    assert.equal(s.tagSource, "HarborAPI");
    assert.equal(s.lastPulled, "2026-01-02T00:00:00Z");
  });
});

describe("pulledSummary", () => {
  const resolved = { tag: "v1", digest: D1, tagSource: "HarborAPI" as const };
  const files = [{ path: "a", size: 1, type: "file" }];
  it("is Ready/Succeeded with what was pulled", () => {
    const s = pulledSummary({
      resolved,
      files,
      destination: "s3://b/p",
      extract: true,
      insecure: false,
      now: "2026-01-02T00:00:00Z",
    });
    assert.equal(s.verdict.kind, "ready");
    assert.equal(s.verdict.kind === "ready" ? s.verdict.reason : "", "Succeeded");
    assert.equal(s.verdict.message, `pulled v1@${D1} to s3://b/p, 1 files extracted`);
    assert.equal(s.fields?.resolvedDigest, D1);
  });
  it("says so, with its own reason, when TLS verification was off", () => {
    const s = pulledSummary({
      resolved,
      files,
      destination: "s3://b/p",
      extract: false,
      insecure: true,
      now: "2026-01-02T00:00:00Z",
    });
    assert.equal(s.verdict.kind === "ready" ? s.verdict.reason : "", "TLSVerificationDisabled");
    assert.match(s.verdict.message, /TLS verification disabled/);
  });
});
