// classifyS3Error: the SDK's error name or the HTTP status decides the class, the stronger meaning first.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AccessDeniedError,
  classifyS3Error,
  SourceChangedError,
  SourceNotFoundError,
  StorageRequestError,
  StorageUnavailableError,
} from "./errors.ts";

function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  const err = new Error(`${name} happened`);
  err.name = name;
  return Object.assign(err, status === undefined ? {} : { $metadata: { httpStatusCode: status } }, extra);
}

describe("classifyS3Error", () => {
  it("maps names and statuses to classes with stable codes", () => {
    const cases: [Error, new (...args: never[]) => Error, string][] = [
      [sdkError("NoSuchKey", 404), SourceNotFoundError, "SOURCE_NOT_FOUND"],
      [sdkError("NotFound"), SourceNotFoundError, "SOURCE_NOT_FOUND"],
      [sdkError("UnknownError", 403), AccessDeniedError, "ACCESS_DENIED"],
      [sdkError("SignatureDoesNotMatch", 400), AccessDeniedError, "ACCESS_DENIED"],
      [sdkError("PreconditionFailed", 412), SourceChangedError, "SOURCE_CHANGED"],
      [sdkError("SlowDown", 200), StorageUnavailableError, "STORAGE_UNAVAILABLE"],
      [sdkError("UnknownError", 503), StorageUnavailableError, "STORAGE_UNAVAILABLE"],
      [sdkError("InternalError", 404), SourceNotFoundError, "SOURCE_NOT_FOUND"],
      [sdkError("Error", undefined, { code: "ECONNRESET" }), StorageUnavailableError, "STORAGE_NETWORK"],
      [sdkError("Error"), StorageUnavailableError, "STORAGE_NETWORK"],
      [sdkError("InvalidRange", 416), StorageRequestError, "STORAGE_REQUEST_FAILED"],
    ];
    for (const [err, type, code] of cases) {
      const got = classifyS3Error(err, "s3://b/k") as StorageRequestError;
      assert.ok(got instanceof type, `${err.name}: ${got.constructor.name}`);
      assert.equal(got.code, code, err.name);
      assert.equal(got.cause, err);
    }
  });

  it("says which are transient, and leaves aborts and StorageErrors as they are", () => {
    assert.equal((classifyS3Error(sdkError("UnknownError", 429), "x") as StorageUnavailableError).transient, true);
    assert.equal((classifyS3Error(sdkError("NoSuchBucket", 404), "x") as SourceNotFoundError).transient, false);
    const abort = sdkError("AbortError");
    assert.equal(classifyS3Error(abort, "x"), abort);
    const known = new SourceChangedError("changed");
    assert.equal(classifyS3Error(known, "x"), known);
    assert.ok(classifyS3Error("text", "x") instanceof StorageRequestError);
  });
});
