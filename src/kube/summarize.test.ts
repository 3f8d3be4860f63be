import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeObjectStore, WIDGETS } from "../../test/fixtures/kube/reconcile-kit.ts";
import type { KubeObject } from "./resource.ts";
import { Summarizer, conditionsFor, sameJson, withKindConditions, type KindStatus, type Verdict } from "./summarize.ts";

describe("conditionsFor", () => {
  const cases: { verdict: Verdict; want: string[] }[] = [
    { verdict: { kind: "ready", message: "ok" }, want: ["Ready=True/Succeeded"] },
    {
      verdict: { kind: "ready", message: "ok", reason: "TLSVerificationDisabled" },
      want: ["Ready=True/TLSVerificationDisabled"],
    },
    {
      verdict: { kind: "progressing", message: "pulling" },
      want: ["Reconciling=True/Progressing", "Ready=Unknown/Progressing"],
    },
    {
      verdict: { kind: "progressing", message: "waiting", reason: "HealthPending" },
      want: ["Reconciling=True/HealthPending", "Ready=Unknown/HealthPending"],
    },
    {
      verdict: { kind: "stalled", reason: "InvalidArchive", message: "bad" },
      want: ["Stalled=True/InvalidArchive", "Ready=False/InvalidArchive"],
    },
    {
      verdict: { kind: "retrying", reason: "RegistryUnavailable", message: "503" },
      want: ["Reconciling=True/ProgressingWithRetry", "Ready=False/RegistryUnavailable"],
    },
    { verdict: { kind: "suspended", message: "suspend" }, want: ["Ready=False/Suspended"] },
  ];
  for (const c of cases) {
    it(`${c.verdict.kind} ${"reason" in c.verdict ? (c.verdict.reason ?? "") : ""}`, () => {
      assert.deepEqual(
        conditionsFor(undefined, 2, c.verdict).map((x) => `${x.type}=${x.status}/${x.reason}`),
        c.want,
      );
      assert.ok(conditionsFor(undefined, 2, c.verdict).every((x) => x.observedGeneration === 2));
    });
  }
});

describe("sameJson", () => {
  it("ignores key order and absent or null fields", () => {
    assert.equal(sameJson({ a: 1, b: { c: [1, 2], d: null } }, { b: { c: [1, 2] }, a: 1 }), true);
    assert.equal(sameJson({ a: [1, 2] }, { a: [2, 1] }), false);
  });
});

describe("Summarizer", () => {
  const obj = (): KubeObject => ({
    apiVersion: "test.airlift.dev/v1",
    kind: "Widget",
    metadata: { name: "w", namespace: "ns", generation: 4, resourceVersion: "1" },
  });
  const summarizer = (store: FakeObjectStore): Summarizer<KindStatus & { note?: string }> =>
    new Summarizer(store.context(), WIDGETS, obj(), (latest) => latest.status ?? {});

  it("writes the verdict's conditions with the fields and observedGeneration, and skips a write that changes nothing", async () => {
    const store = new FakeObjectStore(obj());
    const s = summarizer(store);
    await s.summarize(() => ({ verdict: { kind: "ready", message: "ok" }, fields: { note: "n" } }));
    await s.summarize(() => ({ verdict: { kind: "ready", message: "ok" }, fields: { note: "n" } }));
    assert.equal(store.statusPatches.length, 1);
    const status = store.object?.status as KindStatus & { note?: string };
    assert.equal(status.note, "n");
    assert.equal(status.observedGeneration, 4);
  });

  it("computes writes from the seeded object and its own last write, and re-reads only after a 409", async () => {
    const store = new FakeObjectStore(obj());
    const s = summarizer(store);
    s.seed(obj());
    await s.summarize(() => ({ verdict: { kind: "progressing", message: "working" } }));
    await s.summarize(() => ({ verdict: { kind: "ready", message: "ok" } }));
    assert.equal(store.gets, 0, "no GET while the last copy is current");
    assert.equal(store.statusPatches.length, 2);
    // Someone else changes the object: the stale copy's write gets 409, then the fresh copy is read and written.
    store.object = {
      ...structuredClone(store.object),
      metadata: { ...store.object?.metadata, resourceVersion: "9" },
    } as KubeObject;
    await s.summarize(() => ({ verdict: { kind: "ready", message: "ok" }, fields: { note: "after" } }));
    assert.equal(store.gets, 1);
    assert.equal((store.object?.status as { note?: string }).note, "after");
  });

  it("leaves observedGeneration alone for an intent write", async () => {
    const store = new FakeObjectStore(obj());
    await summarizer(store).patch(() => ({ note: "intent" }), { observe: false });
    assert.deepEqual(store.object?.status, { note: "intent" });
  });

  it("keeps progress writes in order with the final write", async () => {
    const store = new FakeObjectStore(obj());
    const s = summarizer(store);
    s.progress({ note: "1" });
    s.progress({ note: "2" });
    await s.summarize(() => ({ verdict: { kind: "ready", message: "ok" }, fields: { note: "final" } }));
    assert.deepEqual(
      store.statusPatches.map((p) => (p as { note?: string }).note),
      ["1", "2", "final"],
    );
  });
});

describe("withKindConditions", () => {
  it("sets a kind's own condition next to the verdict's and removes it on request", () => {
    const base = conditionsFor(undefined, 1, { kind: "ready", message: "ok" });
    const set = withKindConditions(base, {
      set: [{ type: "SourceVerified", status: "True", reason: "SignatureVerified", message: "key sha256:ab" }],
    });
    assert.deepEqual(
      set.map((c) => `${c.type}=${c.status}`),
      ["Ready=True", "SourceVerified=True"],
    );
    const again = conditionsFor(set, 2, { kind: "stalled", reason: "SignatureMissing", message: "none" });
    assert.ok(
      again.some((c) => c.type === "SourceVerified"),
      "a verdict alone leaves a kind's condition in place",
    );
    assert.deepEqual(
      withKindConditions(again, { remove: ["SourceVerified"] }).map((c) => c.type),
      ["Ready", "Stalled"].filter((t) => again.some((c) => c.type === t)),
    );
  });
});
