/**
 * The `Link: <url>; rel="next"` header registries use for pagination (RFC 8288; distribution spec
 * "Listing Tags"). Only the next link matters here.
 */

/** The URL of `rel="next"`, resolved against the answering URL, or undefined. */
export function nextLink(value: string | undefined, base: URL): URL | undefined {
  if (value === undefined) return undefined;
  for (const part of value.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const params = match[2] ?? "";
    if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(params)) return new URL(match[1] ?? "", base);
  }
  return undefined;
}
