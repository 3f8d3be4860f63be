// Validates a decoded JSON value against a SchemaNode the way the API server would (types, required, enums,
// patterns, bounds, list types) and then runs the TypeScript twins of the CEL rules. Unknown fields are ignored:
// the API server prunes them before a reconciler sees the object.
import type { CelRule, SchemaNode } from "./openapi-schema.ts";

/** Options of validate. */
export interface ValidateOptions {
  /** Run the CEL rules' TypeScript twins (default true). */
  rules?: boolean;
}

/** One problem, `path: message`, the path written like the API server's (`spec.source.tag`). */
export interface Issue {
  path: string;
  message: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const TYPE_CHECKS: Record<NonNullable<SchemaNode["type"]>, [(value: unknown) => boolean, string]> = {
  object: [isObject, "must be an object"],
  array: [Array.isArray, "must be an array"],
  string: [(v) => typeof v === "string", "must be a string"],
  integer: [Number.isInteger, "must be an integer"],
  number: [(v) => typeof v === "number" && Number.isFinite(v), "must be a number"],
  boolean: [(v) => typeof v === "boolean", "must be a boolean"],
};

function typeIssue(node: SchemaNode, value: unknown): string | undefined {
  if (node["x-kubernetes-int-or-string"]) {
    return typeof value === "string" || Number.isInteger(value) ? undefined : "must be an integer or a string";
  }
  if (!node.type) return undefined;
  const [ok, message] = TYPE_CHECKS[node.type];
  return ok(value) ? undefined : message;
}

function stringLengthIssues(node: SchemaNode, length: number): string[] {
  const out: string[] = [];
  if (node.minLength !== undefined && length < node.minLength)
    out.push(`must be at least ${node.minLength} characters long`);
  if (node.maxLength !== undefined && length > node.maxLength)
    out.push(`may not be more than ${node.maxLength} characters long`);
  return out;
}

function stringContentIssues(node: SchemaNode, value: string): string[] {
  const out: string[] = [];
  if (node.enum && !node.enum.includes(value)) {
    out.push(
      `Unsupported value: ${JSON.stringify(value)}: supported values: ${node.enum.map((e) => JSON.stringify(e)).join(", ")}`,
    );
  }
  if (node.pattern && !new RegExp(node.pattern).test(value)) out.push(`should match '${node.pattern}'`);
  if (node.format === "date-time" && Number.isNaN(Date.parse(value))) out.push("must be an RFC 3339 date-time");
  return out;
}

function stringIssues(node: SchemaNode, value: string): string[] {
  // Lengths count code points, as the API server does, not UTF-16 units.
  return [...stringLengthIssues(node, [...value].length), ...stringContentIssues(node, value)];
}

function numberIssues(node: SchemaNode, value: number): string[] {
  const out: string[] = [];
  if (node.minimum !== undefined && value < node.minimum)
    out.push(`should be greater than or equal to ${node.minimum}`);
  if (node.maximum !== undefined && value > node.maximum) out.push(`should be less than or equal to ${node.maximum}`);
  return out;
}

function arrayLengthIssues(node: SchemaNode, value: unknown[]): string[] {
  const out: string[] = [];
  if (node.minItems !== undefined && value.length < node.minItems)
    out.push(`should have at least ${node.minItems} items`);
  if (node.maxItems !== undefined && value.length > node.maxItems) out.push(`must have at most ${node.maxItems} items`);
  return out;
}

/** A `set` list compares whole items, a `map` list the values of its map keys. */
function duplicateIssues(node: SchemaNode, value: unknown[]): string[] {
  const listType = node["x-kubernetes-list-type"];
  if (listType !== "set" && listType !== "map") return [];
  const keys = node["x-kubernetes-list-map-keys"] ?? [];
  const identify = (item: unknown): string =>
    listType === "set" ? JSON.stringify(item) : JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined)));
  const out: string[] = [];
  const seen = new Set<string>();
  for (const key of value.map(identify)) {
    if (seen.has(key)) out.push(`has a duplicate entry ${key}`);
    seen.add(key);
  }
  return out;
}

function arrayIssues(node: SchemaNode, value: unknown[]): string[] {
  return [...arrayLengthIssues(node, value), ...duplicateIssues(node, value)];
}

function ruleIssues(rules: CelRule[], value: unknown): string[] {
  // The twins read a value whose structure was checked just before: this is the one place that trusts it.
  return rules.filter((r) => !(r.check as (self: unknown) => boolean)(value)).map((r) => r.message);
}

/** What one validation carries down the tree: its options and the issues found so far. */
interface Walk {
  rules: boolean;
  out: Issue[];
}

function childIssues(node: SchemaNode, value: unknown, path: string, w: Walk): void {
  if (Array.isArray(value) && node.items) {
    const items = node.items;
    value.forEach((item, i) => walk(items, item, `${path}[${i}]`, w));
  }
  if (!isObject(value)) return;
  const at = (name: string): string => (path ? `${path}.${name}` : name);
  for (const name of node.required ?? [])
    if (value[name] === undefined) w.out.push({ path: at(name), message: "Required value" });
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (value[name] !== undefined) walk(child, value[name], at(name), w);
  }
}

function ownIssues(node: SchemaNode, value: unknown): string[] {
  if (typeof value === "string") return stringIssues(node, value);
  if (typeof value === "number") return numberIssues(node, value);
  if (Array.isArray(value)) return arrayIssues(node, value);
  return [];
}

function walk(node: SchemaNode, value: unknown, path: string, w: Walk): void {
  const wrongType = typeIssue(node, value);
  if (wrongType) {
    w.out.push({ path, message: wrongType });
    return;
  }
  const before = w.out.length;
  for (const message of ownIssues(node, value)) w.out.push({ path, message });
  childIssues(node, value, path, w);
  // CEL rules run only on a structurally valid value, so the twins never see a shape they do not expect.
  if (w.rules && node.rules && w.out.length === before) {
    for (const message of ruleIssues(node.rules, value)) w.out.push({ path, message });
  }
}

/** Every problem of `value` against `schema`; empty when valid. */
export function validate(schema: SchemaNode, value: unknown, path = "", options: ValidateOptions = {}): Issue[] {
  const w: Walk = { rules: options.rules ?? true, out: [] };
  walk(schema, value, path, w);
  return w.out;
}

/** Issues as one line each, `path: message`. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
}
