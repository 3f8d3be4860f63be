// Health rules in CEL for kinds kstatus cannot judge: Flux kustomize-controller's `healthCheckExprs`, same shape and
// semantics. For an object of the rule's apiVersion/kind the expressions are evaluated in Flux's order: `inProgress`
// (if set), `failed` (if set), then `current`; the first that is true gives the status, and when none is the object
// is InProgress. The object's top-level fields (apiVersion, kind, metadata, spec, status, ...) are the variables, as
// in Flux (`status.phase == 'Ready'`, not `self.status...`). An expression that cannot be evaluated on an object
// (a field it names is missing, a non-bool result) gives Unknown with the error: Ready then waits until spec.timeout,
// as Flux does; guard optional fields with has(...).
// Evaluated with @bufbuild/cel (a CEL implementation in TypeScript, conformance-tested against cel-spec, no native
// code or WASM, no dependencies beyond @bufbuild/protobuf). It has no cost budget of its own, so cost is bounded
// here at compile time: at most MAX_HEALTH_EXPR_LENGTH characters (the CRD's limit too), MAX_NODES AST nodes, and
// comprehensions (all, exists, filter, map) nested at most MAX_COMPREHENSION_DEPTH deep, so one evaluation is at
// most quadratic in the longest list of the object. https://fluxcd.io/flux/components/kustomize/kustomizations/#health-check-expressions
import { celEnv, isCelError, parse, plan, type CelEnv, type CelResult } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { MAX_HEALTH_EXPR_LENGTH } from "../api/oci-sync-health-schema.ts";
import type { KubeObject } from "../kube/resource.ts";
import type { Health, HealthStatus } from "./health-rules.ts";

/** One kind's expressions, as spec.healthCheckExprs holds them. */
export interface HealthExprSpec {
  apiVersion: string;
  kind: string;
  current: string;
  inProgress?: string;
  failed?: string;
}

type Expr = ReturnType<typeof parse>["expr"];
/** Most AST nodes of one expression. */
export const MAX_NODES = 400;
/** Deepest nesting of comprehensions (a loop inside a loop's body). */
export const MAX_COMPREHENSION_DEPTH = 2;

