// The openAPIV3Schema of OciSync, mirroring oci-sync.ts.
import { STATUS_LIMITS } from "./meta.ts";
import {
  DELETION_POLICIES,
  VALIDATION_MODES,
  INVENTORY_STATUSES,
  LAYER_OPERATIONS,
  OCI_AUTH_TYPES,
  OCI_SYNC_DEFAULTS,
  RENDER_MODES,
  SOURCE_FORMATS,
  SUBSTITUTE_FROM_KINDS,
  type OciSource,
  type OciSyncSpec,
} from "./oci-sync.ts";
import {
  artifactRef,
  caBundleRef,
  conditions,
  DNS_SUBDOMAIN_PATTERN,
  duration,
  errorSummary,
  IMAGE_PATTERN,
  lastHandledReconcileAt,
  observedGeneration,
  PLATFORM_PATTERN,
  registryCredentialsRef,
  SECRET_KEY_PATTERN,
  stageErrors,
} from "./common-schema.ts";
import { verifyBlock } from "./verify-schema.ts";
import { healthChecksStatus, healthSpecProperties } from "./oci-sync-health-schema.ts";
import { imagePreflightSpec, imagePreflightStatus } from "./oci-sync-preflight-schema.ts";
import { arr, bool, num, obj, oneOf, str, time, type CelRule, type SchemaNode } from "./openapi-schema.ts";

const IMAGE_RE = new RegExp(IMAGE_PATTERN);
const DOTDOT_RE = /(^|\/)\.\.(\/|$)/;
const hasTagOrDigest = (image: string): boolean => image.includes("@") || /:[^/]*$/.test(image);

const oci = obj(
  "The OCI image holding the YAML.",
  {
    image: str("registry/repository:tag or registry/repository@sha256:<hex>; no tag or digest when semver is set.", {
      minLength: 1,
      maxLength: 512,
      rules: [
        {
          rule: `self.matches('${IMAGE_PATTERN}')`,
          message:
            "oci.image must be a reference like registry.example.com/project/repo:tag or registry.example.com/project/repo@sha256:<64 hex>",
          check: (image: string) => IMAGE_RE.test(image),
        },
      ],
    }),
    dir: str("Directory inside the image holding the YAML.", {
      minLength: 1,
      maxLength: 1024,
      default: OCI_SYNC_DEFAULTS.dir,
      rules: [
        {
          rule: "!self.startsWith('/') && !self.matches('(^|/)[.][.](/|$)')",
          message: "oci.dir must be a relative path inside the image (no leading '/', no '..')",
          check: (dir: string) => !dir.startsWith("/") && !DOTDOT_RE.test(dir),
        },
      ],
    }),
    period: duration("Poll period; a digest-pinned image is pulled once.", {
      min: "5s",
      default: OCI_SYNC_DEFAULTS.period,
    }),
    auth: oneOf("none, or secret to read credentialsSecretRef.", OCI_AUTH_TYPES, { default: OCI_SYNC_DEFAULTS.auth }),
    credentialsSecretRef: registryCredentialsRef(),
    caCertSecretRef: caBundleRef(),
    insecureSkipTLSVerify: bool("Skip TLS certificate verification (testing only)."),
    plainHTTP: bool("Talk plain HTTP to the registry (testing only)."),
    semver: obj(
      "Pick the highest tag in a range.",
      { range: str("A semver range, e.g. ^1.2.", { minLength: 1, maxLength: 256 }) },
      { required: ["range"] },
    ),
    platform: str("Platform picked from an image index, os/arch[/variant].", {
      pattern: PLATFORM_PATTERN,
      maxLength: 64,
      default: OCI_SYNC_DEFAULTS.platform,
    }),
    layerSelector: obj(
      "Use the first layer of this media type instead of flattening all layers.",
      {
        mediaType: str("Layer media type.", { minLength: 1, maxLength: 255 }),
        operation: oneOf("extract untars the layer; copy keeps it as one file.", LAYER_OPERATIONS, {
          default: OCI_SYNC_DEFAULTS.layerOperation,
        }),
      },
      { required: ["mediaType"] },
    ),
  },
  {
    required: ["image"],
    rules: [
      {
        rule: "has(self.semver) || self.image.contains('@') || self.image.matches(':[^/]*$')",
        message: "oci.image must name a tag or a digest (repo:tag, repo@sha256:...), or set oci.semver to pick the tag",
        check: (o: OciSource) => !!o.semver || hasTagOrDigest(o.image),
      },
      {
        rule: "!has(self.semver) || !(self.image.contains('@') || self.image.matches(':[^/]*$'))",
        message: "oci.semver picks the tag: oci.image must then name the repository without a tag or digest",
        check: (o: OciSource) => !o.semver || !hasTagOrDigest(o.image),
      },
      {
        rule: "has(self.credentialsSecretRef) == (has(self.auth) && self.auth == 'secret')",
        message: "oci.credentialsSecretRef must be set when oci.auth is secret, and only then",
        check: (o: OciSource) => (o.credentialsSecretRef !== undefined) === (o.auth === "secret"),
      },
    ],
  },
);

