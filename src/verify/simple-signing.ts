// cosign's legacy signatures: a manifest tagged `sha256-<hex>.sig` next to the image whose layers are
// simple-signing payloads (application/vnd.dev.cosign.simplesigning.v1+json), each with its base64 signature in the
// `dev.cosignproject.cosign/signature` annotation. A payload counts only when it names the subject digest in
// `critical.image.docker-manifest-digest`: a valid signature over another image's payload is an invalid one here.
import type { Descriptor } from "../ocispec/descriptor.ts";
import type { Digest } from "../ocispec/digest.ts";
import type { TrustedKey } from "./keys.ts";
import { signingKey } from "./check-signature.ts";

/** Media type of a simple-signing payload layer. */
export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
/** Annotation holding the base64 signature. */
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

/** What one checked signature layer said. */
export interface SignatureFinding {
  /** The signature manifest (or bundle manifest) the signature came from. */
  source: Digest;
  format: "simple-signing" | "bundle";
  /** The key that verified it, when one did. */
  key?: TrustedKey;
  /** Why it did not count, when it did not. */
  problem?: string;
  /** "no-key": no trusted key verifies it; "invalid": malformed, or a trusted key signed something else. */
  problemKind?: "no-key" | "invalid";
}

interface Payload {
  critical?: { image?: { "docker-manifest-digest"?: unknown } };
}

/** Checks one simple-signing layer (its bytes already read and digest-checked) against `subject`. */
export function checkSimpleSigning(
  layer: Descriptor,
  payload: Buffer,
  ctx: { subject: Digest; keys: readonly TrustedKey[]; source: Digest },
): SignatureFinding {
  const base = { source: ctx.source, format: "simple-signing" as const, problemKind: "invalid" as const };
  const sig = layer.annotations?.[SIGNATURE_ANNOTATION];
  if (sig === undefined) return { ...base, problem: `layer ${layer.digest} has no ${SIGNATURE_ANNOTATION}` };
  const key = signingKey(ctx.keys, payload, Buffer.from(sig, "base64"));
  if (key === undefined)
    return { ...base, problemKind: "no-key", problem: `signature in ${layer.digest} matches none of the keys` };
  let named: unknown;
  try {
    named = (JSON.parse(payload.toString("utf8")) as Payload).critical?.image?.["docker-manifest-digest"];
  } catch {
    return { ...base, key, problem: `payload ${layer.digest} is not JSON` };
  }
  if (named !== ctx.subject) return { ...base, key, problem: `payload names ${String(named)}, not ${ctx.subject}` };
  return { source: ctx.source, format: "simple-signing", key };
}
