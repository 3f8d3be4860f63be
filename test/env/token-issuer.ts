// A small bearer-token issuer for the registry's `token` auth, answering the way Harbor's token service does:
// the registry replies 401 with `WWW-Authenticate: Bearer realm=<this>/token,service=...,scope=...`, the client asks
// here (Basic credentials or anonymous) and gets a JWT that grants only what the user may do.
// Tokens are RS256 JWTs whose `kid` is the libtrust key ID of the signing certificate in the registry's rootcertbundle.
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { CertPair } from "./pki.ts";

export interface TokenIssuerOptions {
  service: string;
  issuer: string;
  signer: CertPair;
  users: Record<string, string>;
  /** Token lifetime; short values let tests exercise refresh. */
  expiresInSeconds?: number;
  /** Actions granted to anonymous callers (none by default: like a private Harbor project). */
  anonymousActions?: string[];
}

export interface TokenIssuer {
  realm: string;
  /** Number of tokens issued so far, by user ("" for anonymous). */
  issued: Map<string, number>;
  close(): Promise<void>;
}

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32Alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** libtrust's key ID: the first 240 bits of sha256(SPKI DER), base32, in 12 groups of 4 joined by ':'. */
export function libtrustKeyId(certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: "spki", format: "der" });
  const digest = createHash("sha256").update(spki).digest().subarray(0, 30);
  return (base32(digest).match(/.{4}/g) ?? []).join(":");
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

function parseScopes(url: URL): { type: string; name: string; actions: string[] }[] {
  return url.searchParams.getAll("scope").flatMap((scope) =>
    scope.split(" ").flatMap((one) => {
      const parts = one.split(":");
      if (parts.length < 3) return [];
      const actions = (parts.pop() ?? "").split(",").filter(Boolean);
      const type = parts.shift() ?? "";
      return [{ type, name: parts.join(":"), actions }];
    }),
  );
}

function authenticate(req: IncomingMessage, users: Record<string, string>): string | null | undefined {
  const header = req.headers.authorization;
  if (!header) return null; // anonymous
  const match = /^Basic (.+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = decoded.slice(0, colon);
  return users[user] !== undefined && users[user] === decoded.slice(colon + 1) ? user : undefined;
}

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const key = createPrivateKey(options.signer.keyPem);
  const kid = libtrustKeyId(options.signer.certPem);
  const issued = new Map<string, number>();
  const expiresIn = options.expiresInSeconds ?? 300;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/token") {
      res.writeHead(404).end();
      return;
    }
    const user = authenticate(req, options.users);
    if (user === undefined) {
      res
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "invalid credentials" }] }));
      return;
    }
    const access = parseScopes(url).map((scope) => ({
      ...scope,
      actions:
        user === null ? scope.actions.filter((a) => (options.anonymousActions ?? []).includes(a)) : scope.actions,
    }));
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: "RS256", typ: "JWT", kid };
    const claims = {
      iss: options.issuer,
      sub: user ?? "",
      aud: url.searchParams.get("service") ?? options.service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString("hex"),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const token = `${signingInput}.${b64url(sign("sha256", Buffer.from(signingInput), key))}`;
    issued.set(user ?? "", (issued.get(user ?? "") ?? 0) + 1);
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: expiresIn,
        issued_at: new Date(now * 1000).toISOString(),
      }),
    );
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const address = server.address();
  const port = address && typeof address === "object" ? address.port : 0;
  return {
    // crane refuses a realm whose host is a literal private/loopback IP, so the realm names "localhost".
    realm: `http://localhost:${port}/token`,
    issued,
    close: () => new Promise<void>((resolveClose) => server.close(() => resolveClose())),
  };
}
