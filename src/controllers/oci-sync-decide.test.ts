import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InventoryEntry, OciSyncStatus } from "../api/oci-sync.ts";
import type { SyncErrorCode } from "../sync/errors.ts";
import {
  loadFailedVerdict,
  needsApply,
  sourceChanged,
  syncFailureReason,
  syncFailureStalls,
  syncedVerdict,
} from "./oci-sync-decide.ts";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const synced = (digest: string, generation: number, errors = 0): OciSyncStatus => ({
  observedGeneration: generation,
  sync: {
    digest,
    lastUpdate: "2026-01-01T00:00:00Z",
    errors: Array.from({ length: errors }, () => ({ code: "ApplyFailed", message: "x" })),
    errorSummary: { totalCount: errors, truncated: false },
  },
});

describe("needsApply: already done?", () => {
  const cases: {
    name: string;
    status: OciSyncStatus | undefined;
    gen: number;
    digest: string;
    pulled?: boolean;
    baseline?: boolean;
    valuesChanged?: boolean;
    want: boolean;
  }[] = [
    { name: "never synced", status: undefined, gen: 1, digest: D1, want: true },
    {
      name: "same digest, same generation, baseline held: only a drift check",
      status: synced(D1, 1),
      gen: 1,
      digest: D1,
      want: false,
    },
    { name: "a new digest", status: synced(D1, 1), gen: 1, digest: D2, want: true },
    { name: "the spec changed", status: synced(D1, 1), gen: 2, digest: D1, want: true },
    {
      name: "the digest was just pulled (its folder was gone)",
      status: synced(D1, 1),
      gen: 1,
      digest: D1,
      pulled: true,
      want: true,
    },
    { name: "the last sync had errors", status: synced(D1, 1, 2), gen: 1, digest: D1, want: true },
    {
      name: "no drift baseline (the operator restarted)",
      status: synced(D1, 1),
      gen: 1,
      digest: D1,
      baseline: false,
      want: true,
    },
    {
      name: "a substituteFrom ConfigMap or Secret (or a built-in) changed",
      status: synced(D1, 1),
      gen: 1,
      digest: D1,
      valuesChanged: true,
      want: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () =>
      assert.equal(
        needsApply({
          status: c.status,
          generation: c.gen,
          digest: c.digest,
          pulled: c.pulled ?? false,
          hasBaseline: c.baseline ?? true,
          valuesChanged: c.valuesChanged ?? false,
        }),
        c.want,
      ),
    );
  }
  it("says whether the content changed since the last sync", () => {
    assert.equal(sourceChanged({ status: synced(D1, 1), generation: 1, digest: D1 }), false);
    assert.equal(sourceChanged({ status: synced(D1, 1), generation: 1, digest: D2 }), true);
  });
});

describe("syncFailureReason and syncFailureStalls", () => {
  const errs = (...codes: SyncErrorCode[]): { code: SyncErrorCode }[] => codes.map((code) => ({ code }));
  const cases: { name: string; codes: SyncErrorCode[]; reason: string; stalls: boolean }[] = [
    {
      name: "every object refused for scope: ScopeViolation, not ApplyFailed",
      codes: ["ScopeViolation", "ScopeViolation"],
      reason: "ScopeViolation",
      stalls: true,
    },
    {
      name: "a scope refusal among apply failures still names the scope",
      codes: ["ApplyFailed", "ScopeViolation"],
      reason: "ScopeViolation",
      stalls: false,
    },
    { name: "an object of another OciSync", codes: ["ManagementConflict"], reason: "ManagementConflict", stalls: true },
    { name: "the prune safeguard", codes: ["PruneRefused"], reason: "PruneRefused", stalls: true },
    { name: "RBAC refused the write", codes: ["Forbidden"], reason: "Forbidden", stalls: true },
    { name: "a CRD not installed yet is retried", codes: ["UnknownKind"], reason: "UnknownKind", stalls: false },
    { name: "server-side apply failed", codes: ["ApplyFailed"], reason: "ApplyFailed", stalls: false },
    { name: "a file that does not parse", codes: ["InvalidYAML"], reason: "InvalidYAML", stalls: false },
    { name: "no errors", codes: [], reason: "ApplyFailed", stalls: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(syncFailureReason(errs(...c.codes)), c.reason);
      assert.equal(syncFailureStalls(errs(...c.codes)), c.stalls);
    });
  }
});

describe("verdicts", () => {
  const entry = (name: string, status: InventoryEntry["status"]): InventoryEntry => ({
    group: "",
    version: "v1",
    kind: "ConfigMap",
    namespace: "a",
    name,
    status,
  });
  const base = { revision: `v1@${D1}`, syncedAtMs: 0, timeoutMs: 60_000, nowMs: 1_000 };

  it("a load failure stalls with its own reason and the first message", () => {
    assert.deepEqual(loadFailedVerdict([{ code: "DirNotFound", message: "no directory clusters/prod" }], "v1"), {
      kind: "stalled",
      reason: "DirNotFound",
      message: "revision v1: no directory clusters/prod",
    });
    assert.equal(
      loadFailedVerdict([{ code: "PathEscape", message: "symlink points outside" }], "v1").reason,
      "PathEscape",
    );
  });
  it("every object Current: Ready", () => {
    assert.equal(syncedVerdict({ ...base, errors: [], entries: [entry("a", "Current")] }).kind, "ready");
  });
  it("some object still InProgress: HealthPending, then HealthTimeout after spec.timeout", () => {
    const entries = [entry("a", "Current"), entry("b", "InProgress")];
    assert.deepEqual(pick(syncedVerdict({ ...base, errors: [], entries })), ["progressing", "HealthPending"]);
    assert.deepEqual(pick(syncedVerdict({ ...base, errors: [], entries, nowMs: 60_000 })), [
      "stalled",
      "HealthTimeout",
    ]);
  });
  it("a namespace-scoped sync whose every object is refused for scope stalls with ScopeViolation", () => {
    const errors = [
      { code: "ScopeViolation" as const, message: "ClusterRoleBinding x is cluster-scoped" },
      { code: "ScopeViolation" as const, message: "ConfigMap kube-system/y" },
    ];
    const v = syncedVerdict({ ...base, errors, entries: [] });
    assert.deepEqual(pick(v), ["stalled", "ScopeViolation"]);
    assert.match(v.message, /2 error\(s\) applying 0 object\(s\); first: ClusterRoleBinding x/);
  });
  it("apply errors that may pass are retried", () => {
    assert.deepEqual(
      pick(
        syncedVerdict({ ...base, errors: [{ code: "ApplyFailed", message: "503" }], entries: [entry("a", "Unknown")] }),
      ),
      ["retrying", "ApplyFailed"],
    );
  });
});

function pick(v: { kind: string; reason?: string }): [string, string | undefined] {
  return [v.kind, v.reason];
}
