// The API server refuses each invalid object of the validation table (src/api/validation-cases.ts) with the
// table's message: every schema and CEL rule that catches a user mistake at `kubectl apply` time, one test each.
// The same table runs through parse.ts in src/api/parse.test.ts, so both sides refuse the same objects.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { testEnv } from "../env/index.ts";
import { ALL_KINDS, GROUP, VERSION } from "../../src/api/index.ts";
import { sampleArtifactPull, sampleImageImport, sampleOciSync } from "../fixtures/api/sample-objects.ts";
import { INVALID_CASES } from "../fixtures/api/validation-cases.ts";
import { createNamespace, installCrds, kubeClient, type Kube } from "./api-kube-support.ts";

const ns = `api-validation-${randomBytes(3).toString("hex")}`;
let kube: Kube;

before(async () => {
  kube = kubeClient(await testEnv());
  await installCrds(kube);
  await createNamespace(kube, ns);
});
after(() => kube.close());

describe("the API server refuses invalid objects with actionable messages", () => {
  INVALID_CASES.forEach((c, i) => {
    it(c.name, async () => {
      const obj = c.build(`invalid-${i}`, ns);
      const plural = ALL_KINDS.find((k) => k.kind === obj.kind)!.plural;
      const answer = await kube.call("POST", `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${plural}`, { body: obj });
      assert.equal(answer.status, 422, `accepted: ${JSON.stringify(obj.spec)}`);
      assert.equal(answer.body.reason, "Invalid");
      const message = String(answer.body.message);
      assert.ok(message.includes(c.message), `expected "${c.message}" in: ${message}`);
      if (c.path) assert.ok(message.includes(`${c.path}:`), `expected the field ${c.path} in: ${message}`);
    });
  });

  it("the samples themselves are accepted (the table's rows fail for their one mutation only)", async () => {
    for (const obj of [sampleImageImport("valid", ns), sampleArtifactPull("valid", ns), sampleOciSync("valid", ns)]) {
      const plural = ALL_KINDS.find((k) => k.kind === obj.kind)!.plural;
      const answer = await kube.call("POST", `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${plural}`, {
        body: obj,
        query: { dryRun: "All" },
      });
      assert.equal(answer.status, 201, String(answer.body.message));
    }
  });
});
