// Schema pieces the three kinds share: name patterns, Secret references, S3 locations, durations, conditions and
// Config Sync-style error blocks. Patterns are written for both JavaScript RegExp and Go's RE2 (the API server).
import {
  CONDITION_STATUSES,
  DEFAULT_S3_REGION,
  SECRET_KEY_DEFAULTS,
  STATUS_LIMITS,
  type RegistryCredentialsRef,
} from "./meta.ts";
import { REASON_PATTERN } from "./conditions.ts";
import { DURATION_PATTERN, parseDuration } from "./duration.ts";
import {
  arr,
  bool,
  int,
  obj,
  oneOf,
  str,
  time,
  type CelRule,
  type SchemaExtras,
  type SchemaNode,
} from "./openapi-schema.ts";

/** `host[:port]` of a registry. */
export const HOST_PATTERN = "^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$";
/** An S3 endpoint: `host[:port]`, optionally with an http(s) scheme. */
export const ENDPOINT_PATTERN = "^(https?://)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?/?$";
const PATH_COMPONENT = "[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*";
/** A repository path (distribution grammar: lowercase components joined by `/`). */
export const REPOSITORY_PATTERN = `^${PATH_COMPONENT}(/${PATH_COMPONENT})*$`;
/** A Harbor project name (one path component). */
export const PROJECT_PATTERN = `^${PATH_COMPONENT}$`;
/** A tag. */
export const TAG_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$";
/** A sha256 digest. */
export const DIGEST_PATTERN = "^sha256:[a-f0-9]{64}$";
/** `registry/repository[:tag][@digest]`. */
export const IMAGE_PATTERN = `^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/${PATH_COMPONENT})+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`;
/** `os/arch[/variant]`. */
export const PLATFORM_PATTERN = "^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$";
/** An S3 bucket name. */
export const BUCKET_PATTERN = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";
/** A DNS-1123 subdomain (Secret, ConfigMap, ServiceAccount names). */
export const DNS_SUBDOMAIN_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/** A DNS-1123 label (namespace names). */
export const DNS_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/** A Secret data key. */
export const SECRET_KEY_PATTERN = "^[-._a-zA-Z0-9]+$";

const CONDITION_TYPE_PATTERN =
  "^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$";

/** A rule that a string, when set, does not start with `/`. */
export function noLeadingSlash(what: string): CelRule {
  return {
    rule: "!self.startsWith('/')",
    message: `${what} must not start with '/'`,
    check: (self: string) => !self.startsWith("/"),
  };
}

/** A duration string, optionally with a lower bound checked by CEL's duration(). */
export function duration(description: string, options: { min?: string; default?: string } = {}): SchemaNode {
  const node = str(description, { pattern: DURATION_PATTERN, maxLength: 32 });
  if (options.default !== undefined) node.default = options.default;
  const min = options.min;
  if (min !== undefined) {
    node.rules = [
      {
        rule: `duration(self) >= duration('${min}')`,
        message: `must be at least ${min}`,
        check: (self: string) => parseDuration(self) >= parseDuration(min),
      },
    ];
  }
  return node;
}

function secretName(): SchemaNode {
  return str("Name of the Secret.", { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN });
}

function secretNamespace(): SchemaNode {
  return str(
    "Namespace of the Secret; another namespace than the object's needs a grant: the operator lists it as a Secret source namespace and the Secret's airlift.dev/allowed-namespaces annotation names the object's namespace. Default: the object's namespace.",
    { maxLength: 63, pattern: DNS_LABEL_PATTERN },
  );
}

function secretKey(description: string, fallback: string): SchemaNode {
  return str(description, { minLength: 1, maxLength: 253, pattern: SECRET_KEY_PATTERN, default: fallback });
}

