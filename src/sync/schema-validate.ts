// Checks objects against a cluster's OpenAPI v3 schemas (schema-set.ts) with ajv, strictly as kubectl's
// `--validate=strict` (server-side field validation) does: an unknown field is an error, as are a wrong type, a
// value outside an enum and a missing required field. The Kubernetes extensions are honoured:
// x-kubernetes-preserve-unknown-fields keeps a subtree open, x-kubernetes-int-or-string takes either, and
// x-kubernetes-embedded-resource has apiVersion, kind and metadata. CRDs found in the bundle itself add (or replace)
// their kinds' schemas. A null is treated as absent, as the API server's decoder does.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { ResourceType } from "../kube/resource.ts";
import type { Manifest } from "./identity.ts";
import { gvkKey, kindIndex, type SchemaNode, type SchemaSet } from "./schema-set.ts";

const DOC_ID = "k8s";
const REF_PREFIX = "#/components/schemas/";
const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** One schema error of one object: the field (`spec.replicas`) and what is wrong with it. */
export interface SchemaFinding {
  field: string;
  /** The field's path segments (`["spec", "replicas"]`), to find its line. */
  path: string[];
  message: string;
}

/** Combinators whose branches only constrain: no `additionalProperties: false` is added inside them. */
const JUNCTORS = ["allOf", "anyOf", "oneOf", "not"];

/** Keywords ajv must not see: OpenAPI's own and the Kubernetes extensions (handled here). */
const DROPPED = new Set(["nullable", "default", "example"]);

/** A copy of `node` ready for ajv (see the file comment); `open` is true inside a combinator. */
function prepare(node: unknown, open: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => prepare(n, open));
  if (node === null || typeof node !== "object") return node;
  const src = node as SchemaNode;
  if (src["x-kubernetes-int-or-string"] === true) return { anyOf: [{ type: "integer" }, { type: "string" }] };
  const out: SchemaNode = {};
  for (const [k, v] of Object.entries(src))
    if (!DROPPED.has(k) && !k.startsWith("x-kubernetes-")) out[k] = prepareKeyword(k, v);
  if (src["x-kubernetes-embedded-resource"] === true) embedResource(out);
  if (isClosed(src, out, open)) out.additionalProperties = false;
  return out;
}

/** Unknown fields are errors in an object schema that lists its fields, unless it keeps unknown ones. */
function isClosed(src: SchemaNode, out: SchemaNode, open: boolean): boolean {
  if (open || src.properties === undefined || out.additionalProperties !== undefined) return false;
  return src["x-kubernetes-preserve-unknown-fields"] !== true;
}

/** One keyword's value: sub-schemas prepared, a combinator's branches left open. */
function prepareKeyword(keyword: string, value: unknown): unknown {
  if (keyword === "properties" && value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([p, s]) => [p, prepare(s, false)]));
  if (keyword === "items" || keyword === "additionalProperties") return prepare(value, false);
  return JUNCTORS.includes(keyword) ? prepare(value, true) : value;
}

/** An embedded resource always has apiVersion, kind and metadata, written in its schema or not. */
function embedResource(out: SchemaNode): void {
  const props = (out.properties ?? {}) as SchemaNode;
  out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...props };
}

/** A schema and resource type for each served version of a CRD manifest. */
function crdSchemas(crd: Manifest): { name: string; schema: SchemaNode; type: ResourceType }[] {
  const spec = crd.object.spec as
    | {
        group?: string;
        scope?: string;
        names?: { kind?: string; plural?: string };
        versions?: { name?: string; schema?: { openAPIV3Schema?: SchemaNode } }[];
      }
    | undefined;
  const { group = "", names, scope } = spec ?? {};
  if (!names?.kind || !names.plural) return [];
  return (spec?.versions ?? []).flatMap((v) => {
    const root = v.schema?.openAPIV3Schema;
    if (!v.name || !root) return [];
    const props = { ...(root.properties as SchemaNode | undefined) };
    props.apiVersion = { type: "string" };
    props.kind = { type: "string" };
    props.metadata = { $ref: `${REF_PREFIX}${OBJECT_META}` };
    const gvk = { group, version: v.name, kind: names.kind };
    const schema: SchemaNode = { ...root, properties: props, "x-kubernetes-group-version-kind": [gvk] };
    const type = {
      group,
      version: v.name,
      kind: names.kind ?? "",
      plural: names.plural ?? "",
      namespaced: scope !== "Cluster",
    };
    return [{ name: `bundle.${group}.${v.name}.${names.kind}`, schema, type }];
  });
}

const isCrd = (m: Manifest): boolean =>
  m.object.kind === "CustomResourceDefinition" && m.object.apiVersion.startsWith("apiextensions.k8s.io/");

