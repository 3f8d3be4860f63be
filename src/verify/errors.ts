// The one error class verification throws: its code is the reason a controller reports (SignatureMissing,
// SignatureInvalid, SignatureKeyUnknown), so callers classify it by code, never by message.
import { CodedError } from "../net/coded-error.ts";

/** Reasons a source is refused. */
export type VerifyReason = "SignatureMissing" | "SignatureInvalid" | "SignatureKeyUnknown";

/** A refused source: not transient (the same content fails the same way until it is re-signed or a key added). */
export class VerifyError extends CodedError {
  declare readonly code: VerifyReason;

  constructor(message: string, code: VerifyReason) {
    super(message, code, false);
  }
}
