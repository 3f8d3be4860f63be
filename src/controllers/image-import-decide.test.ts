import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Condition } from "../api/meta.ts";
import type { ImageImportStatus } from "../api/image-import.ts";
import { alreadyImported, importInputs, stalledOnInputs, type ImportInputs } from "./image-import-decide.ts";

const T = "2026-01-01T00:00:00Z";
const ready = (status: "True" | "False"): Condition[] => [
  {
    type: "Ready",
    status,
    reason: status === "True" ? "Succeeded" : "InvalidArchive",
    message: "",
    lastTransitionTime: T,
  },
];
const stalled: Condition[] = [
  ...ready("False"),
  { type: "Stalled", status: "True", reason: "InvalidArchive", message: "", lastTransitionTime: T },
];
const retrying: Condition[] = [
  ...ready("False"),
  { type: "Reconciling", status: "True", reason: "ProgressingWithRetry", message: "", lastTransitionTime: T },
];

describe("alreadyImported", () => {
  const cases: { name: string; status: ImageImportStatus | undefined; gen: number; etag: string; want: boolean }[] = [
    { name: "no status yet", status: undefined, gen: 1, etag: "e1", want: false },
    {
      name: "same ETag, same generation, Ready",
      status: { sourceRevision: "e1", observedGeneration: 1, conditions: ready("True") },
      gen: 1,
      etag: "e1",
      want: true,
    },
    {
      name: "the archive was replaced",
      status: { sourceRevision: "e1", observedGeneration: 1, conditions: ready("True") },
      gen: 1,
      etag: "e2",
      want: false,
    },
    {
      name: "the spec changed",
      status: { sourceRevision: "e1", observedGeneration: 1, conditions: ready("True") },
      gen: 2,
      etag: "e1",
      want: false,
    },
    {
      name: "the last import failed",
      status: { sourceRevision: "e1", observedGeneration: 1, conditions: ready("False") },
      gen: 1,
      etag: "e1",
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(alreadyImported(c.status, c.gen, c.etag), c.want));
});

describe("stalledOnInputs", () => {
  const attempt = { revision: "e1", generation: 1, inputs: "abc" };
  const cases: { name: string; status: ImageImportStatus | undefined; inputs: string; want: boolean }[] = [
    { name: "no status yet", status: undefined, inputs: "abc", want: false },
    {
      name: "stalled on these inputs: wait for a change",
      status: { lastAttempt: attempt, conditions: stalled },
      inputs: "abc",
      want: true,
    },
    {
      name: "stalled, but an input changed",
      status: { lastAttempt: attempt, conditions: stalled },
      inputs: "def",
      want: false,
    },
    {
      name: "the attempt on these inputs is being retried",
      status: { lastAttempt: attempt, conditions: retrying },
      inputs: "abc",
      want: false,
    },
    {
      name: "an attempt written before inputs were recorded",
      status: { lastAttempt: { revision: "e1", generation: 1 }, conditions: stalled },
      inputs: "abc",
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(stalledOnInputs(c.status, c.inputs), c.want));
});

describe("importInputs", () => {
  const base: ImportInputs = {
    generation: 1,
    etag: "e1",
    registry: "harbor.example.com",
    s3Endpoint: "https://s3.example.com",
    secretVersions: ["ns/creds@10", "ns/ca@4"],
  };
  it("is stable, and ignores the order the Secrets were read in", () => {
    assert.equal(importInputs(base), importInputs({ ...base, secretVersions: ["ns/ca@4", "ns/creds@10"] }));
    assert.match(importInputs(base), /^[0-9a-f]{64}$/);
  });
  it("changes with the generation, the ETag, an endpoint or a Secret's version", () => {
    const changed: ImportInputs[] = [
      { ...base, generation: 2 },
      { ...base, etag: "e2" },
      { ...base, registry: "other.example.com" },
      { ...base, s3Endpoint: "https://other" },
      { ...base, secretVersions: ["ns/creds@11", "ns/ca@4"] },
    ];
    for (const c of changed) assert.notEqual(importInputs(c), importInputs(base));
  });
});
