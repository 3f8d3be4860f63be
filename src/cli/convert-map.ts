// The field mapping of `airlift convert`: one Config Sync RootSync or RepoSync (sourceType: oci) becomes one OciSync.
// Every leaf of the source document is either carried or reported with why it was not, so nothing is dropped
// silently: a Config Sync field with no airlift meaning (git and helm sources, the hierarchy format, Workload
// Identity auth, reconciler overrides) is a note the command prints as a YAML comment and a warning.
// Fields: https://cloud.google.com/kubernetes-engine/enterprise/config-sync/docs/reference/rootsync-reposync-fields
import { API_VERSION } from "../api/group-version.ts";

/** A field of the source that did not make it into the OciSync, and why. */
export interface DroppedField {
  path: string;
  value: string;
  why: string;
}

/** The outcome for one document. */
export interface Conversion {
  /** `RootSync config-management-system/root-sync`, for messages. */
  source: string;
  /** The OciSync, or undefined when nothing could be carried. */
  object?: Record<string, unknown>;
  dropped: DroppedField[];
}

/** Where converted objects go. */
export interface ConvertOptions {
  /** The namespace of a converted RootSync: the operator's own, which makes it a root (cluster-wide) sync. */
  rootNamespace: string;
}

const CS_GROUP = "configsync.gke.io/";
const CS_DELETION_PROPAGATION = "configsync.gke.io/deletion-propagation-policy";
const SECRET_AUTH =
  "airlift reads registry credentials from a pull Secret: set spec.oci.auth: secret and spec.oci.credentialsSecretRef (a kubernetes.io/dockerconfigjson Secret of the OciSync's namespace)";

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** Every leaf of `value` as `path = value` (objects and arrays walked). */
function leaves(value: unknown, path: string, out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (isRec(value)) for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  else if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  else out.set(path, value);
  return out;
}

/** Why a field with no airlift counterpart was dropped (a specific reason where users will look for one). */
function whyDropped(path: string, value: unknown): string {
  if (path === "spec.sourceFormat") return "airlift reads unstructured sources only: lay the repo out unstructured";
  if (path === "spec.oci.auth")
    return `auth ${show(value)} (Google identities) is not available to airlift: ${SECRET_AUTH}`;
  if (path === "spec.oci.gcpServiceAccountEmail")
    return `Workload Identity is not available to airlift: ${SECRET_AUTH}`;
  if (path.startsWith("spec.git.") || path.startsWith("spec.helm."))
    return "only the oci source is converted (sourceType is oci)";
  if (path.startsWith("spec.override."))
    return "no airlift counterpart (the operator's resources and log levels are Helm values)";
  if (path.startsWith("metadata.")) return "metadata of the Config Sync object is not copied";
  return "no airlift counterpart";
}

/** Builds the OciSync's spec.oci from the source's, recording which leaves it used. */
function ociOf(oci: Rec, used: Set<string>): Rec {
  const out: Rec = {};
  for (const key of ["image", "dir", "period"] as const)
    if (typeof oci[key] === "string") {
      out[key] = oci[key];
      used.add(`spec.oci.${key}`);
    }
  if (oci.auth === undefined || oci.auth === "none") {
    out.auth = "none";
    if (oci.auth !== undefined) used.add("spec.oci.auth");
  }
  const ca = isRec(oci.caCertSecretRef) ? oci.caCertSecretRef.name : undefined;
  if (typeof ca === "string") {
    // Config Sync reads the PEM under the key `cert`, from the sync's own namespace.
    out.caCertSecretRef = { name: ca, key: "cert" };
    used.add("spec.oci.caCertSecretRef.name");
  }
  return out;
}

function describeSource(doc: Rec): string {
  const meta = isRec(doc.metadata) ? doc.metadata : {};
  const ns = typeof meta.namespace === "string" ? `${meta.namespace}/` : "";
  return `${show(doc.kind ?? "document")} ${ns}${show(meta.name ?? "(no name)")}`;
}

