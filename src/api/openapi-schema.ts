// The subset of OpenAPI v3 that structural CRD schemas use
// (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema),
// with small builders so the three schemas read like the types they mirror. A CEL rule carries its TypeScript twin
// (`check`) beside it: the CRD gets the rule, validate.ts runs the twin, and both report the same message.

/** A JSON value, as a schema default holds. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One `x-kubernetes-validations` entry plus the TypeScript check that mirrors it. */
export interface CelRule {
  /** The CEL expression (https://kubernetes.io/docs/reference/using-api/cel/). */
  rule: string;
  /** What the user sees when the rule fails: say what to change. */
  message: string;
  /** Where the error points, relative to the node carrying the rule (e.g. `.tags`). */
  fieldPath?: string;
  /**
   * The same predicate in TypeScript, run on a value whose structure already passed the schema. `never` lets each
   * rule declare the shape it reads; validate.ts is the one caller.
   */
  check: (self: never) => boolean;
}

/** A schema node. */
export interface SchemaNode {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode;
  enum?: readonly string[];
  pattern?: string;
  format?: "date-time" | "int64" | "int32";
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  default?: JsonValue;
  "x-kubernetes-int-or-string"?: true;
  "x-kubernetes-preserve-unknown-fields"?: true;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  rules?: CelRule[];
}

/** Extra keywords of a node, everything but its type and description. */
export type SchemaExtras = Omit<SchemaNode, "type" | "description" | "properties" | "items">;

/** A string. */
export function str(description: string, extras: SchemaExtras = {}): SchemaNode {
  return { type: "string", description, ...extras };
}

/** A string from a fixed set. */
export function oneOf(description: string, values: readonly string[], extras: SchemaExtras = {}): SchemaNode {
  return { type: "string", description, enum: values, ...extras };
}

/** An integer (int64 unless said otherwise). */
export function int(description: string, extras: SchemaExtras = {}): SchemaNode {
  return { type: "integer", description, format: "int64", ...extras };
}

/** A boolean. */
export function bool(description: string, extras: SchemaExtras = {}): SchemaNode {
  return { type: "boolean", description, ...extras };
}

/** A floating-point number. */
export function num(description: string, extras: SchemaExtras = {}): SchemaNode {
  return { type: "number", description, ...extras };
}

/** An RFC 3339 timestamp. */
export function time(description: string): SchemaNode {
  return { type: "string", format: "date-time", description };
}

/** An object with the given properties. */
export function obj(
  description: string,
  properties: Record<string, SchemaNode>,
  extras: SchemaExtras = {},
): SchemaNode {
  return { type: "object", description, properties, ...extras };
}

/** An array. */
export function arr(description: string, items: SchemaNode, extras: SchemaExtras = {}): SchemaNode {
  return { type: "array", description, items, ...extras };
}

/** The node without TypeScript-only parts, as the CRD carries it (`rules` become `x-kubernetes-validations`). */
export function toCrdSchema(node: SchemaNode): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(node) as [keyof SchemaNode, SchemaNode[keyof SchemaNode]][]) {
    if (value === undefined) continue;
    if (key === "properties") {
      const props: Record<string, JsonValue> = {};
      for (const [name, child] of Object.entries(value as Record<string, SchemaNode>)) props[name] = toCrdSchema(child);
      out.properties = props;
    } else if (key === "items" || key === "additionalProperties") {
      out[key] = toCrdSchema(value as SchemaNode);
    } else if (key === "rules") {
      out["x-kubernetes-validations"] = (value as CelRule[]).map(
        ({ rule, message, fieldPath }): Record<string, JsonValue> =>
          fieldPath ? { rule, message, fieldPath } : { rule, message },
      );
    } else if (key === "enum") {
      out.enum = [...(value as readonly string[])];
    } else {
      out[key] = value as JsonValue;
    }
  }
  return out;
}