/** An expression that does not compile or exceeds the cost bounds; `field` is its path in the spec. */
export class HealthExprError extends Error {
  override readonly name = "HealthExprError";
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

type Program = (vars: Record<string, unknown>) => CelResult;

interface Compiled {
  /** In Flux's order of evaluation. */
  checks: { status: HealthStatus; source: string; run: Program }[];
}

const ORDER = [
  ["inProgress", "InProgress"],
  ["failed", "Failed"],
  ["current", "Current"],
] as const;

let sharedEnv: CelEnv | undefined;
function env(): CelEnv {
  sharedEnv ??= celEnv({ funcs: strings });
  return sharedEnv;
}

/** Counts nodes and the deepest loop nesting; calls `onCall` with each function name. */
function measure(
  expr: Expr | undefined,
  depth: number,
  onCall: (name: string) => void,
): { nodes: number; depth: number } {
  if (!expr) return { nodes: 0, depth };
  const kids: [Expr | undefined, number][] = [];
  const k = expr.exprKind;
  if (k.case === "callExpr") {
    onCall(k.value.function);
    kids.push([k.value.target, depth], ...k.value.args.map((a): [Expr, number] => [a, depth]));
  } else if (k.case === "selectExpr") kids.push([k.value.operand, depth]);
  else if (k.case === "listExpr") kids.push(...k.value.elements.map((e): [Expr, number] => [e, depth]));
  else if (k.case === "structExpr")
    for (const e of k.value.entries)
      kids.push([e.keyKind.case === "mapKey" ? e.keyKind.value : undefined, depth], [e.value, depth]);
  else if (k.case === "comprehensionExpr") {
    // Only the loop's body runs once per element: that is what multiplies.
    const c = k.value;
    kids.push(
      [c.iterRange, depth],
      [c.accuInit, depth],
      [c.loopCondition, depth + 1],
      [c.loopStep, depth + 1],
      [c.result, depth],
    );
  }
  let nodes = 1;
  let deepest = depth;
  for (const [kid, d] of kids) {
    const m = measure(kid, d, onCall);
    nodes += m.nodes;
    deepest = Math.max(deepest, m.depth);
  }
  return { nodes, depth: deepest };
}

/** Parses, checks the bounds and the function names, and plans one expression. */
function compileOne(source: string, field: string): Program {
  if (source.length > MAX_HEALTH_EXPR_LENGTH)
    throw new HealthExprError(field, `longer than ${MAX_HEALTH_EXPR_LENGTH} characters`);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (err) {
    throw new HealthExprError(field, `does not parse: ${(err as Error).message}`);
  }
  const unknown: string[] = [];
  // Operators are named _==_, _&&_, !_, @in...; every other name must be a function the environment has.
  const onCall = (name: string): void => {
    if (!/^[_@!]/.test(name) && !env().funcs.find(name)) unknown.push(name);
  };
  const { nodes, depth } = measure(parsed.expr, 0, onCall);
  if (unknown.length > 0) throw new HealthExprError(field, `unknown function ${[...new Set(unknown)].join(", ")}`);
  if (nodes > MAX_NODES) throw new HealthExprError(field, `too large (${nodes} nodes, at most ${MAX_NODES})`);
  if (depth > MAX_COMPREHENSION_DEPTH)
    throw new HealthExprError(
      field,
      `comprehensions (all, exists, filter, map) nested ${depth} deep, at most ${MAX_COMPREHENSION_DEPTH}`,
    );
  const run = plan(env(), parsed);
  return (vars) => run(vars as never);
}

/** The key of a rule: apiVersion and kind. */
function ruleKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/** Compiled health rules, by apiVersion/kind. */
export class HealthExprs {
  readonly #rules: Map<string, Compiled>;

  private constructor(rules: Map<string, Compiled>) {
    this.#rules = rules;
  }

  /** Compiles every rule; throws HealthExprError naming the first bad field (`spec.healthCheckExprs[i].current`). */
  static compile(specs: readonly HealthExprSpec[], field = "spec.healthCheckExprs"): HealthExprs {
    const rules = new Map<string, Compiled>();
    specs.forEach((spec, i) => {
      const key = ruleKey(spec.apiVersion, spec.kind);
      if (rules.has(key))
        throw new HealthExprError(`${field}[${i}]`, `a second rule for ${spec.kind} ${spec.apiVersion}`);
      const checks: Compiled["checks"] = [];
      for (const [name, status] of ORDER) {
        const source = spec[name];
        if (source !== undefined)
          checks.push({ status, source: name, run: compileOne(source, `${field}[${i}].${name}`) });
      }
      rules.set(key, { checks });
    });
    return new HealthExprs(rules);
  }

  /** How many kinds have rules. */
  get size(): number {
    return this.#rules.size;
  }

  /** The object's health by its kind's rule, or undefined when its kind has none (kstatus then judges it). */
  evaluate(obj: KubeObject): Health | undefined {
    const rule = this.#rules.get(ruleKey(obj.apiVersion ?? "", obj.kind ?? ""));
    if (!rule) return undefined;
    const vars = obj as unknown as Record<string, unknown>;
    for (const check of rule.checks) {
      const result = check.run(vars);
      if (isCelError(result))
        return { status: "Unknown", message: `healthCheckExprs ${check.source}: ${result.message}` };
      if (typeof result !== "boolean")
        return { status: "Unknown", message: `healthCheckExprs ${check.source}: the result is not a bool` };
      if (result) return { status: check.status, message: `healthCheckExprs ${check.source} is true` };
    }
    return { status: "InProgress", message: "no healthCheckExprs expression is true" };
  }
}
