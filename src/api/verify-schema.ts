// The openAPIV3Schema of spec.verify (api/verify.ts), shared by the three kinds.
import { DNS_LABEL_PATTERN, DNS_SUBDOMAIN_PATTERN } from "./common-schema.ts";
import { obj, oneOf, str, type SchemaNode } from "./openapi-schema.ts";
import { VERIFY_PROVIDERS } from "./verify.ts";

function secretRef(description: string): SchemaNode {
  return obj(
    description,
    {
      name: str("Name of the Secret.", { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN }),
      namespace: str(
        "Namespace of the Secret; another namespace than the object's needs a grant: the operator lists it as a Secret source namespace and the Secret's airlift.dev/allowed-namespaces annotation names the object's namespace. Default: the object's namespace.",
        { maxLength: 63, pattern: DNS_LABEL_PATTERN },
      ),
    },
    { required: ["name"] },
  );
}

/** spec.verify. */
export function verifyBlock(what: string): SchemaNode {
  return obj(
    `Verify ${what}'s signature offline before it is used: one signature by a trusted key must name its digest, else nothing is tagged, published or applied (Stalled with SignatureMissing, SignatureKeyUnknown or SignatureInvalid). A bundle's transparency-log entries are checked only when transparencyLog is set (see there); otherwise they are ignored (no Rekor offline).`,
    {
      provider: oneOf(
        "cosign: cosign's legacy .sig simple signing and sigstore bundles attached as OCI 1.1 referrers.",
        VERIFY_PROVIDERS,
      ),
      publicKeysSecretRef: secretRef(
        "Secret whose every data entry holding a PEM PUBLIC KEY block (cosign.pub: ECDSA P-256/P-384, RSA, Ed25519) is a trusted key.",
      ),
      transparencyLog: obj(
        "Check bundles' transparency-log entries offline against these log (Rekor) keys. A bundle that carries log entries is accepted only when every entry's signed entry timestamp verifies with the configured log key whose SHA-256 (of its DER public key) is the entry's logID, and the entry's body records the bundle's signatures and payload hash; else SignatureInvalid. A bundle without log entries (offline signing, --tlog-upload=false) still verifies by key alone. Not checked: inclusion proofs and checkpoints (they need the log's current tree) and an entry's time against a certificate. Not set: log entries are ignored.",
        {
          publicKeySecretRef: secretRef(
            "Secret whose every data entry holding a PEM PUBLIC KEY block is a log key (Rekor's public key, as `curl $REKOR/api/v1/log/publicKey` prints it).",
          ),
        },
        { required: ["publicKeySecretRef"] },
      ),
    },
    { required: ["provider", "publicKeysSecretRef"] },
  );
}
