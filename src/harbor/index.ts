/**
 * Harbor v2.0 API: artifacts with tags and push times, a Harbor probe, and tag selection by policy.
 */
export {
  HarborClient,
  isHarbor,
  type CallOptions,
  type HarborClientOptions,
  type HarborCredentials,
  type ListArtifactsOptions,
} from "./client.ts";
export {
  narrowArtifact,
  narrowArtifactPage,
  type HarborArtifact,
  type HarborReference,
  type HarborTag,
} from "./artifact.ts";
export { API_BASE, MAX_PAGE_SIZE, artifactsPath, encodeRepositoryName, nextPageFromLink } from "./api-paths.ts";
export {
  HarborError,
  HarborForbiddenError,
  HarborNotFoundError,
  HarborRequestError,
  HarborResponseShapeError,
  HarborServerError,
  HarborTlsError,
  HarborTransportError,
  HarborUnauthorizedError,
  type HarborErrorDetail,
} from "./errors.ts";
export {
  InvalidTagPolicyError,
  NoMatchingTagError,
  compareNewestPushed,
  parseTagVersion,
  selectTag,
  type SelectOptions,
  type SkipReason,
  type TagCandidate,
  type TagPolicy,
  type TagSelection,
} from "./tag-policy.ts";
export { candidatesFromArtifacts } from "./artifact-candidates.ts";
