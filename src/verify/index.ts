// Offline signature verification (cosign keys; legacy `.sig` simple signing and sigstore bundles as referrers).
export { parsePublicKeys, type TrustedKey } from "./keys.ts";
export { verifyImage, type Verification, type VerifyImageOptions } from "./verify-image.ts";
export { VerifyError, type VerifyReason } from "./errors.ts";
export type { SignatureFinding } from "./simple-signing.ts";
