// CNCF distribution (Harbor's registry engine, Debian's docker-registry) in the three variants tests need:
// anonymous over HTTP, htpasswd basic auth over TLS with a harness CA, and bearer tokens from a harness issuer.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { Agent, request } from "undici";
import { makeCA, makeServerCert } from "./pki.ts";
import { freePort } from "./ports.ts";
import { startProcess, waitUntil } from "./process.ts";
import { startTokenIssuer, type TokenIssuer } from "./token-issuer.ts";
import { toolPath } from "./tools.ts";

export type RegistryVariant = "anonymous" | "basic-tls" | "token";

/**
 * Site names the TLS variant's certificate also covers (besides 127.0.0.1 and localhost): the GDC-site test reaches
 * it as harbor.<suffix> of these suffixes through the test-only AIRLIFT_TEST_HOSTS override.
 */
export const TLS_SITE_SUFFIXES = ["site-a.airlift.test", "site-b.airlift.test"] as const;

export interface RegistryConnection {
  variant: RegistryVariant;
  /** host:port, as it appears in image references. */
  host: string;
  /** http(s)://host:port */
  url: string;
  username?: string;
  password?: string;
  /** The CA that signed the TLS variant's certificate. */
  caFile?: string;
  caPem?: string;
  /** The token variant's realm. */
  realm?: string;
}

export interface RegistryEnv extends RegistryConnection {
  tokenIssuer?: TokenIssuer;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Token lifetime for the token variant. */
  tokenExpiresInSeconds?: number;
}

function configYaml(lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

export async function startRegistry(
  workDir: string,
  variant: RegistryVariant,
  options: RegistryOptions = {},
): Promise<RegistryEnv> {
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const username = variant === "anonymous" ? undefined : "airlift";
  const password = variant === "anonymous" ? undefined : randomBytes(12).toString("hex");
  const config = [
    "version: 0.1",
    "log:",
    "  level: info",
    "  accesslog:",
    "    disabled: false",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(workDir, "data")}`,
    "  delete:",
    "    enabled: true",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: ${host}`,
    "  secret: airlift-test-secret",
  ];
  let tokenIssuer: TokenIssuer | undefined;
  let caFile: string | undefined;
  let caPem: string | undefined;
  if (variant === "basic-tls") {
    const ca = await makeCA(workDir, "airlift-test-ca");
    const serving = await makeServerCert(
      workDir,
      ca,
      "registry",
      TLS_SITE_SUFFIXES.map((s) => `*.${s}`),
    );
    caFile = ca.certFile;
    caPem = ca.certPem;
    const htpasswd = join(workDir, "htpasswd");
    writeFileSync(htpasswd, `${username}:${bcrypt.hashSync(password ?? "", 10)}\n`);
    config.push("  tls:", `    certificate: ${serving.certFile}`, `    key: ${serving.keyFile}`);
    config.push("auth:", "  htpasswd:", "    realm: airlift-test", `    path: ${htpasswd}`);
  }
  if (variant === "token") {
    const signer = await makeCA(workDir, "airlift-token-signer");
    tokenIssuer = await startTokenIssuer({
      service: "airlift-test-registry",
      issuer: "airlift-test-issuer",
      signer,
      users: { [username ?? ""]: password ?? "" },
      ...(options.tokenExpiresInSeconds !== undefined ? { expiresInSeconds: options.tokenExpiresInSeconds } : {}),
    });
    config.push(
      "auth:",
      "  token:",
      `    realm: ${tokenIssuer.realm}`,
      "    service: airlift-test-registry",
      "    issuer: airlift-test-issuer",
      `    rootcertbundle: ${signer.certFile}`,
    );
  }
  const configFile = join(workDir, "config.yml");
  writeFileSync(configFile, configYaml(config));
  const proc = startProcess(
    `registry(${variant})`,
    toolPath("docker-registry"),
    ["serve", configFile],
    join(workDir, "registry.log"),
  );
  const scheme = variant === "basic-tls" ? "https" : "http";
  const url = `${scheme}://${host}`;
  const agent = new Agent({ connect: caPem ? { ca: caPem } : {} });
  await waitUntil(proc, "registry /v2/", async () => {
    const res = await request(`${url}/v2/`, { dispatcher: agent });
    await res.body.dump();
    return res.statusCode === 200 || res.statusCode === 401;
  });
  await agent.close();
  return {
    variant,
    host,
    url,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(caFile !== undefined ? { caFile } : {}),
    ...(caPem !== undefined ? { caPem } : {}),
    ...(tokenIssuer ? { realm: tokenIssuer.realm, tokenIssuer } : {}),
    async stop(): Promise<void> {
      await proc.stop();
      await tokenIssuer?.close();
    },
  };
}
