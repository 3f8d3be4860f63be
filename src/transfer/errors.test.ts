import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BlobMismatchError, ExtractionRefusedError, InvalidArchiveError } from "../archive/errors.ts";
import { HarborNotFoundError, HarborServerError, HarborTlsError, HarborUnauthorizedError } from "../harbor/errors.ts";
import { NoMatchingTagError } from "../harbor/tag-policy.ts";
import { EndpointRefusedError } from "../net/endpoint-policy.ts";
import { ContentMismatchError, InvalidDigestError, InvalidManifestError } from "../ocispec/errors.ts";
import { AuthError, InvalidInputError, NotFoundError, RegistryError, TlsError, TransportError } from "../oci/errors.ts";
import {
  AccessDeniedError,
  SourceChangedError,
  SourceNotFoundError,
  StorageTlsError,
  StorageUnavailableError,
  classifyS3Error,
} from "../storage/errors.ts";
import { recordTrust } from "../net/trust.ts";
import {
  LayerNotFoundError,
  NestedIndexError,
  NoMatchingSemverTagError,
  PlatformNotFoundError,
} from "./content-errors.ts";
import { DestinationPlanError } from "./destinations.ts";
import { classifyTransferError } from "./errors.ts";

describe("classifyTransferError: one reason per engine error, for every kind", () => {
  const cases: { name: string; err: unknown; reason: string; transient: boolean }[] = [
    { name: "registry: unknown CA", err: new TlsError("x509"), reason: "UntrustedCertificate", transient: false },
    {
      name: "Harbor: unknown CA",
      err: new HarborTlsError("x509", { code: "TLS", transient: false }),
      reason: "UntrustedCertificate",
      transient: false,
    },
    { name: "registry: refused credentials", err: new AuthError("401", 401), reason: "Unauthorized", transient: false },
    {
      name: "Harbor: refused credentials",
      err: new HarborUnauthorizedError("401", { code: "UNAUTHORIZED", transient: false }),
      reason: "Unauthorized",
      transient: false,
    },
    {
      name: "registry: no such tag",
      err: new NotFoundError("404", 404, [{ code: "MANIFEST_UNKNOWN", message: "" }]),
      reason: "SourceNotFound",
      transient: false,
    },
    {
      name: "registry: no such repository",
      err: new NotFoundError("404", 404, [{ code: "NAME_UNKNOWN", message: "" }]),
      reason: "RepositoryNotFound",
      transient: false,
    },
    {
      name: "Harbor: no such project",
      err: new HarborNotFoundError("404", { code: "NOT_FOUND", transient: false }),
      reason: "RepositoryNotFound",
      transient: false,
    },
    { name: "registry: 503", err: new RegistryError("503", 503), reason: "RegistryUnavailable", transient: true },
    {
      name: "registry: reset after retries",
      err: new TransportError("reset", "ECONNRESET"),
      reason: "RegistryUnavailable",
      transient: true,
    },
    {
      name: "Harbor: 502",
      err: new HarborServerError("502", { code: "HTTP_502", transient: true }),
      reason: "RegistryUnavailable",
      transient: true,
    },
    {
      name: "a bad reference",
      err: new InvalidInputError("bad", "REFERENCE_INVALID"),
      reason: "InvalidReference",
      transient: false,
    },
    { name: "a bad digest", err: new InvalidDigestError("bad"), reason: "InvalidReference", transient: false },
    {
      name: "an unsupported manifest",
      err: new InvalidManifestError("prettyjws", "MANIFEST_UNSUPPORTED"),
      reason: "UnsupportedMediaType",
      transient: false,
    },
    { name: "a nested index", err: new NestedIndexError("nested"), reason: "UnsupportedMediaType", transient: false },
    {
      name: "no manifest for the platform",
      err: new PlatformNotFoundError("none"),
      reason: "PlatformNotFound",
      transient: false,
    },
    {
      name: "no layer for the selector",
      err: new LayerNotFoundError("none"),
      reason: "LayerNotFound",
      transient: false,
    },
    {
      name: "no tag in the semver range",
      err: new NoMatchingSemverTagError("none"),
      reason: "NoMatchingTag",
      transient: false,
    },
    {
      name: "no tag for the policy",
      err: new NoMatchingTagError(3, {}, "newestPushed"),
      reason: "NoMatchingTag",
      transient: false,
    },
    {
      name: "content that does not match",
      err: new ContentMismatchError("blob", "sha256:a", "sha256:b"),
      reason: "DigestMismatch",
      transient: false,
    },
    {
      name: "an archive blob that does not match",
      err: new BlobMismatchError("blob", "sha256:a", "sha256:b"),
      reason: "DigestMismatch",
      transient: false,
    },
    {
      name: "a broken archive",
      err: new InvalidArchiveError("no manifest.json"),
      reason: "InvalidArchive",
      transient: false,
    },
    {
      name: "a hostile layer",
      err: new ExtractionRefusedError("PathTraversal", "escapes", "../x"),
      reason: "ExtractionRefused",
      transient: false,
    },
    {
      name: "an ambiguous archive",
      err: new DestinationPlanError("2 images"),
      reason: "InvalidDestination",
      transient: false,
    },
    { name: "S3: no such object", err: new SourceNotFoundError("404"), reason: "SourceNotFound", transient: false },
    { name: "S3: access denied", err: new AccessDeniedError("403"), reason: "AccessDenied", transient: false },
    { name: "S3: the object changed", err: new SourceChangedError("412"), reason: "SourceChanged", transient: true },
    { name: "S3: unknown CA", err: new StorageTlsError("x509"), reason: "UntrustedCertificate", transient: false },
    { name: "S3: throttled", err: new StorageUnavailableError("503"), reason: "SourceUnavailable", transient: true },
    {
      name: "the network policy, under a client's error",
      err: new Error("connect failed", { cause: new EndpointRefusedError("loopback") }),
      reason: "EndpointRefused",
      transient: false,
    },
    {
      name: "anything untyped is retried",
      err: new Error("socket hang up"),
      reason: "TransferFailed",
      transient: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = classifyTransferError(c.err);
      assert.deepEqual([got.reason, got.transient], [c.reason, c.transient]);
    });
  }
  it("never reads the message: an untyped error that says 404 is still TransferFailed", () => {
    assert.equal(classifyTransferError(new Error("404 MANIFEST_UNKNOWN ENDPOINT_REFUSED")).reason, "TransferFailed");
    assert.equal(
      classifyTransferError(Object.assign(new Error("x"), { code: "ENDPOINT_REFUSED" })).reason,
      "TransferFailed",
    );
  });

  it("names the trust a refused connection used, for every client kind", () => {
    const low = Object.assign(new Error("unable to verify the first certificate"), {
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    recordTrust(low, "system roots + ConfigMap trust/org-ca (key ca.crt, 1 cert)");
    const s3 = classifyS3Error(low, "s3://b/k");
    assert.ok(s3 instanceof StorageTlsError, "an S3 certificate failure is its own, permanent error");
    for (const err of [s3, new TlsError("registry: certificate verification failed", { cause: low })]) {
      const got = classifyTransferError(err);
      assert.equal(got.reason, "UntrustedCertificate");
      assert.match(got.message, /; trusted: system roots \+ ConfigMap trust\/org-ca \(key ca\.crt, 1 cert\)$/);
    }
    assert.match(classifyTransferError(new TlsError("x509")).message, /^x509 .*; trusted: system roots/);
    assert.doesNotMatch(classifyTransferError(new SourceNotFoundError("404")).message, /trusted/);
  });
});
