import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findLink, nextLink, parseLinkHeader } from "./link-header.ts";

describe("Link header", () => {
  const base = new URL("https://r.example/v2/a/tags/list?n=2");

  it("finds rel=next, resolved against the answering URL", () => {
    assert.equal(
      nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', base)?.toString(),
      "https://r.example/v2/a/tags/list?n=2&last=b",
    );
    assert.equal(
      nextLink('<https://r.example/p1>; rel="prev", <https://r.example/p3>; rel=next', base)?.toString(),
      "https://r.example/p3",
    );
    assert.equal(nextLink('</x>; rel="prev"', base), undefined);
    assert.equal(nextLink(undefined, base), undefined);
    assert.equal(nextLink("", base), undefined);
  });

  it("reads Harbor's prev-and-next header", () => {
    const link =
      '</api/v2.0/projects/p/repositories/r/artifacts?page=1&page_size=2>; rel="prev" , </api/v2.0/projects/p/repositories/r/artifacts?page=3&page_size=2>; rel="next"';
    assert.equal(findLink(link, "next"), "/api/v2.0/projects/p/repositories/r/artifacts?page=3&page_size=2");
    assert.equal(findLink(link, "prev"), "/api/v2.0/projects/p/repositories/r/artifacts?page=1&page_size=2");
  });

  it("handles the odd cases: rel lists, case, spacing, other parameters, quoted commas and semicolons", () => {
    assert.equal(findLink('</a>; rel="prev next"', "next"), "/a", "rel is a space-separated list");
    assert.equal(findLink('</a>; REL="NEXT"', "next"), "/a", "names and values are case-insensitive");
    assert.equal(findLink('</a> ;rel = next ;title="x"', "next"), "/a", "spaces around ; and =");
    assert.equal(findLink('</a>; title="next"; rel="prev"', "next"), undefined, "a title that says next is not a rel");
    assert.equal(
      findLink('</a>; title="a, <b>; rel=next"; rel="prev", </c>; rel="next"', "next"),
      "/c",
      "commas and ; inside quotes",
    );
    assert.equal(findLink('</a>; rel="prev"; rel="next"', "next"), undefined, "the first rel wins (RFC 8288 §3.3)");
    assert.equal(findLink('</a,b>; rel="next"', "next"), "/a,b", "a comma inside the target");
    assert.equal(findLink('</a>; rel="next\\"er"', "next"), undefined, "escapes inside quotes");
  });

  it("skips malformed parts and keeps the well-formed ones", () => {
    assert.equal(findLink('garbage, </b>; rel="next"', "next"), "/b");
    assert.equal(findLink('</a; rel="next"', "next"), undefined, "an unterminated target ends the header");
    assert.equal(findLink('</a>; rel="next', "next"), "/a", "an unterminated quote takes the rest");
    assert.equal(findLink("</a>; rel", "next"), undefined);
    assert.deepEqual(parseLinkHeader('</a>; rel=next; anchor="#x", <https://h/b>'), [
      { target: "/a", params: { rel: "next", anchor: "#x" } },
      { target: "https://h/b", params: {} },
    ]);
  });

  it("a next target that is no URL throws rather than ending the listing early", () => {
    assert.throws(() => nextLink('<http://[::1>; rel="next"', base), TypeError);
  });
});
