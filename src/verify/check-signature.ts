// The raw signature check shared by both formats: which trusted key, if any, signed these bytes. cosign signs with
// SHA-256 for ECDSA (P-256 and P-384 alike) and RSA PKCS#1 v1.5, and with pure Ed25519; P-384 keys made by other
// tools sign with SHA-384, so that is tried too.
import { verify } from "node:crypto";
import type { TrustedKey } from "./keys.ts";

function hashesFor(key: TrustedKey): (string | null)[] {
  if (key.kind === "ed25519") return [null];
  if (key.kind === "ec-p384") return ["sha256", "sha384"];
  return ["sha256"];
}

/** The first key in `keys` whose signature over `data` is `signature`, else undefined. */
export function signingKey(keys: readonly TrustedKey[], data: Buffer, signature: Buffer): TrustedKey | undefined {
  return keys.find((key) => hashesFor(key).some((hash) => verifyQuietly(hash, data, key, signature)));
}

function verifyQuietly(hash: string | null, data: Buffer, key: TrustedKey, signature: Buffer): boolean {
  try {
    return verify(hash, data, key.key, signature);
  } catch {
    // A malformed signature (bad DER) is simply not a match for this key.
    return false;
  }
}