/** A Secret with registry credentials (kubernetes.io/dockerconfigjson or kubernetes.io/basic-auth, or any Secret's keys). */
export function registryCredentialsRef(): SchemaNode {
  const key = (description: string): SchemaNode =>
    str(description, { minLength: 1, maxLength: 253, pattern: SECRET_KEY_PATTERN });
  return obj(
    "Secret with the registry credentials: kubernetes.io/dockerconfigjson or kubernetes.io/basic-auth, or any Secret read as " +
      "basic credentials once usernameKey, passwordKey or username is set (Harbor's harbor-admin: passwordKey secret, username admin).",
    {
      name: secretName(),
      namespace: secretNamespace(),
      usernameKey: key(`Key of the username; default ${SECRET_KEY_DEFAULTS.usernameKey}. Exclusive with username.`),
      passwordKey: key(`Key of the password; default ${SECRET_KEY_DEFAULTS.passwordKey}.`),
      username: str("A literal username, for Secrets that hold only the password (e.g. admin).", {
        minLength: 1,
        maxLength: 256,
      }),
    },
    {
      required: ["name"],
      rules: [
        {
          rule: "!(has(self.username) && has(self.usernameKey))",
          message:
            "credentialsSecretRef.username and credentialsSecretRef.usernameKey are exclusive: name the user or the key that holds it",
          check: (r: RegistryCredentialsRef) => !(r.username !== undefined && r.usernameKey !== undefined),
        },
      ],
    },
  );
}

/** status.endpoints: the endpoints a reconcile used and their origins. */
export function endpointsStatus(): SchemaNode {
  const used = (what: string): SchemaNode =>
    obj(
      `The ${what} used.`,
      {
        value: str(`The ${what}.`),
        origin: str("Where it came from: from spec, from --default-registry, from ConfigMap gpc-system/dnssuffix, ..."),
      },
      { required: ["value", "origin"] },
    );
  return obj("The registry and S3 endpoint the last reconcile used, and where each came from.", {
    registry: used("registry host"),
    s3: used("S3 endpoint"),
  });
}

/** A Secret with S3 access keys. */
export function s3CredentialsRef(): SchemaNode {
  return obj(
    "Secret holding the S3 access key pair (GDC: an object-storage-key-* Secret).",
    {
      name: secretName(),
      namespace: secretNamespace(),
      accessKeyIdKey: secretKey("Key of the access key id.", SECRET_KEY_DEFAULTS.accessKeyIdKey),
      secretAccessKeyKey: secretKey("Key of the secret access key.", SECRET_KEY_DEFAULTS.secretAccessKeyKey),
    },
    { required: ["name"] },
  );
}

/** A Secret with a PEM CA bundle. */
export function caBundleRef(
  description = "Secret holding PEM CA certificates to trust besides the system roots.",
): SchemaNode {
  return obj(
    description,
    {
      name: secretName(),
      namespace: secretNamespace(),
      key: secretKey("Key of the PEM bundle.", SECRET_KEY_DEFAULTS.caBundleKey),
    },
    { required: ["name"] },
  );
}

/** Connection settings of an S3 location; callers add bucket/key/prefix. */
export function s3ConnectionProperties(): Record<string, SchemaNode> {
  return {
    endpoint: str(
      "S3 endpoint, host[:port] or http(s)://host[:port] (https when no scheme). Default: the operator's default endpoint (objectstorage.<dnsSuffix>).",
      { maxLength: 253, pattern: ENDPOINT_PATTERN },
    ),
    bucket: str("Bucket name.", { minLength: 3, maxLength: 63, pattern: BUCKET_PATTERN }),
    region: str("Signing region.", { minLength: 1, maxLength: 63, default: DEFAULT_S3_REGION }),
    forcePathStyle: bool("Path-style addressing (endpoint/bucket/key), which most on-premises S3 servers need.", {
      default: true,
    }),
    credentialsSecretRef: s3CredentialsRef(),
    caBundleSecretRef: caBundleRef(),
    insecureSkipTLSVerify: bool("Skip TLS certificate verification (testing only)."),
  };
}

