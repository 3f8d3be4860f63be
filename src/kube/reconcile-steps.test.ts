import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Condition } from "../api/meta.ts";
import { InvalidObjectError } from "../api/parse.ts";
import { FakeObjectStore, WIDGETS } from "../../test/fixtures/kube/reconcile-kit.ts";
import { StallingError, TransientError, WaitingError } from "./errors.ts";
import { reconcileKind, type KindReconciler, type StepResult } from "./reconcile-steps.ts";
import type { KubeObject } from "./resource.ts";
import type { KindStatus } from "./summarize.ts";

interface Widget extends KubeObject {
  spec: { suspend?: boolean; fail?: string };
  status?: KindStatus & { note?: string };
}

const widget = (spec: Widget["spec"] = {}, metadata: Partial<KubeObject["metadata"]> = {}): Widget => ({
  apiVersion: "test.airlift.dev/v1",
  kind: "Widget",
  metadata: { name: "w", namespace: "ns", uid: "u1", generation: 3, resourceVersion: "1", ...metadata },
  spec,
});

/** A kind whose steps record their calls and whose behaviour the test sets. */
function kind(
  calls: string[],
  steps: (() => Promise<StepResult>)[],
  overrides: Partial<KindReconciler<Widget, NonNullable<Widget["status"]>, object>> = {},
): KindReconciler<Widget, NonNullable<Widget["status"]>, object> {
  return {
    type: WIDGETS,
    action: "Test",
    parse: (obj) => {
      if ((obj.spec as Widget["spec"] | undefined)?.fail === "parse")
        throw new InvalidObjectError("Widget", [{ path: ".spec", message: "bad" }]);
      return obj as Widget;
    },
    statusOf: (obj) => obj.status ?? {},
    classify: () => ({ reason: "RegistryUnavailable", transient: true, message: "503" }),
    suspended: (obj) => (obj.spec.suspend ? "suspended by spec" : undefined),
    begin: () => ({}),
    steps: steps.map((step, i) => async (run) => {
      calls.push(`step${i}`);
      run.defer(() => calls.push(`cleanup${i}`));
      return step();
    }),
    finish: async (run) => {
      calls.push("finish");
      await run.status.summarize(() => ({ verdict: { kind: "ready", message: "done" }, fields: { note: "ok" } }));
      return { requeueAfterMs: 60_000 };
    },
    failed: (_run, failure) => ({ message: `failed to test: ${failure.message}`, recheckAfterMs: 30_000 }),
    ...overrides,
  };
}

const req = { namespace: "ns", name: "w" };
const conditionsOf = (store: FakeObjectStore): Condition[] =>
  (store.object?.status as KindStatus | undefined)?.conditions ?? [];
const summary = (store: FakeObjectStore): string[] =>
  conditionsOf(store).map((c) => `${c.type}=${c.status}/${c.reason}`);
const next = (): Promise<StepResult> => Promise.resolve("continue");

