// The `Link` header (RFC 8288 §3) as registries (distribution spec "Listing Tags", referrers) and Harbor's API use
// it for pagination: `<url>; rel="next", <url>; rel="prev"`. One parser for every client; malformed parts are
// skipped.

/** One link: its target as sent (a URI reference) and its parameters (names in lower case, first one wins). */
export interface Link {
  target: string;
  params: Readonly<Record<string, string>>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const BARE_VALUE = /[^;,\s]*/y;
const SPACE = /[ \t]*/y;

/** A cursor over the header text with sticky-regex reads. */
class Scanner {
  readonly text: string;
  pos = 0;

  constructor(text: string) {
    this.text = text;
  }

  read(pattern: RegExp): string {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text);
    if (!match) return "";
    this.pos += match[0].length;
    return match[0];
  }

  /** Skips spaces, then consumes `ch` when it comes next. */
  eat(ch: string): boolean {
    this.read(SPACE);
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  /** A quoted-string's content (backslash escapes undone), or undefined when no quote starts here. */
  quoted(): string | undefined {
    if (this.text[this.pos] !== '"') return undefined;
    let out = "";
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const ch = this.text[this.pos];
      if (ch === '"') {
        this.pos++;
        return out;
      }
      out += ch === "\\" ? (this.text[++this.pos] ?? "") : ch;
    }
    return out; // unterminated: take what there is
  }

  /** Moves past the next top-level comma (quoted strings skipped), or to the end. */
  skipPastComma(): void {
    while (this.pos < this.text.length && this.text[this.pos] !== ",") {
      if (this.quoted() === undefined) this.pos++;
    }
    this.pos++;
  }
}

/** Reads `; name[=value]` pairs after a link's target into `params`. */
function readParams(s: Scanner, params: Record<string, string>): void {
  while (s.eat(";")) {
    s.read(SPACE);
    const name = s.read(TOKEN).toLowerCase();
    let value = "";
    if (s.eat("=")) {
      s.read(SPACE);
      value = s.quoted() ?? s.read(BARE_VALUE);
    }
    if (name !== "" && !(name in params)) params[name] = value;
  }
}

/** Every well-formed link of a `Link` header value, in order. */
export function parseLinkHeader(value: string): Link[] {
  const s = new Scanner(value);
  const out: Link[] = [];
  while (s.pos < value.length) {
    if (!s.eat("<")) {
      s.skipPastComma();
      continue;
    }
    const end = value.indexOf(">", s.pos);
    if (end < 0) break;
    const target = value.slice(s.pos, end).trim();
    s.pos = end + 1;
    const params: Record<string, string> = {};
    readParams(s, params);
    out.push({ target, params });
    s.skipPastComma();
  }
  return out;
}

/** The target of the first link whose `rel` (a space-separated list, case-insensitive) names `rel`. */
export function findLink(value: string | undefined, rel: string): string | undefined {
  if (value === undefined) return undefined;
  const wanted = rel.toLowerCase();
  return parseLinkHeader(value).find((link) => (link.params.rel ?? "").toLowerCase().split(/\s+/).includes(wanted))
    ?.target;
}

/**
 * The URL of `rel="next"`, resolved against the answering URL, or undefined when there is none. A target that is
 * no URL throws (a TypeError): stopping there would pass a partial listing off as the whole one.
 */
export function nextLink(value: string | undefined, base: URL): URL | undefined {
  const target = findLink(value, "next");
  return target === undefined ? undefined : new URL(target, base);
}
