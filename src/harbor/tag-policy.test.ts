// Tag selection by policy: newestPushed, semver, pattern, attachment filtering, and the error that explains
// an empty result. Properties with fast-check where the rule is general.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  InvalidTagPolicyError,
  NoMatchingTagError,
  compareNewestPushed,
  selectTag,
  type TagCandidate,
} from "./tag-policy.ts";

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;
const at = (minute: number): string => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();
const cand = (tag: string, minute: number, extra: Partial<TagCandidate> = {}): TagCandidate => ({
  tag,
  digest: digest(minute),
  pushTime: at(minute),
  ...extra,
});

describe("newestPushed", () => {
  it("picks the latest push time and skips the .sig tag pushed after it", () => {
    const tags = [cand("v1", 1), cand("v3", 3), cand("v2", 2), cand("sha256-abcdef0123456789abcdef.sig", 4)];
    const picked = selectTag(tags, { newestPushed: {} });
    assert.equal(picked.candidate.tag, "v3");
    assert.equal(picked.considered, 3);
    assert.deepEqual(picked.skipped, { "signature-tag": 1 });
  });

  it("with excludeSignatures: false the .sig tag wins when it is newest", () => {
    const tags = [cand("v1", 1), cand("v1.sig", 9)];
    assert.equal(selectTag(tags, { newestPushed: {} }, { excludeSignatures: false }).candidate.tag, "v1.sig");
  });

  it("skips .att, .sbom, sha256-* tags, subjects and non-image artifact types, but not image configs", () => {
    const tags = [
      cand("app.att", 9),
      cand("app.SBOM", 9),
      cand("sha256-0123456789abcdef0123", 9),
      cand("signed", 9, { hasSubject: true }),
      cand("notation", 9, { artifactType: "application/vnd.cncf.notary.signature" }),
      cand("image", 5, { artifactType: "application/vnd.oci.image.config.v1+json" }),
      cand("old", 1),
    ];
    const picked = selectTag(tags, {});
    assert.equal(picked.candidate.tag, "image");
    assert.deepEqual(picked.skipped, { "signature-tag": 2, "digest-tag": 1, subject: 1, "artifact-type": 1 });
  });

  it("pulls non-image content (Helm charts, ORAS bundles) but not SBOMs unless allowed", () => {
    const chart = "application/vnd.cncf.helm.config.v1+json";
    const sbom = "application/spdx+json";
    const tags = [
      cand("sbom-1", 9, { artifactType: sbom }),
      cand("chart-1", 5, { artifactType: chart }),
      cand("img", 1),
    ];
    assert.equal(selectTag(tags, {}).candidate.tag, "chart-1");
    assert.equal(selectTag(tags, {}, { allowArtifactTypes: [sbom] }).candidate.tag, "sbom-1");
  });

  it("breaks push-time ties by tag name then digest, whatever the input order", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            tag: fc.constantFrom("a", "b", "c", "v1", "v2"),
            minute: fc.integer({ min: 0, max: 3 }),
            d: fc.integer({ min: 0, max: 3 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (rows) => {
          const tags = rows.map((r) => ({ tag: r.tag, digest: digest(r.d), pushTime: at(r.minute) }));
          const forward = selectTag(tags, { newestPushed: {} }).candidate;
          const backward = selectTag([...tags].reverse(), { newestPushed: {} }).candidate;
          assert.deepEqual(forward, backward);
          // Nothing beats the winner.
          for (const t of tags) assert.ok(compareNewestPushed(forward, t) <= 0);
        },
      ),
    );
  });

  it("the winner's push time is the maximum of the non-attachment tags", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,8}$/), fc.integer({ min: 0, max: 10_000 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (rows) => {
          const tags = rows.map(([tag, minute]) => cand(tag, minute));
          const eligible = tags.filter((t) => !/\.(sig|att|sbom)$/.test(t.tag));
          if (eligible.length === 0) {
            assert.throws(() => selectTag(tags, {}), NoMatchingTagError);
            return;
          }
          const max = Math.max(...eligible.map((t) => Date.parse(t.pushTime)));
          assert.equal(Date.parse(selectTag(tags, {}).candidate.pushTime), max);
        },
      ),
    );
  });
});

