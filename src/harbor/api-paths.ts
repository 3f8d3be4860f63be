/**
 * Harbor v2.0 API paths and paging headers.
 * The swagger's `repository_name` parameter: "If it contains slash, encode it twice over with URL encoding.
 * e.g. a/b -> a%2Fb -> a%252Fb" (goharbor/harbor api/v2.0/swagger.yaml, parameters.repositoryName).
 */
import { findLink } from "../net/link-header.ts";

/** The API's base path under the Harbor host. */
export const API_BASE = "/api/v2.0";

/** Harbor's page size ceiling (swagger `pageSize`: maximum 100, default 10). */
export const MAX_PAGE_SIZE = 100;

/** `a/b` → `a%252Fb`: Harbor decodes the path segment twice. */
export function encodeRepositoryName(repository: string): string {
  return encodeURIComponent(encodeURIComponent(repository));
}

/** The artifact list path of one repository. */
export function artifactsPath(project: string, repository: string): string {
  return `${API_BASE}/projects/${encodeURIComponent(project)}/repositories/${encodeRepositoryName(repository)}/artifacts`;
}

/**
 * The `page` number the `Link: <...>; rel="next"` header (RFC 8288) points to, or undefined when there is no
 * next page. Only the page number is taken from the link: the client rebuilds the URL itself, so a link that
 * names another host (credentials) or a once-encoded path (a Harbor quirk with nested names) does no harm.
 */
export function nextPageFromLink(value: string | undefined, currentPage: number): number | undefined {
  const target = findLink(value, "next");
  if (target === undefined) return undefined;
  const query = target.split("?")[1] ?? "";
  const page = Number(new URLSearchParams(query).get("page") ?? Number.NaN);
  return Number.isSafeInteger(page) && page > currentPage ? page : currentPage + 1;
}
