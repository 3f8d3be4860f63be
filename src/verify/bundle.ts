// Sigstore bundles (v0.3) attached as OCI 1.1 referrers, the format newer cosign writes. @sigstore/bundle parses and
// shape-checks the bundle; the signature itself is checked here with a trusted public key, because @sigstore/verify
// wants a trust root (Fulcio CAs, Rekor and CT log keys) that an air-gapped site does not have. cosign signs an image
// as a DSSE envelope around an in-toto statement whose subject is the image digest: the statement must name
// `subject`, or a valid signature over another image would pass. Transparency-log entries are checked only when log
// keys are configured (tlog.ts); otherwise they are ignored (no Rekor offline).
import { bundleFromJSON, type Bundle } from "@sigstore/bundle";
import type { Digest } from "../ocispec/digest.ts";
import { signingKey } from "./check-signature.ts";
import type { TrustedKey } from "./keys.ts";
import type { SignatureFinding } from "./simple-signing.ts";
import { tlogProblem } from "./tlog.ts";

/** artifactType of a referrer holding a sigstore bundle. */
export const BUNDLE_ARTIFACT_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

interface Statement {
  subject?: { digest?: Record<string, unknown> }[];
}

/** DSSE pre-authentication encoding (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md). */
function pae(payloadType: string, payload: Buffer): Buffer {
  const head = `DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `;
  return Buffer.concat([Buffer.from(head, "utf8"), payload]);
}

function parse(bytes: Buffer): Bundle | string {
  try {
    return bundleFromJSON(JSON.parse(bytes.toString("utf8")));
  } catch (err) {
    return `not a sigstore bundle: ${(err as Error).message}`;
  }
}

function namesSubject(payload: Buffer, subject: Digest): boolean {
  const [algorithm, hex] = subject.split(":");
  try {
    const statement = JSON.parse(payload.toString("utf8")) as Statement;
    return (statement.subject ?? []).some((s) => s.digest?.[algorithm ?? ""] === hex);
  } catch {
    return false;
  }
}

/** A bundle no key verifies: invalid when its hint (base64 SHA-256 of the key's SPKI, as cosign writes it) names one
 * of the trusted keys, since that key's signature was then altered; otherwise it is by an unknown key. */
function unverified(bundle: Bundle, keys: readonly TrustedKey[], base: SignatureFinding): SignatureFinding {
  const material = bundle.verificationMaterial.content;
  const hint = material.$case === "publicKey" ? material.publicKey.hint : undefined;
  const named = keys.find((k) => hint !== undefined && hint === fingerprintHint(k));
  if (named !== undefined)
    return {
      ...base,
      problemKind: "invalid",
      problem: `signature does not verify with ${named.fingerprint}, the key it names`,
    };
  return { ...base, problemKind: "no-key", problem: "bundle signature matches none of the keys" };
}

function fingerprintHint(key: TrustedKey): string {
  return Buffer.from(key.fingerprint.slice("sha256:".length), "hex").toString("base64");
}

/** Checks one bundle's bytes (already read and digest-checked) against `subject`. */
export function checkBundle(
  bytes: Buffer,
  ctx: { subject: Digest; keys: readonly TrustedKey[]; source: Digest; logKeys?: readonly TrustedKey[] | undefined },
): SignatureFinding {
  const base = { source: ctx.source, format: "bundle" as const, problemKind: "invalid" as const };
  const bundle = parse(bytes);
  if (typeof bundle === "string") return { ...base, problem: bundle };
  if (bundle.content.$case !== "dsseEnvelope")
    return { ...base, problem: "bundle holds a message signature, not a DSSE envelope over the image" };
  const envelope = bundle.content.dsseEnvelope;
  const payload = envelope.payload;
  const signed = pae(envelope.payloadType, payload);
  const key = envelope.signatures
    .map((s) => signingKey(ctx.keys, signed, s.sig))
    .find((k): k is TrustedKey => k !== undefined);
  if (key === undefined) return unverified(bundle, ctx.keys, base);
  if (!namesSubject(payload, ctx.subject)) return { ...base, key, problem: `statement does not name ${ctx.subject}` };
  const tlog = tlogProblem(bundle, envelope, ctx.logKeys);
  if (tlog !== undefined) return { ...base, key, problem: tlog };
  return { source: ctx.source, format: "bundle", key };
}
