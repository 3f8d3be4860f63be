// spec.verify, the same block on ImageImport, ArtifactPull and OciSync: which public keys a source must be signed
// with before airlift tags, publishes or applies it. Offline by design: keys only, no Rekor, no Fulcio.

/** Signature providers airlift verifies. */
export const VERIFY_PROVIDERS = ["cosign"] as const;

/** The Secret holding the trusted public keys: every data entry holding a PEM `PUBLIC KEY` block is one (or more). */
export interface PublicKeysSecretRef {
  name: string;
  /** Another namespace needs a grant (a Secret source namespace and the Secret's annotation); default: the object's. */
  namespace?: string;
}

/** Transparency-log (Rekor) public keys: a bundle's log entries must verify with them when it carries any. */
export interface TransparencyLogSpec {
  /** Secret whose every data entry holding a PEM `PUBLIC KEY` block is a log key; read like publicKeysSecretRef. */
  publicKeySecretRef: PublicKeysSecretRef;
}

/** Offline signature verification of a source. */
export interface VerifySpec {
  /** `cosign`: cosign's legacy `.sig` simple signing and sigstore bundles attached as OCI 1.1 referrers. */
  provider: (typeof VERIFY_PROVIDERS)[number];
  publicKeysSecretRef: PublicKeysSecretRef;
  /** Not set: bundles' transparency-log entries are ignored. */
  transparencyLog?: TransparencyLogSpec;
}