/** The schemas of a cluster, plus the bundle's CRDs, compiled on demand per kind. */
export class SchemaValidator {
  readonly #ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  readonly #byKind: Map<string, string>;
  readonly #types = new Map<string, ResourceType>();
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(set: SchemaSet, bundle: readonly Manifest[]) {
    const schemas: Record<string, SchemaNode> = { ...set.schemas };
    for (const t of set.resources) this.#types.set(gvkKey(t.group ? `${t.group}/${t.version}` : t.version, t.kind), t);
    for (const crd of bundle.filter(isCrd))
      for (const c of crdSchemas(crd)) {
        schemas[c.name] = c.schema;
        this.#types.set(`${c.type.group}/${c.type.version}/${c.type.kind}`, c.type);
      }
    this.#byKind = kindIndex(schemas);
    const prepared = Object.fromEntries(Object.entries(schemas).map(([n, s]) => [n, prepare(s, false)]));
    this.#ajv.addSchema({ $id: DOC_ID, components: { schemas: prepared } });
  }

  /** The resource type serving the kind (from the cluster or a CRD of the bundle), or undefined. */
  typeOf(apiVersion: string, kind: string): ResourceType | undefined {
    return this.#types.get(gvkKey(apiVersion, kind));
  }

  /** True when a schema is known for the kind. */
  knows(apiVersion: string, kind: string): boolean {
    return this.#byKind.has(gvkKey(apiVersion, kind));
  }

  /** The schema errors of `object` ([] when it is valid or its kind has no schema). */
  validate(object: Manifest["object"]): SchemaFinding[] {
    const key = gvkKey(object.apiVersion, object.kind);
    const name = this.#byKind.get(key);
    if (name === undefined) return [];
    let check = this.#compiled.get(name);
    if (!check) {
      check = this.#ajv.compile({ $ref: `${DOC_ID}${REF_PREFIX}${name}` });
      this.#compiled.set(name, check);
    }
    const body = withoutNulls({ ...object, status: undefined });
    return check(body) ? [] : findings(check.errors ?? [], body);
  }
}

/** A deep copy without null or undefined values (the API server treats a null field as unset). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

/** A JSON pointer's segments: `/spec/containers/0` is `["spec", "containers", "0"]`. */
function segments(pointer: string): string[] {
  return pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Segments as a field path: `spec.containers[0].image`. */
export function fieldPath(path: readonly string[]): string {
  return path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

function valueAt(body: unknown, path: readonly string[]): unknown {
  let at = body;
  for (const p of path) at = (at as Record<string, unknown> | undefined)?.[p];
  return at;
}

/** ajv's errors as one finding per problem: a union's failed branches become one "must be a or b". */
function findings(errors: readonly ErrorObject[], body: unknown): SchemaFinding[] {
  const unions = new Set(
    errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").map((e) => e.instancePath),
  );
  const out = new Map<string, SchemaFinding>();
  for (const e of errors) {
    if (e.keyword === "type" && unions.has(e.instancePath)) continue;
    const { path, message } = problem(e, body, errors);
    const field = fieldPath(path);
    out.set(`${field}\n${message}`, { field, path, message });
  }
  return [...out.values()];
}

/** One ajv error in kubectl's words, with the path of the field it is about. */
function problem(e: ErrorObject, body: unknown, all: readonly ErrorObject[]): { path: string[]; message: string } {
  const path = segments(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const got = JSON.stringify(valueAt(body, path));
  switch (e.keyword) {
    case "additionalProperties": {
      const unknown = [...path, String(p.additionalProperty)];
      return { path: unknown, message: `unknown field "${fieldPath(unknown)}"` };
    }
    case "required":
      return {
        path,
        message: `${fieldPath(path) || "the object"}: missing required field "${String(p.missingProperty)}"`,
      };
    case "enum":
      return {
        path,
        message: `${fieldPath(path)}: unsupported value ${got}: must be one of ${(p.allowedValues as unknown[]).join(", ")}`,
      };
    case "type":
      return { path, message: `${fieldPath(path)}: wrong type ${got}: must be ${String(p.type)}` };
    case "anyOf":
    case "oneOf": {
      const types = all
        .filter((o) => o.keyword === "type" && o.instancePath === e.instancePath)
        .map((o) => String(o.params.type));
      const want = types.length ? types.join(" or ") : "one of the allowed forms";
      return { path, message: `${fieldPath(path)}: wrong type ${got}: must be ${want}` };
    }
    default:
      return { path, message: `${fieldPath(path)}: ${e.message ?? e.keyword}` };
  }
}