describe("semver", () => {
  const tags = [
    cand("v1.2.0", 5),
    cand("1.10.0", 1),
    cand("v2.0.0-rc.1", 9),
    cand("latest", 10),
    cand("1.9.9", 2),
    cand("2.0.0-rc.1.sig", 11),
  ];

  it("picks the highest version in range, with or without a v prefix, regardless of push time", () => {
    const picked = selectTag(tags, { semver: { range: "^1.0.0" } });
    assert.equal(picked.candidate.tag, "1.10.0");
    assert.deepEqual(picked.skipped, { "signature-tag": 1, "not-semver": 1, "semver-range": 1 });
  });

  it("includes prereleases only when the range asks for one", () => {
    assert.equal(selectTag(tags, { semver: { range: ">=2.0.0-0 <3" } }).candidate.tag, "v2.0.0-rc.1");
    assert.throws(() => selectTag(tags, { semver: { range: ">=2.0.0 <3" } }), NoMatchingTagError);
    assert.equal(selectTag(tags, { semver: { range: "*" } }).candidate.tag, "1.10.0");
  });

  it("equal versions (build metadata, v prefix) fall back to the newest push", () => {
    const same = [cand("v1.0.0", 3), cand("1.0.0+build.7", 8), cand("1.0.0", 1)];
    assert.equal(selectTag(same, { semver: { range: "1.x" } }).candidate.tag, "1.0.0+build.7");
  });

  it("the pick satisfies the range and no other semver candidate is higher", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.boolean()), { minLength: 1, maxLength: 15 }),
        fc.nat(3),
        (versions, major) => {
          const tags = versions.map(([a, b, c, v], i) => cand(`${v ? "v" : ""}${a}.${b}.${c}`, i));
          const range = `>=${major}.0.0 <${major + 1}.0.0`;
          const inRange = versions.filter(([a]) => a === major);
          if (inRange.length === 0) {
            assert.throws(() => selectTag(tags, { semver: { range } }), NoMatchingTagError);
            return;
          }
          const best = inRange.map(([, b, c]) => b * 100 + c).reduce((x, y) => Math.max(x, y));
          const got = selectTag(tags, { semver: { range } }).candidate.tag.replace(/^v/, "").split(".").map(Number);
          assert.equal(got[0], major);
          assert.equal((got[1] ?? 0) * 100 + (got[2] ?? 0), best);
        },
      ),
    );
  });
});

describe("pattern", () => {
  const tags = [cand("prod-1", 1), cand("dev-9", 9), cand("prod-2", 2), cand("v1.4.0-prod", 3), cand("v1.5.0-dev", 8)];

  it("alone, filters then picks the newest pushed match", () => {
    const picked = selectTag(tags, { pattern: { regex: "^prod-" } });
    assert.equal(picked.candidate.tag, "prod-2");
    assert.deepEqual(picked.skipped, { pattern: 3 });
  });

  it("combines with semver and with newestPushed", () => {
    assert.equal(
      selectTag(tags, { semver: { range: ">=1.0.0-0" }, pattern: { regex: "-prod$" } }).candidate.tag,
      "v1.4.0-prod",
    );
    assert.equal(selectTag(tags, { newestPushed: {}, pattern: { regex: "dev" } }).candidate.tag, "dev-9");
  });

  it("rejects bad policies with InvalidTagPolicyError", () => {
    assert.throws(() => selectTag(tags, { pattern: { regex: "(" } }), InvalidTagPolicyError);
    assert.throws(() => selectTag(tags, { semver: { range: "not a range !!" } }), InvalidTagPolicyError);
    assert.throws(() => selectTag(tags, { newestPushed: {}, semver: { range: "*" } }), InvalidTagPolicyError);
  });
});

describe("NoMatchingTagError", () => {
  it("says how many tags were considered and why each group was skipped", () => {
    const err = (() => {
      try {
        selectTag([cand("a.sig", 1), cand("b.att", 2), cand("latest", 3)], { semver: { range: "^1" } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof NoMatchingTagError);
    assert.equal(err.code, "NO_MATCHING_TAG");
    assert.equal(err.total, 3);
    assert.deepEqual(err.skipped, { "signature-tag": 2, "not-semver": 1 });
    assert.match(err.message, /no tag matches semver "\^1": 3 tags considered, skipped 2 signature-tag, 1 not-semver/);
  });

  it("an empty repository is a NoMatchingTagError with zero tags", () => {
    assert.throws(() => selectTag([], { newestPushed: {} }), /0 tags considered/);
  });
});
