import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatReference, hasRegistryHost, parseReference, registryEndpointHost, type Reference } from "./reference.ts";
import type { Digest } from "../ocispec/digest.ts";

const component = fc.stringMatching(/^[a-z0-9]{1,8}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,8}){0,2}$/);
const repository = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
const host = fc.oneof(
  fc.constantFrom(
    "localhost:5000",
    "127.0.0.1:5000",
    "[::1]:5000",
    "registry.example.com",
    "harbor.corp.internal:8443",
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]\.[a-z]{2,5}$/),
);
const tag = fc.stringMatching(/^\w[\w.-]{0,30}$/);
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}` as Digest);
const reference: fc.Arbitrary<Reference> = fc
  .record({
    registry: host,
    repository,
    tag: fc.option(tag, { nil: undefined }),
    digest: fc.option(digest, { nil: undefined }),
  })
  .map(({ registry, repository: repo, tag: t, digest: d }) => ({
    registry,
    repository: repo,
    ...(t !== undefined ? { tag: t } : {}),
    ...(d !== undefined ? { digest: d } : {}),
  }))
  .filter(
    (r) => formatReference(r).length - (r.tag ? r.tag.length + 1 : 0) - (r.digest ? r.digest.length + 1 : 0) <= 255,
  );

describe("references", () => {
  it("round-trips: parse(format(r)) equals r", () => {
    fc.assert(fc.property(reference, (r) => assert.deepEqual(parseReference(formatReference(r)), r)));
  });

  it("applies Docker Hub defaults", () => {
    assert.deepEqual(parseReference("ubuntu"), { registry: "docker.io", repository: "library/ubuntu" });
    assert.deepEqual(parseReference("ubuntu:22.04"), {
      registry: "docker.io",
      repository: "library/ubuntu",
      tag: "22.04",
    });
    assert.deepEqual(parseReference("bitnami/nginx"), { registry: "docker.io", repository: "bitnami/nginx" });
    assert.deepEqual(parseReference("index.docker.io/nginx"), { registry: "docker.io", repository: "library/nginx" });
    assert.equal(registryEndpointHost("docker.io"), "registry-1.docker.io");
  });

  it("treats an uppercase first component as a registry host, as Docker does", () => {
    assert.deepEqual(parseReference("Registry/app"), { registry: "Registry", repository: "app" });
  });

  it("recognizes localhost, IP:port and IPv6 registries", () => {
    assert.equal(parseReference("localhost:5000/x").registry, "localhost:5000");
    assert.equal(parseReference("localhost/x").registry, "localhost");
    assert.deepEqual(parseReference("127.0.0.1:41234/team/app:v1"), {
      registry: "127.0.0.1:41234",
      repository: "team/app",
      tag: "v1",
    });
    assert.equal(parseReference("[::1]:5000/x").registry, "[::1]:5000");
  });

  it("keeps both tag and digest", () => {
    const d = `sha256:${"a".repeat(64)}`;
    assert.deepEqual(parseReference(`h.io/a/b:v1@${d}`), { registry: "h.io", repository: "a/b", tag: "v1", digest: d });
  });

  it("rejects garbage", () => {
    for (const bad of [
      "",
      "h.io/UPPER/case",
      "Upper",
      "h.io/a//b",
      "h.io/a:",
      "h.io/a:-x",
      "h.io/a@sha256:abc",
      "h.io/a@md5:" + "a".repeat(32),
      "h.io/-a",
      "h.io/a..b",
      `h.io/a:${"t".repeat(129)}`,
      "h.io/../x",
      "h.io/a b",
      `h.io/${"a".repeat(256)}`,
    ]) {
      assert.throws(
        () => parseReference(bad),
        (err: unknown) => (err as { code?: string }).code === "REFERENCE_INVALID",
        bad,
      );
    }
  });

  it("never throws anything but its typed error on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          const r = parseReference(s);
          assert.deepEqual(parseReference(formatReference(r)), r);
        } catch (err) {
          assert.equal((err as { code?: string }).code, "REFERENCE_INVALID");
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("hasRegistryHost", () => {
  it("agrees with the parser: a reference without a host is the one parsed onto docker.io", () => {
    for (const text of ["ubuntu", "ubuntu:22.04", "team/config:v1", "a/b/c@sha256:" + "0".repeat(64)]) {
      assert.equal(hasRegistryHost(text), false, text);
      assert.equal(parseReference(text).registry, "docker.io", text);
    }
    for (const text of ["harbor.site.example/team/config:v1", "localhost:5000/a:v1", "localhost/a", "[::1]:5000/a"]) {
      assert.equal(hasRegistryHost(text), true, text);
      assert.notEqual(parseReference(text).registry, "docker.io", text);
    }
  });
});
