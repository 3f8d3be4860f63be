// Narrowing of Harbor's artifact list and the API path / paging helpers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { artifactsPath, encodeRepositoryName, nextPageFromLink } from "./api-paths.ts";
import { candidatesFromArtifacts } from "./artifact-candidates.ts";
import { narrowArtifactPage } from "./artifact.ts";
import { selectTag } from "./tag-policy.ts";
import { parseErrorsBody } from "../net/error-body.ts";
import {
  HarborResponseShapeError,
  errorForStatus,
  HarborNotFoundError,
  HarborServerError,
  HarborUnauthorizedError,
} from "./errors.ts";

const D1 = `sha256:${"1".repeat(64)}`;

/** An artifact as Harbor 2.x documents it (swagger definitions Artifact and Tag). */
function harborArtifact(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 7,
    type: "IMAGE",
    media_type: "application/vnd.oci.image.config.v1+json",
    manifest_media_type: "application/vnd.oci.image.manifest.v1+json",
    artifact_type: "application/vnd.oci.image.config.v1+json",
    project_id: 2,
    repository_id: 3,
    digest: D1,
    size: 1234,
    icon: "sha256:0048162a053eef4d4ce3fe7518615bef084403614f8bca43b40ae2e762e11e06",
    push_time: "2025-01-02T03:04:05.678Z",
    pull_time: "0001-01-01T00:00:00.000Z",
    extra_attrs: { architecture: "amd64", os: "linux" },
    annotations: null,
    references: null,
    tags: [
      {
        id: 1,
        repository_id: 3,
        artifact_id: 7,
        name: "v1",
        push_time: "2025-01-02T03:04:05.000Z",
        pull_time: "0001-01-01T00:00:00.000Z",
        immutable: false,
      },
      {
        id: 2,
        repository_id: 3,
        artifact_id: 7,
        name: "stable",
        push_time: "2025-01-05T00:00:00.000Z",
        pull_time: "0001-01-01T00:00:00.000Z",
        immutable: true,
      },
    ],
    addition_links: {},
    labels: null,
    accessories: null,
    ...overrides,
  };
}