/** spec. */
export const ociSyncSpecSchema: SchemaNode = obj(
  "Desired state: which image is applied, how.",
  {
    sourceFormat: oneOf("Layout of the YAML; unstructured reads every manifest under dir.", SOURCE_FORMATS, {
      default: OCI_SYNC_DEFAULTS.sourceFormat,
    }),
    oci,
    render: oneOf(
      "How dir is rendered: auto (unset) runs kustomize build when dir holds a kustomization, kustomize requires one, none applies the files as written.",
      RENDER_MODES,
    ),
    substitute: {
      type: "object",
      description:
        "Values for ${VAR}, ${VAR:=default} and ${VAR:-default} in the rendered objects (Flux postBuild); a variable with neither is an error.",
      additionalProperties: str("A value."),
      maxProperties: 256,
    },
    substituteFrom: arr(
      "ConfigMaps and Secrets of this namespace whose keys are variables; substitute wins over them, a later one over an earlier.",
      obj(
        "One ConfigMap or Secret.",
        {
          kind: oneOf("Its kind.", SUBSTITUTE_FROM_KINDS),
          name: str("Its name, in the OciSync's namespace.", { maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN }),
          optional: bool("Skip it when it does not exist instead of failing the sync."),
        },
        { required: ["kind", "name"] },
      ),
      { maxItems: 16 },
    ),
    prune: bool("Delete objects that left the source.", { default: OCI_SYNC_DEFAULTS.prune }),
    pruneSafeguard: obj(
      "Limits on prune: never down to zero, never a large fraction, without opt-in.",
      {
        allowEmpty: bool("Allow a source with no objects to prune everything.", {
          default: OCI_SYNC_DEFAULTS.pruneSafeguard.allowEmpty,
        }),
        maxFraction: num("Largest fraction of the inventory one sync may delete.", {
          minimum: 0,
          maximum: 1,
          default: OCI_SYNC_DEFAULTS.pruneSafeguard.maxFraction,
        }),
      },
      { default: {} },
    ),
    serviceAccountName: str("Apply as this ServiceAccount of the OciSync's namespace (impersonation).", {
      maxLength: 253,
      pattern: DNS_SUBDOMAIN_PATTERN,
    }),
    timeout: duration("How long applied objects may take to become Current.", {
      min: "1s",
      default: OCI_SYNC_DEFAULTS.timeout,
    }),
    verify: verifyBlock("each new digest of the image"),
    suspend: bool("Stop reconciling this object.", { default: OCI_SYNC_DEFAULTS.suspend }),
    dependsOn: arr(
      "OciSyncs that must be Ready at their current generation before this one applies (Flux's dependsOn).",
      obj(
        "One OciSync.",
        {
          name: str("Its name.", { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN }),
          namespace: str("Its namespace (default: this OciSync's); another one only for a root sync.", {
            maxLength: 63,
            pattern: DNS_SUBDOMAIN_PATTERN,
          }),
        },
        { required: ["name"] },
      ),
      { maxItems: 32 },
    ),
    ...healthSpecProperties(),
    imagePreflight: imagePreflightSpec(),
    kubeConfig: obj(
      "Apply, health-check and prune in the cluster this kubeconfig names instead of the operator's own (Flux's kubeConfig); token or client-certificate users only.",
      {
        secretRef: obj(
          "A Secret of this OciSync's namespace holding the kubeconfig.",
          {
            name: str("Secret name.", { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN }),
            key: str("Key holding the kubeconfig (default: value, else value.yaml).", {
              minLength: 1,
              maxLength: 253,
              pattern: SECRET_KEY_PATTERN,
            }),
          },
          { required: ["name"] },
        ),
      },
      { required: ["secretRef"] },
    ),
    force: bool(
      "Recreate (delete, then create, with an Event) an object this OciSync manages when the API server refuses its update as invalid (an immutable field) while the same object would be valid when created.",
    ),
    deletionPolicy: oneOf(
      "What deleting this OciSync does to its objects: Orphan (default) leaves them, Delete deletes them, WaitForTermination deletes them and waits until they are gone. Unset with the annotation airlift.dev/deletion-propagation (or configsync.gke.io/deletion-propagation-policy) Foreground: Delete.",
      DELETION_POLICIES,
    ),
    validation: oneOf(
      "How a revision is checked before any of it is applied: Server (unset) dry-runs every object on the API server (schema, admission, immutable fields), so a refused revision applies nothing; Schema checks every object against the cluster's OpenAPI v3 schemas in the operator and applies with strict field validation, which halves the requests of a large sync but leaves admission and the server's own rules (label syntax, immutable fields) to the apply, where a refusal fails that object only.",
      VALIDATION_MODES,
    ),
  },
  { required: ["oci"] },
);