describe("reconcileKind", () => {
  it("does nothing for an object that is gone", async () => {
    const store = new FakeObjectStore(undefined);
    assert.deepEqual(await reconcileKind(kind([], [next]), req, store.context()), {});
  });

  it("runs the steps in order, then the summary; cleanups run last, newest first", async () => {
    const calls: string[] = [];
    const store = new FakeObjectStore(widget());
    assert.deepEqual(await reconcileKind(kind(calls, [next, next]), req, store.context()), { requeueAfterMs: 60_000 });
    assert.deepEqual(calls, ["step0", "step1", "finish", "cleanup1", "cleanup0"]);
    assert.deepEqual(summary(store), ["Ready=True/Succeeded"]);
    assert.equal((store.object?.status as { observedGeneration?: number }).observedGeneration, 3);
  });

  it("stops at a step that says done", async () => {
    const calls: string[] = [];
    const store = new FakeObjectStore(widget());
    await reconcileKind(kind(calls, [() => Promise.resolve("done"), next]), req, store.context());
    assert.deepEqual(calls, ["step0", "finish", "cleanup0"]);
  });

  it("writes Suspended and runs no step; a second reconcile writes nothing", async () => {
    const calls: string[] = [];
    const store = new FakeObjectStore(widget({ suspend: true }));
    await reconcileKind(kind(calls, [next]), req, store.context());
    await reconcileKind(kind(calls, [next]), req, store.context());
    assert.deepEqual(calls, []);
    assert.deepEqual(summary(store), ["Ready=False/Suspended"]);
    assert.equal(store.statusPatches.length, 1);
  });

  it("adds no finalizer to a suspended object, one status write only; resumed, it gets the finalizer first", async () => {
    const calls: string[] = [];
    const store = new FakeObjectStore(widget({ suspend: true }));
    const finalizer = { name: "test.airlift.dev/cleanup", finalize: () => Promise.resolve() };
    await reconcileKind(kind(calls, [next], { finalizer }), req, store.context());
    assert.equal(store.object?.metadata.finalizers, undefined);
    assert.equal(store.gets, 1, "the one GET of the object; the status write is computed from it");
    assert.equal(store.statusPatches.length, 1);
    store.object = { ...store.object, spec: { suspend: false } } as KubeObject;
    await reconcileKind(kind(calls, [next], { finalizer }), req, store.context());
    assert.deepEqual(store.object?.metadata.finalizers, [finalizer.name]);
    assert.deepEqual(calls, ["step0", "finish", "cleanup0"]);
  });

  it("stops at the first error: a StallingError keeps its reason, stalls, and is looked at again later", async () => {
    const calls: string[] = [];
    const store = new FakeObjectStore(widget());
    const result = await reconcileKind(
      kind(calls, [() => Promise.reject(new StallingError("InvalidCredentialsSecret", "no key")), next]),
      req,
      store.context(),
    );
    assert.deepEqual(result, { requeueAfterMs: 30_000 });
    assert.deepEqual(calls, ["step0", "cleanup0"]);
    assert.deepEqual(summary(store), ["Stalled=True/InvalidCredentialsSecret", "Ready=False/InvalidCredentialsSecret"]);
    assert.equal(conditionsOf(store)[0]?.message, "failed to test: no key");
    assert.deepEqual(store.eventReasons, ["InvalidCredentialsSecret"]);
  });

  it("a permanent failure with nothing to look at later throws a StallingError for the controller", async () => {
    const store = new FakeObjectStore(widget());
    const k = kind([], [() => Promise.reject(new StallingError("InvalidSpec", "bad"))], {
      failed: (_r, f) => ({ message: f.message }),
    });
    await assert.rejects(
      reconcileKind(k, req, store.context()),
      (err: unknown) => err instanceof StallingError && err.reason === "InvalidSpec",
    );
  });

  it("an engine error goes to the kind's classifier; a transient one is retried with backoff", async () => {
    const store = new FakeObjectStore(widget());
    await assert.rejects(
      reconcileKind(kind([], [() => Promise.reject(new Error("socket hang up"))]), req, store.context()),
      (err: unknown) => err instanceof TransientError && err.reason === "RegistryUnavailable",
    );
    assert.deepEqual(summary(store), ["Reconciling=True/ProgressingWithRetry", "Ready=False/RegistryUnavailable"]);
  });

  it("a WaitingError retries after its own delay", async () => {
    const store = new FakeObjectStore(widget());
    const step = (): Promise<StepResult> => Promise.reject(new WaitingError("SecretNotFound", "not yet", 1234));
    await assert.rejects(
      reconcileKind(kind([], [step]), req, store.context()),
      (err: unknown) => err instanceof WaitingError && err.retryAfterMs === 1234,
    );
    assert.deepEqual(summary(store), ["Reconciling=True/ProgressingWithRetry", "Ready=False/SecretNotFound"]);
  });

  it("an object the parser refuses is Stalled with InvalidSpec", async () => {
    const store = new FakeObjectStore(widget({ fail: "parse" }));
    await assert.rejects(
      reconcileKind(kind([], [next]), req, store.context()),
      (err: unknown) => err instanceof StallingError && err.reason === "InvalidSpec",
    );
    assert.deepEqual(summary(store), ["Stalled=True/InvalidSpec", "Ready=False/InvalidSpec"]);
  });

  it("adds the finalizer first, and on deletion runs the hook once and removes it", async () => {
    const calls: string[] = [];
    const store = new FakeObjectStore(widget());
    const finalizer = { name: "test.airlift.dev/w", finalize: () => Promise.resolve(void calls.push("finalize")) };
    await reconcileKind(kind(calls, [next], { finalizer }), req, store.context());
    assert.deepEqual(store.object?.metadata.finalizers, ["test.airlift.dev/w"]);
    store.object = {
      ...widget(),
      metadata: { ...widget().metadata, finalizers: ["test.airlift.dev/w"], deletionTimestamp: "2026-01-01T00:00:00Z" },
    };
    assert.deepEqual(await reconcileKind(kind(calls, [next], { finalizer }), req, store.context()), {});
    assert.deepEqual(calls, ["step0", "finish", "cleanup0", "finalize"]);
    assert.deepEqual(store.object.metadata.finalizers, []);
  });
});