/** Registry connection settings shared by ImageImport's destination and ArtifactPull's source. */
export function registryConnectionProperties(): Record<string, SchemaNode> {
  return {
    credentialsSecretRef: registryCredentialsRef(),
    caBundleSecretRef: caBundleRef(),
    insecureSkipTLSVerify: bool("Skip TLS certificate verification (testing only)."),
    plainHTTP: bool("Talk plain HTTP to the registry (testing only)."),
  };
}

/** A registry host; empty means the operator's default registry. */
export function registryHost(): SchemaNode {
  return str("Registry host[:port]. Default: the operator's default registry (harbor.<dnsSuffix>).", {
    maxLength: 253,
    pattern: HOST_PATTERN,
  });
}

/** A list of tags. */
export function tagList(description: string, extras: SchemaExtras = {}): SchemaNode {
  return arr(description, str("A tag.", { pattern: TAG_PATTERN, maxLength: 128 }), {
    minItems: 1,
    maxItems: 32,
    "x-kubernetes-list-type": "set",
    ...extras,
  });
}

/** `status.conditions`: a list of metav1.Condition keyed by type. */
export function conditions(): SchemaNode {
  return arr(
    "Ready, Reconciling and Stalled (kstatus); SourceVerified when spec.verify is set.",
    obj(
      "metav1.Condition.",
      {
        type: str("Condition type.", { maxLength: 316, pattern: CONDITION_TYPE_PATTERN }),
        status: oneOf("True, False or Unknown.", CONDITION_STATUSES),
        observedGeneration: int("Generation the condition was computed from.", { minimum: 0 }),
        lastTransitionTime: time("Last time the status changed."),
        reason: str("PascalCase machine-readable reason.", { minLength: 1, maxLength: 1024, pattern: REASON_PATTERN }),
        message: str("Human-readable detail.", { maxLength: 32768 }),
      },
      { required: ["type", "status", "lastTransitionTime", "reason", "message"] },
    ),
    { maxItems: 8, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] },
  );
}

/** `status.observedGeneration`. */
export function observedGeneration(): SchemaNode {
  return int("metadata.generation of the last reconciled spec.", { minimum: 0 });
}

/** `status.lastHandledReconcileAt`: the reconcile request last served (Flux's ReconcileRequestStatus). */
export function lastHandledReconcileAt(): SchemaNode {
  return str(
    "Value of the airlift.dev/reconcile-requested-at (or reconcile.fluxcd.io/requestedAt) annotation last handled.",
    {
      maxLength: 256,
    },
  );
}

/** Flux-style `status.artifact`. */
export function artifactRef(): SchemaNode {
  return obj(
    "The artifact in place.",
    { revision: str("<tag>@sha256:<hex>, or sha256:<hex> when no tag was involved.", { maxLength: 512 }) },
    { required: ["revision"] },
  );
}

/** Config Sync-style errors of one stage, truncated to STATUS_LIMITS.errors. */
export function stageErrors(): SchemaNode {
  const resource = obj(
    "An object the error is about.",
    {
      group: str("API group; empty for the core group."),
      kind: str("Kind."),
      namespace: str("Namespace; empty for cluster-scoped objects."),
      name: str("Name."),
    },
    { required: ["group", "kind", "name"] },
  );
  return arr(
    "The first errors of this stage.",
    obj(
      "One error.",
      {
        code: str("Stable machine-readable code (PascalCase)."),
        message: str("Human-readable detail.", { maxLength: 4096 }),
        resources: arr("Objects involved.", resource, { maxItems: 20 }),
      },
      { required: ["code", "message"] },
    ),
    { maxItems: STATUS_LIMITS.errors },
  );
}

/** `errorSummary` beside a truncated error list. */
export function errorSummary(): SchemaNode {
  return obj(
    "How many errors there were.",
    {
      totalCount: int("Number of errors.", { minimum: 0 }),
      truncated: bool("True when errors holds fewer than totalCount."),
    },
    { required: ["totalCount", "truncated"] },
  );
}
