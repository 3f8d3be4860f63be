/**
 * Parses `WWW-Authenticate` challenges (RFC 9110 §11.6.1), e.g.
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`,
 * the header the token flow starts from: https://distribution.github.io/distribution/spec/auth/token/
 */

/** One challenge: the scheme in lower case and its parameters (names in lower case). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

class Cursor {
  readonly text: string;
  pos = 0;

  constructor(text: string) {
    this.text = text;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /[ \t]/.test(this.text[this.pos] ?? "")) this.pos++;
  }

  token(): string | undefined {
    const match = token.exec(this.text.slice(this.pos));
    if (!match) return undefined;
    this.pos += match[0].length;
    return match[0];
  }

  quoted(): string | undefined {
    if (this.text[this.pos] !== '"') return undefined;
    let out = "";
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const ch = this.text[this.pos];
      if (ch === "\\") out += this.text[++this.pos] ?? "";
      else if (ch === '"') {
        this.pos++;
        return out;
      } else out += ch;
    }
    return undefined; // unterminated
  }

  bare(): string | undefined {
    const match = /^[^,\s"]+/.exec(this.text.slice(this.pos));
    if (!match) return undefined;
    this.pos += match[0].length;
    return match[0];
  }

  eat(ch: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }
}

/** Reads `name=value` after the scheme; returns false when the next item is not a parameter (a new challenge). */
function readParam(cur: Cursor, params: Record<string, string>): boolean {
  const start = cur.pos;
  cur.skipSpace();
  const name = cur.token();
  if (name === undefined || !cur.eat("=")) {
    cur.pos = start;
    return false;
  }
  cur.skipSpace();
  // Registries in the wild send unquoted URLs (not RFC tokens): accept anything up to a comma or space.
  const value = cur.quoted() ?? cur.bare();
  if (value === undefined) {
    cur.pos = start;
    return false;
  }
  params[name.toLowerCase()] = value;
  return true;
}

/**
 * Reads what follows a scheme: a token68 (e.g. `Negotiate abc==`, a lone value never followed by more text before a
 * comma) or a list of parameters. `separated` is true when a comma was eaten that starts the next challenge.
 */
function readChallengeBody(cur: Cursor, params: Record<string, string>): { separated: boolean } {
  cur.skipSpace();
  const t68 = /^[A-Za-z0-9\-._~+/]+=*(?=\s*(?:,|$))/.exec(cur.text.slice(cur.pos));
  if (t68) {
    params[""] = t68[0];
    cur.pos += t68[0].length;
    return { separated: false };
  }
  if (!readParam(cur, params)) return { separated: false };
  // After a comma, either another parameter or (when that fails) the next challenge follows.
  while (cur.eat(",")) {
    if (!readParam(cur, params)) return { separated: true };
  }
  return { separated: false };
}

/** Parses every challenge in a header value; malformed tails are dropped, never thrown. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const cur = new Cursor(header);
  const out: Challenge[] = [];
  while (cur.pos < header.length) {
    while (cur.eat(","));
    cur.skipSpace();
    const scheme = cur.token();
    if (scheme === undefined) break;
    const params: Record<string, string> = {};
    const { separated } = readChallengeBody(cur, params);
    out.push({ scheme: scheme.toLowerCase(), params });
    cur.skipSpace();
    // Anything but a comma here is a malformed tail: stop rather than misread it as a new challenge.
    if (!separated && cur.pos < header.length && header[cur.pos] !== ",") break;
  }
  return out;
}