describe("narrowArtifactPage", () => {
  it("keeps the fields the client uses, and each tag's own push time becomes a candidate", () => {
    const [a] = narrowArtifactPage([harborArtifact()]);
    assert.ok(a);
    assert.equal(a.digest, D1);
    assert.equal(a.manifestMediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.deepEqual(a.references, []);
    assert.equal(a.tags[1]?.immutable, true);
    assert.deepEqual(candidatesFromArtifacts([a]), [
      {
        tag: "v1",
        digest: D1,
        pushTime: "2025-01-02T03:04:05.000Z",
        mediaType: "application/vnd.oci.image.config.v1+json",
        artifactType: "application/vnd.oci.image.config.v1+json",
      },
      {
        tag: "stable",
        digest: D1,
        pushTime: "2025-01-05T00:00:00.000Z",
        mediaType: "application/vnd.oci.image.config.v1+json",
        artifactType: "application/vnd.oci.image.config.v1+json",
      },
    ]);
  });

  it("an untagged artifact (tags: null) gives no candidate", () => {
    assert.deepEqual(candidatesFromArtifacts(narrowArtifactPage([harborArtifact({ tags: null })])), []);
  });

  it("fails clearly, naming the field, on another shape", () => {
    assert.throws(() => narrowArtifactPage({ repositories: [] }), HarborResponseShapeError);
    assert.throws(() => narrowArtifactPage([harborArtifact({ digest: 42 })]), /artifacts\[0\]\.digest is not a string/);
    assert.throws(() => narrowArtifactPage([harborArtifact({ digest: "latest" })]), /digest is not a digest/);
    assert.throws(
      () => narrowArtifactPage([harborArtifact({ push_time: "yesterday" })]),
      /push_time is not a date-time/,
    );
    assert.throws(
      () => narrowArtifactPage([harborArtifact(), harborArtifact({ tags: [{ name: 5 }] })]),
      /artifacts\[1\]\.tags\[0\]\.name/,
    );
    assert.throws(() => narrowArtifactPage([harborArtifact({ tags: "v1" })]), /tags is not an array/);
  });
});

describe("accessories", () => {
  const D2 = `sha256:${"2".repeat(64)}`;
  const accessory = {
    id: 1,
    artifact_id: 9,
    subject_artifact_id: 7,
    subject_artifact_digest: D1,
    subject_artifact_repo: "p/app",
    size: 600,
    digest: D2,
    type: "subject.accessory",
    icon: "",
    creation_time: "2025-01-02T03:04:06.000Z",
  };

  it("narrows with_accessory's list; a listed artifact named as an accessory is a candidate with a subject", () => {
    const late = { name: "sbom", push_time: "2025-02-01T00:00:00.000Z" };
    const page = narrowArtifactPage([
      harborArtifact({ accessories: [accessory] }),
      harborArtifact({ id: 9, digest: D2, tags: [late], accessories: null }),
    ]);
    assert.deepEqual(page[0]?.accessories, [{ digest: D2, subjectDigest: D1, type: "subject.accessory" }]);
    const candidates = candidatesFromArtifacts(page);
    assert.equal(candidates.find((c) => c.tag === "sbom")?.hasSubject, true);
    assert.equal(candidates.find((c) => c.tag === "v1")?.hasSubject, undefined);
    // The accessory was pushed last: skipped as "subject", unless signatures are wanted.
    const picked = selectTag(candidates, { newestPushed: {} });
    assert.notEqual(picked.candidate.tag, "sbom");
    assert.equal(picked.skipped.subject, 1);
    assert.equal(selectTag(candidates, { newestPushed: {} }, { excludeSignatures: false }).candidate.tag, "sbom");
  });

  it("refuses an accessory without a digest", () => {
    assert.throws(
      () => narrowArtifactPage([harborArtifact({ accessories: [{ ...accessory, digest: 5 }] })]),
      /artifacts\[0\]\.accessories\[0\]\.digest is not a string/,
    );
  });
});

describe("API paths and paging", () => {
  it("encodes a nested repository name twice", () => {
    assert.equal(encodeRepositoryName("a/b"), "a%252Fb");
    assert.equal(
      artifactsPath("lib", "team/app/x"),
      "/api/v2.0/projects/lib/repositories/team%252Fapp%252Fx/artifacts",
    );
  });

  it("reads the next page from Harbor's Link header, ignoring prev", () => {
    const link =
      '</api/v2.0/projects/p/repositories/r/artifacts?page=1&page_size=2>; rel="prev" , </api/v2.0/projects/p/repositories/r/artifacts?page=3&page_size=2>; rel="next"';
    assert.equal(nextPageFromLink(link, 2), 3);
    assert.equal(nextPageFromLink('</x?page=1>; rel="prev"', 2), undefined);
    assert.equal(nextPageFromLink(undefined, 1), undefined);
    // A link that does not move forward still advances by one (no endless loop on the same page).
    assert.equal(nextPageFromLink('</x?page=1>; rel="next"', 1), 2);
  });
});

describe("errors", () => {
  it("maps statuses to typed errors with Harbor's code and transient flag", () => {
    const body = parseErrorsBody('{"errors":[{"code":"NOT_FOUND","message":"repository p/r not found"}]}');
    const nf = errorForStatus(404, "list artifacts of p/r", body);
    assert.ok(nf instanceof HarborNotFoundError);
    assert.equal(nf.code, "NOT_FOUND");
    assert.equal(nf.transient, false);
    assert.match(nf.message, /failed to list artifacts of p\/r: status 404: NOT_FOUND \(repository p\/r not found\)/);
    assert.ok(errorForStatus(401, "x", []) instanceof HarborUnauthorizedError);
    const busy = errorForStatus(503, "x", []);
    assert.ok(busy instanceof HarborServerError);
    assert.equal(busy.transient, true);
    assert.deepEqual(parseErrorsBody("<html>"), []);
  });
});
