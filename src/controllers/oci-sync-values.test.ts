// The masking that keeps substituteFrom Secrets' values out of status, events and logs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactSecrets } from "./oci-sync-values.ts";

describe("redactSecrets", () => {
  it("masks every occurrence of every Secret value, the longest first", () => {
    const message = 'metadata.labels: Invalid value: "s3cr3t-long": and again s3cr3t-long, then s3cr3t';
    assert.equal(
      redactSecrets(message, ["s3cr3t", "s3cr3t-long"]),
      'metadata.labels: Invalid value: "***": and again ***, then ***',
    );
  });

  it("leaves a message without the values, and values under 4 characters, as they are", () => {
    assert.equal(
      redactSecrets("failed to apply ConfigMap a/b: 422", ["abc", "zzzz"]),
      "failed to apply ConfigMap a/b: 422",
    );
  });
});
