// Per-site values, with Flux's postBuild semantics: `${VAR}`, `${VAR:=default}` and `${VAR:-default}` in every
// string of every object after rendering; `$${VAR}` stays a literal `${VAR}`; an object annotated
// `kustomize.toolkit.fluxcd.io/substitute: disabled` (or `airlift.dev/substitute: disabled`) is left as written.
// Strict: a variable with neither a value nor a default is an error naming the object's source and the variable,
// never an empty string. Values are never put into an error message (they may come from a Secret).
import { LoadError } from "./errors.ts";
import { describeIdentity, identityOf, type Manifest } from "./identity.ts";

/** The opt-out annotations (Flux's key and airlift's). */
export const SUBSTITUTE_DISABLED = ["kustomize.toolkit.fluxcd.io/substitute", "airlift.dev/substitute"] as const;

const VAR = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::([=-])([^}]*))?\}/g;

/** Replaces the variables of every manifest (a new array; the inputs are not changed). */
export function substituteManifests(
  manifests: readonly Manifest[],
  vars: Readonly<Record<string, string>>,
): Manifest[] {
  return manifests.map((m) => {
    const annotations = m.object.metadata.annotations ?? {};
    if (SUBSTITUTE_DISABLED.some((k) => annotations[k] === "disabled")) return m;
    // kustomize's output has no per-file origin: the message names the rendering and the object.
    const where = `${m.source}: ${describeIdentity(identityOf(m.object))}`;
    return { ...m, object: walk(m.object, vars, where) as Manifest["object"] };
  });
}

function walk(value: unknown, vars: Readonly<Record<string, string>>, source: string): unknown {
  if (typeof value === "string") return substituteString(value, vars, source);
  if (Array.isArray(value)) return value.map((v) => walk(v, vars, source));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, vars, source)]));
  return value;
}

/** One string: `${VAR}` from vars, else the default, else a SubstitutionFailed error naming source and variable. */
export function substituteString(text: string, vars: Readonly<Record<string, string>>, source: string): string {
  return text.replace(VAR, (whole: string, ...groups: (string | undefined)[]) => {
    const [escaped, name = "", op, fallback] = groups;
    if (escaped) return whole.slice(1);
    const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
    // `:=` and `:-` both take the default when the variable is unset or empty.
    if (value !== undefined && (op === undefined || value !== "")) return value;
    if (op !== undefined) return fallback ?? "";
    throw new LoadError("SubstitutionFailed", source, `${source}: variable ${name} is not defined and has no default`);
  });
}
