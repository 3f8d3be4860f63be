// Key-based, offline verification of one image digest in a registry: cosign's legacy `sha256-<hex>.sig` tag and
// sigstore bundles among the digest's OCI 1.1 referrers. One valid signature by a trusted key that names the digest
// is enough; otherwise the refusal says which of the three ways it failed.
import { readBounded } from "../net/bounded-read.ts";
import { NotFoundError } from "../oci/errors.ts";
import type { Repository } from "../oci/repository.ts";
import type { CallOptions } from "../ocispec/content.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import type { Digest } from "../ocispec/digest.ts";
import { BUNDLE_ARTIFACT_TYPE, checkBundle } from "./bundle.ts";
import { VerifyError } from "./errors.ts";
import type { TrustedKey } from "./keys.ts";
import { checkSimpleSigning, SIMPLE_SIGNING_MEDIA_TYPE, type SignatureFinding } from "./simple-signing.ts";

/** Signature payloads and bundles are small; anything larger is not one. */
const PAYLOAD_LIMIT = 1024 * 1024;

/** A verified digest: the signature that passed and everything looked at. */
export interface Verification {
  subject: Digest;
  /** The first signature that passed. */
  accepted: SignatureFinding & { key: TrustedKey };
  findings: SignatureFinding[];
}

/** What to verify. */
export interface VerifyImageOptions extends CallOptions {
  repository: Repository;
  subject: Digest;
  keys: readonly TrustedKey[];
  /** Transparency-log (Rekor) keys: when given, a bundle's log entries must verify with them (tlog.ts). */
  logKeys?: readonly TrustedKey[] | undefined;
}

async function readBlob(repository: Repository, desc: Descriptor, options: CallOptions): Promise<Buffer> {
  const body = await repository.blobs().fetch(desc, options);
  return readBounded(body, PAYLOAD_LIMIT, () => new VerifyError(`${desc.digest} is too large`, "SignatureInvalid"));
}

interface LayerManifest {
  layers?: Descriptor[];
}

async function legacyFindings(o: VerifyImageOptions): Promise<SignatureFinding[]> {
  const tag = `${o.subject.replace(":", "-")}.sig`;
  const fetched = await o.repository
    .manifests()
    .fetch(tag, o)
    .catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
  if (fetched === undefined) return [];
  const layers = (fetched.manifest as LayerManifest).layers ?? [];
  const ctx = { subject: o.subject, keys: o.keys, source: fetched.descriptor.digest };
  const out: SignatureFinding[] = [];
  for (const layer of layers.filter((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE))
    out.push(checkSimpleSigning(layer, await readBlob(o.repository, layer, o), ctx));
  return out;
}

async function bundleFindings(o: VerifyImageOptions): Promise<SignatureFinding[]> {
  const referrers = await o.repository.referrers(o.subject, { ...o, artifactType: BUNDLE_ARTIFACT_TYPE });
  const out: SignatureFinding[] = [];
  for (const ref of referrers.filter((r) => r.artifactType === BUNDLE_ARTIFACT_TYPE)) {
    const fetched = await o.repository.manifests().fetch(ref, o);
    const ctx = { subject: o.subject, keys: o.keys, source: ref.digest, logKeys: o.logKeys };
    for (const layer of (fetched.manifest as LayerManifest).layers ?? [])
      out.push(checkBundle(await readBlob(o.repository, layer, o), ctx));
  }
  return out;
}

function refusal(subject: Digest, findings: readonly SignatureFinding[]): VerifyError {
  if (findings.length === 0)
    return new VerifyError(`no cosign signature or sigstore bundle found for ${subject}`, "SignatureMissing");
  const lines = findings.map((f) => `${f.format} ${f.source}: ${f.problem ?? "?"}`).join("; ");
  // A signature a trusted key made over something else, or a malformed one, is invalid; one no key verifies is
  // by an unknown key (a flipped signature looks the same: the key is named by what it verifies, not by a hint).
  const invalid = findings.some((f) => f.problemKind === "invalid");
  return invalid
    ? new VerifyError(`no valid signature for ${subject}: ${lines}`, "SignatureInvalid")
    : new VerifyError(`no signature for ${subject} verifies with the given keys: ${lines}`, "SignatureKeyUnknown");
}

/** Verifies `subject`; throws a VerifyError (SignatureMissing / SignatureInvalid / SignatureKeyUnknown) when refused. */
export async function verifyImage(options: VerifyImageOptions): Promise<Verification> {
  const findings = [...(await legacyFindings(options)), ...(await bundleFindings(options))];
  const accepted = findings.find((f): f is Verification["accepted"] => f.key !== undefined && f.problem === undefined);
  if (accepted === undefined) throw refusal(options.subject, findings);
  return { subject: options.subject, accepted, findings };
}
