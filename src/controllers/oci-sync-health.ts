// OciSync's health options (Flux's healthChecks and healthCheckExprs), kept out of the reconciler: the CEL rules are
// compiled once per reconcile before anything is fetched (a bad expression stalls with InvalidHealthCheckExpr and
// names its field), and the objects of spec.healthChecks are read after the sync stage, every reconcile, since the
// operator does not own them and their health changes on its own. Their health joins the inventory's in the verdict.
import type { HealthCheckStatus, OciSync, InventoryEntry as StatusEntry } from "../api/oci-sync.ts";
import { StallingError } from "../kube/errors.ts";
import {
  checkObjects,
  HealthExprError,
  HealthExprs,
  splitApiVersion,
  SyncError,
  type CheckedObject,
} from "../sync/index.ts";
import type { SyncRun } from "./oci-sync-apply.ts";

/** The spec's CEL rules compiled; StallingError InvalidHealthCheckExpr naming the field when one does not compile. */
export function compileHealthExprs(sync: OciSync): HealthExprs | undefined {
  const specs = sync.spec.healthCheckExprs ?? [];
  if (specs.length === 0) return undefined;
  try {
    return HealthExprs.compile(specs);
  } catch (err) {
    if (err instanceof HealthExprError) throw new StallingError("InvalidHealthCheckExpr", err.message);
    throw err;
  }
}

function toStatus(c: CheckedObject): HealthCheckStatus {
  const out: HealthCheckStatus = { apiVersion: c.apiVersion, kind: c.kind, name: c.name, status: c.status };
  if (c.namespace) out.namespace = c.namespace;
  if (c.status !== "Current" && c.message) out.message = c.message.slice(0, 1024);
  return out;
}

/** Reads the objects of spec.healthChecks into run.state.checks; a tenant naming another namespace stalls. */
export async function readHealthChecks(run: SyncRun): Promise<void> {
  const { obj, state, ctx } = run;
  const targets = obj.spec.healthChecks ?? [];
  try {
    const checked = await checkObjects(targets, {
      kubeConfig: state.kubeConfig ?? ctx.client.kubeConfig,
      impersonate: state.impersonate,
      scope: state.scope,
      defaultNamespace: obj.metadata.namespace ?? "",
      exprs: state.exprs,
      signal: ctx.signal,
    });
    state.checks = checked.map(toStatus);
  } catch (err) {
    if (err instanceof SyncError && err.code === "ScopeViolation")
      throw new StallingError("ScopeViolation", err.message);
    throw err;
  }
}

/** The checked objects in the inventory's shape, for the health verdict (describeObjects names them by kind). */
export function checksAsEntries(checks: readonly HealthCheckStatus[]): StatusEntry[] {
  return checks.map((c) => {
    const entry: StatusEntry = {
      ...splitApiVersion(c.apiVersion),
      kind: c.kind,
      name: c.name,
      status: c.status,
    };
    if (c.namespace) entry.namespace = c.namespace;
    if (c.message) entry.message = c.message;
    return entry;
  });
}
