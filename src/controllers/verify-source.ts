// spec.verify for the three reconcilers: the trusted keys read from the Secret the block names (every data entry
// holding a PEM PUBLIC KEY block; another namespace only with a grant, through the SecretReader), and the
// SourceVerified condition: True naming the key's fingerprint and the signature's digest, False with the refusal's
// reason, gone when spec.verify is. spec.verify.transparencyLog's keys are read the same way.
import { ConditionType, type Reason } from "../api/conditions.ts";
import type { PublicKeysSecretRef, VerifySpec } from "../api/verify.ts";
import { StallingError } from "../kube/errors.ts";
import type { Failure } from "../kube/reconcile-steps.ts";
import type { SecretReader } from "../kube/secrets.ts";
import type { KindConditions } from "../kube/summarize.ts";
import { trustedKeys, withLogKeys, type SourceVerification, type TrustedKeySet } from "../transfer/verify-source.ts";

const PEM_PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----";
const SIGNATURE_REASONS: ReadonlySet<Reason> = new Set(["SignatureMissing", "SignatureKeyUnknown", "SignatureInvalid"]);

/** The PEM public keys of every data entry of the Secret `ref` names; none is an error saying what to put in. */
async function secretKeys(
  secrets: SecretReader,
  namespace: string,
  ref: PublicKeysSecretRef,
  o: { what: string; signal?: AbortSignal | undefined },
): Promise<TrustedKeySet> {
  const secret = await secrets.secret(namespace, ref, o.signal);
  const where = `Secret ${ref.namespace || namespace}/${ref.name}`;
  const material = Object.entries(secret.data)
    .map(([key, value]) => ({ origin: `${where} key ${key}`, pem: value.toString("utf8") }))
    .filter((m) => m.pem.includes(PEM_PUBLIC_KEY))
    .sort((a, b) => a.origin.localeCompare(b.origin));
  if (material.length === 0)
    throw new StallingError(
      "InvalidCredentialsSecret",
      `failed to use ${where}: no data entry holds a PEM PUBLIC KEY block (put ${o.what} in it)`,
    );
  return trustedKeys(material);
}

/** The keys spec.verify trusts (with its transparency-log keys when set), or undefined without a verify block. */
export async function verifyKeys(
  secrets: SecretReader,
  namespace: string,
  verify: VerifySpec | undefined,
  signal?: AbortSignal,
): Promise<TrustedKeySet | undefined> {
  if (!verify) return undefined;
  const keys = await secretKeys(secrets, namespace, verify.publicKeysSecretRef, { what: "cosign.pub", signal });
  const logRef = verify.transparencyLog?.publicKeySecretRef;
  if (logRef === undefined) return keys;
  return withLogKeys(keys, await secretKeys(secrets, namespace, logRef, { what: "the Rekor public key", signal }));
}

/** One line per verification: what verified which digest. */
function describe(v: SourceVerification): string {
  return `${v.where}@${v.digest} verified by key ${v.keyFingerprint} (${v.keyKind}), ${v.format} signature ${v.signatureDigest}`;
}

/** SourceVerified=True for what was verified; the condition removed when spec.verify is not set. */
export function verifiedConditions(
  verify: VerifySpec | undefined,
  accepted: readonly (SourceVerification | undefined)[],
  generation: number | undefined,
): KindConditions {
  const verified = accepted.filter((v): v is SourceVerification => v !== undefined);
  if (!verify || verified.length === 0) return verify ? {} : { remove: [ConditionType.SourceVerified] };
  return {
    set: [
      {
        type: ConditionType.SourceVerified,
        status: "True",
        reason: "SignatureVerified",
        message: verified.map(describe).join("; "),
        observedGeneration: generation,
      },
    ],
  };
}

/** SourceVerified=False when a signature was refused; undefined for any other failure (the condition stays). */
export function refusedConditions(failure: Failure, generation: number | undefined): KindConditions | undefined {
  if (!SIGNATURE_REASONS.has(failure.reason)) return undefined;
  return {
    set: [
      {
        type: ConditionType.SourceVerified,
        status: "False",
        reason: failure.reason,
        message: failure.message,
        observedGeneration: generation,
      },
    ],
  };
}
