import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DestinationPlanError, planDestinations, splitRepoTag } from "./destinations.ts";

const harbor = "harbor.example.com";

describe("splitRepoTag", () => {
  it("drops a registry host and defaults the tag", () => {
    assert.deepEqual(splitRepoTag("docker.io/library/nginx:1.25"), { path: "library/nginx", tag: "1.25" });
    assert.deepEqual(splitRepoTag("localhost:5000/a/b"), { path: "a/b", tag: "latest" });
    assert.deepEqual(splitRepoTag("oracle_db:19c"), { path: "oracle_db", tag: "19c" });
    assert.deepEqual(splitRepoTag("team/app"), { path: "team/app", tag: "latest" });
  });
});

describe("planDestinations", () => {
  it("pushes a single image under the requested repository and tags (the runbook's docker tag + push)", () => {
    const plans = planDestinations([{ index: 0, names: ["oracle_db:latest"] }], {
      registry: harbor,
      repository: "gdc/oracle_db",
      tags: ["19c", "latest"],
    });
    assert.deepEqual(plans[0]?.targets, [
      { registry: harbor, repository: "gdc/oracle_db", tag: "19c" },
      { registry: harbor, repository: "gdc/oracle_db", tag: "latest" },
    ]);
  });

  it("keeps every RepoTag of a multi-image archive, rewritten under the project", () => {
    const plans = planDestinations(
      [
        { index: 0, names: ["docker.io/library/nginx:1.25", "nginx:stable"] },
        { index: 1, names: ["quay.io/team/tool:v2"] },
      ],
      { registry: harbor, repositoryPrefix: "mirror" },
    );
    assert.deepEqual(
      plans.map((p) => p.targets.map((t) => `${t.repository}:${t.tag}`)),
      [["mirror/library/nginx:1.25", "mirror/nginx:stable"], ["mirror/team/tool:v2"]],
    );
  });

  it("selects and renames entries of a multi-image archive by name or index", () => {
    const images = [
      { index: 0, names: ["a:1"] },
      { index: 1, names: ["b:2"] },
    ];
    const plans = planDestinations(images, { registry: harbor }, [
      { source: "b:2", repository: "proj/bee", tags: ["x"] },
      { source: "#0" },
    ]);
    assert.deepEqual(
      plans.map((p) => [p.index, p.targets.map((t) => `${t.repository}:${t.tag}`)]),
      [
        [1, ["proj/bee:x"]],
        [0, ["a:1"]],
      ],
    );
  });

  it("refuses what it cannot place, saying what to change", () => {
    const two = [
      { index: 0, names: ["a:1"] },
      { index: 1, names: ["b:1"] },
    ];
    assert.throws(
      () => planDestinations(two, { registry: harbor, repository: "p/x", tags: ["1"] }),
      /holds 2 images: use images\[\]/,
    );
    assert.throws(() => planDestinations([{ index: 0, names: [] }], { registry: harbor }), /no RepoTags/);
    assert.throws(
      () => planDestinations(two, { registry: harbor }, [{ source: "zzz:1" }]),
      /not in the archive \(it holds: a:1, b:1\)/,
    );
    assert.throws(
      () => planDestinations([{ index: 0, names: ["a:1"] }], { registry: harbor, repository: "Bad/Repo", tags: ["1"] }),
      DestinationPlanError,
    );
    assert.throws(
      () =>
        planDestinations(two, { registry: harbor }, [
          { source: "#0", repository: "p/same", tags: ["t"] },
          { source: "#1", repository: "p/same", tags: ["t"] },
        ]),
      /pushed by two images/,
    );
  });
});