/** Why the document converts to nothing (not a RootSync / RepoSync, not an OCI source), or undefined. */
function nothingToCarry(doc: Rec, spec: Rec): DroppedField | undefined {
  const apiVersion = typeof doc.apiVersion === "string" ? doc.apiVersion : "";
  if ((doc.kind !== "RootSync" && doc.kind !== "RepoSync") || !apiVersion.startsWith(CS_GROUP))
    return { path: "kind", value: show(doc.kind), why: "not a Config Sync RootSync or RepoSync" };
  if (spec.sourceType === "oci" && isRec(spec.oci)) return undefined;
  const type = show(spec.sourceType ?? "git");
  const why = `only sourceType oci converts: publish the ${type} source as an OCI image (crane append, oras push) and point the RootSync at it first`;
  return { path: "spec.sourceType", value: type, why };
}

/** Converts one parsed YAML document. */
export function convertDocument(doc: unknown, options: ConvertOptions): Conversion {
  if (!isRec(doc)) return { source: "document", dropped: [{ path: "", value: show(doc), why: "not an object" }] };
  const source = describeSource(doc);
  const spec = isRec(doc.spec) ? doc.spec : {};
  const refused = nothingToCarry(doc, spec);
  if (refused) return { source, dropped: [refused] };
  const meta = isRec(doc.metadata) ? doc.metadata : {};
  return carry(doc, { source, spec, meta, kind: doc.kind as "RootSync" | "RepoSync", options });
}

interface CarryInput {
  source: string;
  spec: Rec;
  meta: Rec;
  kind: "RootSync" | "RepoSync";
  options: ConvertOptions;
}

/** The annotations an OciSync keeps: Config Sync's deletion propagation, which airlift honours as its own. */
function keptAnnotations(meta: Rec, used: Set<string>): Rec | undefined {
  const value = isRec(meta.annotations) ? meta.annotations[CS_DELETION_PROPAGATION] : undefined;
  if (typeof value !== "string") return undefined;
  used.add(`metadata.annotations.${CS_DELETION_PROPAGATION}`);
  return { [CS_DELETION_PROPAGATION]: value };
}

/** spec.sourceFormat and spec.override.reconcileTimeout, where they map. */
function carrySettings(spec: Rec, out: Rec, used: Set<string>): void {
  if (spec.sourceFormat === undefined || spec.sourceFormat === "unstructured") used.add("spec.sourceFormat");
  const timeout = isRec(spec.override) ? spec.override.reconcileTimeout : undefined;
  if (typeof timeout === "string") {
    out.timeout = timeout;
    used.add("spec.override.reconcileTimeout");
  }
}

function carry(doc: Rec, input: CarryInput): Conversion {
  const { spec, meta, kind } = input;
  const used = new Set(["apiVersion", "kind", "metadata.name", "metadata.namespace", "spec.sourceType"]);
  const sourceNamespace = typeof meta.namespace === "string" ? meta.namespace : "";
  const namespace = kind === "RootSync" ? input.options.rootNamespace : sourceNamespace;
  const oci = ociOf(spec.oci as Rec, used);
  const out: Rec = { sourceFormat: "unstructured", oci };
  carrySettings(spec, out, used);
  const annotations = keptAnnotations(meta, used);
  const metadata: Rec = { name: meta.name, namespace, ...(annotations ? { annotations } : {}) };
  const dropped: DroppedField[] = [];
  for (const [path, value] of leaves(doc, ""))
    if (!used.has(path)) dropped.push({ path, value: show(value), why: whyDropped(path, value) });
  if (oci.caCertSecretRef && sourceNamespace !== namespace)
    dropped.push({
      path: "spec.oci.caCertSecretRef",
      value: show(oci.caCertSecretRef),
      why: `carried, but the Secret is in ${sourceNamespace}: copy it into ${namespace}`,
    });
  return { source: input.source, object: { apiVersion: API_VERSION, kind: "OciSync", metadata, spec: out }, dropped };
}
