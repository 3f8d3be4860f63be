// The openAPIV3Schema of spec.verify (api/verify.ts), shared by the three kinds.
import { DNS_LABEL_PATTERN, DNS_SUBDOMAIN_PATTERN } from "./common-schema.ts";
import { obj, oneOf, str, type SchemaNode } from "./openapi-schema.ts";
import { VERIFY_PROVIDERS } from "./verify.ts";

/** spec.verify. */
export function verifyBlock(what: string): SchemaNode {
  return obj(
    `Verify ${what}'s signature offline before it is used: one signature by a trusted key must name its digest, else nothing is tagged, published or applied (Stalled with SignatureMissing, SignatureKeyUnknown or SignatureInvalid). Bundles' transparency-log entries are not checked (no Rekor offline).`,
    {
      provider: oneOf(
        "cosign: cosign's legacy .sig simple signing and sigstore bundles attached as OCI 1.1 referrers.",
        VERIFY_PROVIDERS,
      ),
      publicKeysSecretRef: obj(
        "Secret whose every data entry holding a PEM PUBLIC KEY block (cosign.pub: ECDSA P-256/P-384, RSA, Ed25519) is a trusted key.",
        {
          name: str("Name of the Secret.", { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN }),
          namespace: str(
            "Namespace of the Secret; another namespace than the object's needs a grant: the operator lists it as a Secret source namespace and the Secret's airlift.dev/allowed-namespaces annotation names the object's namespace. Default: the object's namespace.",
            { maxLength: 63, pattern: DNS_LABEL_PATTERN },
          ),
        },
        { required: ["name"] },
      ),
    },
    { required: ["provider", "publicKeysSecretRef"] },
  );
}
