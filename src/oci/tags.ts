/**
 * Tag listing with `Link` pagination, bounded in pages.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags
 */
import { readBounded } from "../net/bounded-read.ts";
import { nextLink } from "../net/link-header.ts";
import type { CallOptions } from "../ocispec/content.ts";
import { repoRequest, repoUrl, type RepositoryContext } from "./client.ts";
import { InvalidInputError } from "./errors.ts";
import { header } from "./http.ts";
import { errorFromResponse } from "./response-errors.ts";

export interface TagListOptions extends CallOptions {
  /** `n`: tags per page (the registry may return fewer). */
  pageSize?: number;
  /** Start after this tag. */
  last?: string;
  /** Stop with an error beyond this many pages (default 1000). */
  maxPages?: number;
}

const PAGE_BYTES_LIMIT = 4 * 1024 * 1024;

function tagsOf(body: Buffer): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString("utf8"));
  } catch {
    throw new InvalidInputError("tag list is not valid JSON", "TAGS_INVALID");
  }
  const tags = typeof doc === "object" && doc !== null ? (doc as { tags?: unknown }).tags : undefined;
  if (tags === null || tags === undefined) return [];
  if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === "string"))
    throw new InvalidInputError("tag list has no string array `tags`", "TAGS_INVALID");
  return tags;
}

/** Tag operations of one repository. */
export class TagStore {
  readonly #ctx: RepositoryContext;

  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  /** Every tag, following `Link: rel="next"` page by page (same origin only). */
  async list(options: TagListOptions = {}): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.pages(options)) out.push(...page);
    return out;
  }

  /** The tags page by page, for repositories too large to hold at once. */
  async *pages(options: TagListOptions = {}): AsyncGenerator<string[]> {
    const signal = this.#ctx.client.signal(options);
    const maxPages = options.maxPages ?? 1000;
    let url: URL | undefined = repoUrl(this.#ctx, "tags/list");
    if (options.pageSize !== undefined) url.searchParams.set("n", String(options.pageSize));
    if (options.last !== undefined) url.searchParams.set("last", options.last);
    for (let page = 0; url; page++) {
      if (page >= maxPages)
        throw new InvalidInputError(
          `tag list of ${this.#ctx.repository} has more than ${maxPages} pages`,
          "TAGS_TOO_MANY_PAGES",
        );
      const res = await repoRequest(this.#ctx, "GET", url, { signal });
      if (res.status !== 200) throw await errorFromResponse(res, `list tags of ${this.#ctx.repository}`);
      const body = await readBounded(
        res.body,
        PAGE_BYTES_LIMIT,
        () =>
          new InvalidInputError(
            `a tag list page of ${this.#ctx.repository} is larger than ${PAGE_BYTES_LIMIT} bytes`,
            "TAGS_INVALID",
          ),
      );
      yield tagsOf(body);
      const next = nextLink(header(res, "link"), res.url);
      // A next link to another host would send our credentials elsewhere: refuse it.
      if (next !== undefined && next.origin !== this.#ctx.client.baseUrl.origin)
        throw new InvalidInputError(`tag list of ${this.#ctx.repository} links to another origin`, "TAGS_INVALID");
      url = next;
    }
  }
}
