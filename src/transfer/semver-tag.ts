// Semver tag picking for a source that names a range instead of a tag (OciSync's `spec.oci.semver.range`): one tag
// listing, the highest tag inside the range wins. Tags are read loosely (`semver.clean`, so `v1.2.3` counts);
// ArtifactPull's stricter tag policies (Harbor push times, prerelease rules) live in src/harbor/tag-policy.ts.
import semver from "semver";

/** Picks the highest tag satisfying `range` (semver; tags with a leading `v` accepted); undefined when none does. */
export function pickSemverTag(tags: readonly string[], range: string): string | undefined {
  let best: { tag: string; version: string } | undefined;
  for (const tag of tags) {
    const version = semver.clean(tag);
    if (!version || !semver.satisfies(version, range)) continue;
    if (!best || semver.gt(version, best.version)) best = { tag, version };
  }
  return best?.tag;
}