/**
 * Rules on the whole object: only the root sees metadata.name. CEL cannot see metadata.namespace, so a dependency
 * naming this OciSync with its own namespace written out is left to the reconciler's DependencyCycle.
 */
export const ociSyncObjectRules: CelRule[] = [
  {
    rule: "!has(self.spec.dependsOn) || self.spec.dependsOn.all(d, d.name != self.metadata.name || has(d.namespace))",
    message: "spec.dependsOn names this OciSync itself: an OciSync cannot wait for itself",
    fieldPath: ".spec.dependsOn",
    check: (o: { metadata?: { name?: string }; spec: OciSyncSpec }) =>
      !(o.spec.dependsOn ?? []).some((d) => d.name === o.metadata?.name && d.namespace === undefined),
  },
];

/** status. */
export const ociSyncStatusSchema: SchemaNode = obj("Observed state.", {
  observedGeneration: observedGeneration(),
  lastHandledReconcileAt: lastHandledReconcileAt(),
  conditions: conditions(),
  source: obj("The fetch stage.", {
    image: str("The image as resolved."),
    digest: str("Digest of the manifest used."),
    lastUpdate: time("When this block last changed."),
    errors: stageErrors(),
    errorSummary: errorSummary(),
  }),
  sync: obj("The apply stage.", {
    digest: str("Source digest last applied."),
    lastUpdate: time("When this block last changed."),
    errors: stageErrors(),
    errorSummary: errorSummary(),
  }),
  inventory: arr(
    "Applied objects and their health.",
    obj(
      "One object.",
      {
        group: str("API group; empty for the core group."),
        version: str("API version."),
        kind: str("Kind."),
        namespace: str("Namespace; absent for cluster-scoped objects."),
        name: str("Name."),
        status: oneOf("kstatus.", INVENTORY_STATUSES),
        message: str("Why it is not Current.", { maxLength: 1024 }),
      },
      { required: ["group", "version", "kind", "name", "status"] },
    ),
    { maxItems: STATUS_LIMITS.inventory },
  ),
  inventoryRef: obj(
    "ConfigMap holding the inventory when it is too large for status.",
    { name: str("ConfigMap name.") },
    { required: ["name"] },
  ),
  healthChecks: healthChecksStatus(),
  imagePreflight: imagePreflightStatus(),
  artifact: artifactRef(),
});
