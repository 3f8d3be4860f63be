// Public keys an operator trusts, read from PEM (cosign.pub and friends). One file may hold several keys; each is
// named by the fingerprint a status or a CLI line shows: the SHA-256 of its SubjectPublicKeyInfo, as cosign and
// `openssl pkey -pubin -outform DER | sha256sum` compute it.
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { VerifyError } from "./errors.ts";

/** One trusted key. */
export interface TrustedKey {
  key: KeyObject;
  /** `sha256:<hex>` of the DER SubjectPublicKeyInfo. */
  fingerprint: string;
  /** ec-p256, ec-p384, rsa, ed25519. */
  kind: string;
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

function kindOf(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "ec-p256";
    if (curve === "secp384r1") return "ec-p384";
    throw new VerifyError(`unsupported EC curve ${String(curve)} (P-256 and P-384 are)`, "SignatureKeyUnknown");
  }
  if (type === "rsa" || type === "ed25519") return type;
  throw new VerifyError(`unsupported public key type ${String(type)}`, "SignatureKeyUnknown");
}

/** Every `PUBLIC KEY` block in `pem` (several files may be concatenated); none is an error. */
export function parsePublicKeys(pem: string): TrustedKey[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new VerifyError("no PEM PUBLIC KEY block in the key material", "SignatureKeyUnknown");
  return blocks.map((block) => {
    const key = createPublicKey({ key: block, format: "pem" });
    const der = key.export({ type: "spki", format: "der" });
    return { key, kind: kindOf(key), fingerprint: `sha256:${createHash("sha256").update(der).digest("hex")}` };
  });
}
