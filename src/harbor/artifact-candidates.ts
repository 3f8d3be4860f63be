/**
 * Harbor artifacts → tag candidates: each tag of each artifact is one candidate carrying the tag's own
 * `push_time` (a tag moved onto an old artifact is "pushed" when it moved, which is what the runbook sorts by).
 */
import type { HarborArtifact } from "./artifact.ts";
import type { TagCandidate } from "./tag-policy.ts";

/** One candidate per tag; untagged artifacts give none. */
export function candidatesFromArtifacts(artifacts: Iterable<HarborArtifact>): TagCandidate[] {
  const out: TagCandidate[] = [];
  for (const artifact of artifacts) {
    for (const tag of artifact.tags) {
      const candidate: TagCandidate = { tag: tag.name, digest: artifact.digest, pushTime: tag.pushTime };
      if (artifact.mediaType !== "") candidate.mediaType = artifact.mediaType;
      if (artifact.artifactType !== undefined) candidate.artifactType = artifact.artifactType;
      out.push(candidate);
    }
  }
  return out;
}
