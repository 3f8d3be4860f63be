// Checksums across the gap: which archives of a drop-box may be imported, decided before anything is pushed. The
// checksum list (SHA256SUMS) binds each archive's bytes; a detached signature over the list (SHA256SUMS.sig, as
// `cosign sign-blob --key` writes it: base64, or raw DER) binds the list to a key the site trusts.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { CodedError } from "../net/coded-error.ts";
import { signingKey } from "../verify/check-signature.ts";
import { VerifyError } from "../verify/errors.ts";
import type { TrustedKey } from "../verify/keys.ts";
import { CHECKSUM_LIST, CHECKSUM_SIGNATURE } from "./checksum-list.ts";
import type { FoundChecksums } from "./drop-box-scan.ts";

/** `auto`: check against SHA256SUMS when it is there; `required`: no list, no import; `off`: never check. */
export type ChecksumPolicy = "auto" | "required" | "off";

/** The archive's bytes differ from its line in the checksum list. */
export class ChecksumMismatchError extends CodedError {
  constructor(message: string) {
    super(message, "CHECKSUM_MISMATCH", false);
  }
}

/** The checksum list has no line for the archive (or there is no list and one is required). */
export class NotListedError extends CodedError {
  constructor(message: string) {
    super(message, "NOT_LISTED", false);
  }
}

/** The list every archive of this poll is checked against, and who signed it. */
export interface TrustedChecksums {
  sums: Map<string, string>;
  etag: string;
  /** The fingerprint of the key that signed the list. */
  signedBy?: string;
}

/** The signature file's bytes as a signature: cosign writes base64; raw DER is accepted as is. */
function signatureBytes(raw: Buffer): Buffer {
  const text = raw.toString("utf8").trim();
  return /^[A-Za-z0-9+/=\s]+$/.test(text) ? Buffer.from(text, "base64") : raw;
}

function signedBy(found: FoundChecksums, keys: readonly TrustedKey[]): string {
  if (!found.signature)
    throw new VerifyError(
      `${CHECKSUM_SIGNATURE} is missing: the checksum list must be signed by a trusted key`,
      "SignatureMissing",
    );
  const key = signingKey(keys, found.bytes, signatureBytes(found.signature));
  if (!key)
    throw new VerifyError(
      `${CHECKSUM_SIGNATURE} does not verify with any of the ${keys.length} trusted key(s): re-sign ${CHECKSUM_LIST} or add its key`,
      "SignatureInvalid",
    );
  return key.fingerprint;
}

/**
 * The checksums this poll trusts, or undefined when archives go unchecked. Throws (for every archive at once) when
 * a list is required and missing, or keys are configured and the list's signature is missing or wrong.
 */
export function trustedChecksums(
  found: FoundChecksums | undefined,
  policy: ChecksumPolicy,
  keys: readonly TrustedKey[],
): TrustedChecksums | undefined {
  if (policy === "off") return undefined;
  if (!found) {
    if (policy === "required" || keys.length > 0)
      throw new NotListedError(
        `no ${CHECKSUM_LIST} in the prefix, and checksums are required: drop one next to the archives`,
      );
    return undefined;
  }
  const fingerprint = keys.length > 0 ? signedBy(found, keys) : undefined;
  return { sums: found.sums, etag: found.etag, ...(fingerprint ? { signedBy: fingerprint } : {}) };
}

/** SHA-256 (hex) of a stream. */
export async function sha256Of(body: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of body as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

/** Throws unless `sha256` is the list's line for `name`. */
export function checkListed(checksums: TrustedChecksums, name: string, sha256: string): void {
  const expected = checksums.sums.get(name);
  if (expected === undefined)
    throw new NotListedError(`${name} has no line in ${CHECKSUM_LIST}: add it there (or remove the archive)`);
  if (expected !== sha256)
    throw new ChecksumMismatchError(
      `${name}: SHA-256 is ${sha256} but ${CHECKSUM_LIST} says ${expected}: the archive was damaged or replaced in transit`,
    );
}
