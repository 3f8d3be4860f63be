// The three CustomResourceDefinitions, built from the kinds' schemas: the TypeScript here is the source of truth
// and crds/*.yaml (plus the chart's copy) are generated from it by generate-crds.ts.
import { stringify } from "yaml";
import { ALL_KINDS, CATEGORY, crdName, type KindInfo } from "./group-version.ts";
import { artifactPullSpecSchema, artifactPullStatusSchema } from "./artifact-pull-schema.ts";
import { imageImportSpecSchema, imageImportStatusSchema } from "./image-import-schema.ts";
import { ociSyncObjectRules, ociSyncSpecSchema, ociSyncStatusSchema } from "./oci-sync-schema.ts";
import { obj, str, toCrdSchema, type CelRule, type JsonValue, type SchemaNode } from "./openapi-schema.ts";

/** One `additionalPrinterColumns` entry. */
interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "date";
  jsonPath: string;
  priority?: number;
  description?: string;
}

const READY_COLUMNS: PrinterColumn[] = [
  { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
];
const MESSAGE_COLUMN: PrinterColumn = {
  name: "Message",
  type: "string",
  priority: 1,
  jsonPath: '.status.conditions[?(@.type=="Ready")].message',
};
const AGE_COLUMN: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

const COLUMNS: Record<KindInfo["kind"], PrinterColumn[]> = {
  ImageImport: [
    ...READY_COLUMNS,
    {
      name: "Digest",
      type: "string",
      jsonPath: ".status.images[0].digest",
      description: "Digest of the first pushed image.",
    },
    { name: "Image", type: "string", priority: 1, jsonPath: ".status.images[0].reference" },
    {
      name: "Imported",
      type: "integer",
      jsonPath: ".status.dropBox.imported",
      description: "A drop-box's archives imported at their current ETag.",
    },
    {
      name: "Quarantined",
      type: "integer",
      jsonPath: ".status.dropBox.quarantined",
      description: "A drop-box's archives refused by the checksums.",
    },
    {
      name: "Failed",
      type: "integer",
      jsonPath: ".status.dropBox.failed",
      description: "A drop-box's failed archives.",
    },
    { name: "Pending", type: "integer", priority: 1, jsonPath: ".status.dropBox.pending" },
    MESSAGE_COLUMN,
    AGE_COLUMN,
  ],
  ArtifactPull: [
    ...READY_COLUMNS,
    { name: "Tag", type: "string", jsonPath: ".status.resolvedTag" },
    { name: "Digest", type: "string", jsonPath: ".status.resolvedDigest" },
    MESSAGE_COLUMN,
    AGE_COLUMN,
  ],
  OciSync: [
    ...READY_COLUMNS,
    { name: "Digest", type: "string", jsonPath: ".status.sync.digest", description: "Source digest last applied." },
    { name: "Image", type: "string", priority: 1, jsonPath: ".spec.oci.image" },
    MESSAGE_COLUMN,
    AGE_COLUMN,
  ],
};

// `rules` sit on the root, where CEL sees metadata.name next to the spec.
const SCHEMAS: Record<
  KindInfo["kind"],
  { spec: SchemaNode; status: SchemaNode; description: string; rules?: CelRule[] }
> = {
  ImageImport: {
    spec: imageImportSpecSchema,
    status: imageImportStatusSchema,
    description: "ImageImport streams an image archive from an S3-compatible bucket into an OCI registry.",
  },
  ArtifactPull: {
    spec: artifactPullSpecSchema,
    status: artifactPullStatusSchema,
    description: "ArtifactPull picks a Harbor artifact by tag, digest or tag policy and pulls it into a bucket prefix.",
  },
  OciSync: {
    spec: ociSyncSpecSchema,
    status: ociSyncStatusSchema,
    description: "OciSync applies the YAML of an OCI image to the cluster, prunes what left it and reports health.",
    rules: ociSyncObjectRules,
  },
};

/** The whole object schema of a kind (apiVersion, kind, metadata, spec, status). */
export function objectSchema(kind: KindInfo): SchemaNode {
  const s = SCHEMAS[kind.kind];
  return obj(
    s.description,
    {
      apiVersion: str("APIVersion of this object."),
      kind: str("Kind of this object."),
      metadata: { type: "object" },
      spec: s.spec,
      status: s.status,
    },
    { required: ["spec"], rules: s.rules },
  );
}

/** The CRD object of a kind. */
export function customResourceDefinition(kind: KindInfo): Record<string, JsonValue> {
  const columns = COLUMNS[kind.kind].map((c): Record<string, JsonValue> => ({ ...c }));
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: crdName(kind),
      labels: { "app.kubernetes.io/name": "airlift", "app.kubernetes.io/part-of": "airlift" },
    },
    spec: {
      group: kind.group,
      scope: "Namespaced",
      names: {
        kind: kind.kind,
        listKind: kind.listKind,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: [...kind.shortNames],
        categories: [CATEGORY],
      },
      versions: [
        {
          name: kind.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: toCrdSchema(objectSchema(kind)) },
          subresources: { status: {} },
          additionalPrinterColumns: columns,
        },
      ],
    },
  };
}

/** File name of a kind's CRD in crds/ and charts/airlift/files/crds/. */
export function crdFileName(kind: KindInfo): string {
  return `${kind.group}_${kind.plural}.yaml`;
}

/** The YAML text of a kind's CRD, as committed. */
export function crdYaml(kind: KindInfo): string {
  const header = "# Generated by src/api/generate-crds.ts from the TypeScript schema in src/api; do not edit.\n";
  // YAML 1.1 rules for quoting: Go readers (kubectl, Helm's fromYaml) take a bare off, on, yes or no for a boolean.
  return (
    header + stringify(customResourceDefinition(kind), { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" })
  );
}

/** Every CRD file: name → YAML. */
export function allCrdFiles(): Map<string, string> {
  return new Map(ALL_KINDS.map((k) => [crdFileName(k), crdYaml(k)]));
}
