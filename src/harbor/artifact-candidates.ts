/**
 * Harbor artifacts → tag candidates: each tag of each artifact is one candidate carrying the tag's own
 * `push_time` (a tag moved onto an old artifact is "pushed" when it moved, which is what the runbook sorts by).
 */
import type { HarborArtifact } from "./artifact.ts";
import type { TagCandidate } from "./tag-policy.ts";

/**
 * One candidate per tag; untagged artifacts give none. An artifact that another listed artifact names among its
 * `accessories` has a subject (Harbor 2.8+ leaves accessories out of the list itself; a listing that shows one
 * anyway, or a Harbor-compatible server that lists them, still gets it filtered as a signature).
 */
export function candidatesFromArtifacts(artifacts: Iterable<HarborArtifact>): TagCandidate[] {
  const all = [...artifacts];
  const accessories = new Set(all.flatMap((a) => a.accessories.map((acc) => acc.digest)));
  const out: TagCandidate[] = [];
  for (const artifact of all) {
    for (const tag of artifact.tags) {
      const candidate: TagCandidate = { tag: tag.name, digest: artifact.digest, pushTime: tag.pushTime };
      if (accessories.has(artifact.digest)) candidate.hasSubject = true;
      if (artifact.mediaType !== "") candidate.mediaType = artifact.mediaType;
      if (artifact.artifactType !== undefined) candidate.artifactType = artifact.artifactType;
      out.push(candidate);
    }
  }
  return out;
}
